"""A tiny PoseTrack-layout video whose content pans by a known shift per frame (test helper)."""
import json
from pathlib import Path

import cv2
import numpy as np

#: content moves by this many pixels (dx, dy) from one frame to the next
PAN = (3.0, -2.0)
NUM_FRAMES = 5
FRAME_SIZE = (128, 96)  # (w, h)
NUM_PERSONS = 2
KEYPOINT_NAMES = [
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
VIDEO = '000007_tiny'


def panning_frames(num_frames: int = NUM_FRAMES, size=FRAME_SIZE, pan=PAN, seed: int = 0):
    """BGR frames of a smooth random texture; frame k+1 is frame k moved by ``pan``."""
    w, h = size
    margin = 40
    rng = np.random.default_rng(seed)
    big = rng.random((h + 2 * margin + 40, w + 2 * margin + 40, 3)).astype(np.float32)
    big = cv2.GaussianBlur(big, (0, 0), 2.0)
    big = (big - big.min()) / (big.max() - big.min()) * 255
    frames = []
    for k in range(num_frames):
        x0 = int(round(margin - k * pan[0]))
        y0 = int(round(margin - k * pan[1]))
        frames.append(np.ascontiguousarray(big[y0:y0 + h, x0:x0 + w]).astype(np.uint8))
    return frames


def _annotation(image_id: int, j: int, frame: int) -> dict:
    rng = np.random.default_rng([frame, j])
    x0, y0 = 20 + 50 * j + PAN[0] * frame, 20 + PAN[1] * frame + 10
    w, h = 36.0, 56.0
    kpts = np.stack([x0 + rng.random(17) * w, y0 + rng.random(17) * h,
                     np.full(17, 2.0)], axis=1)
    kpts[3:5, 2] = 0  # ears unlabeled
    kpts[3:5, :2] = 0
    return dict(id=image_id * 100 + j, image_id=image_id, category_id=1, track_id=j,
                bbox=[x0, y0, w, h], bbox_head=[x0 + 10, y0, 12, 12],
                keypoints=[float(v) for v in kpts.reshape(-1)], num_keypoints=15, iscrowd=0,
                area=w * h, scores=[])


def write_tiny_video(root: Path) -> Path:
    """Write ``images/val/{VIDEO}/{k:06d}.jpg`` (JPEG quality 100), ``annotations/val/{VIDEO}.json``
    and the merged ``annotations/val.json`` under ``root``; return ``root``."""
    img_dir = root / 'images' / 'val' / VIDEO
    img_dir.mkdir(parents=True)
    images, annotations = [], []
    for k, frame in enumerate(panning_frames()):
        cv2.imwrite(str(img_dir / f'{k:06d}.jpg'), frame, [cv2.IMWRITE_JPEG_QUALITY, 100])
        image_id = 10007000000 + k
        images.append(dict(id=image_id, file_name=f'images/val/{VIDEO}/{k:06d}.jpg',
                           frame_id=image_id, vid_id='000007', nframes=NUM_FRAMES,
                           is_labeled=True, width=FRAME_SIZE[0], height=FRAME_SIZE[1]))
        annotations += [_annotation(image_id, j, k) for j in range(NUM_PERSONS)]
    categories = [dict(supercategory='person', id=1, name='person', keypoints=KEYPOINT_NAMES,
                       skeleton=[[16, 14], [14, 12]])]
    data = dict(images=images, annotations=annotations, categories=categories)
    (root / 'annotations' / 'val').mkdir(parents=True)
    (root / 'annotations' / 'val' / f'{VIDEO}.json').write_text(json.dumps(data))
    (root / 'annotations' / 'val.json').write_text(json.dumps(data))
    return root
