"""Writing PoseTrack18 JSON: whole videos (:func:`dump_posetrack_video`) and frame by frame
(:class:`PoseTrackJsonWriter`, O(1) work per frame, the file valid JSON after every frame).

File layout of :class:`PoseTrackJsonWriter` (one JSON value per line; every byte outside the
values is JSON whitespace, so any JSON parser reads it)::

    {"categories":[...],"images":[
    {image 0}
    ,{image 1}
    <spaces: room reserved for the next images entries>
    ],"annotations":[
    {annotation 0}
    ,{annotation 1}
    ]}

Adding a frame writes its ``images`` entry into the reserved spaces (in place) and its
``annotations`` over the closing ``]}`` followed by a new ``]}``: two small writes whatever
the length of the video. When the reserved room is used up, the file is rewritten once with
twice the room (amortised O(1) per frame; the rewrite goes through a temporary file and an
atomic rename). The images entry is written before the annotations, so a process killed
between the two writes leaves a valid file whose last frame has no persons; only a kill in the
middle of one write can leave a torn file. :func:`apply_track_edits` reads this layout line
by line.
"""

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from plugins.utils.atomic_file import atomic_open
from .constants import PathLike, posetrack18_categories
from .records import FrameAnnotation, VideoAnnotation
from .records import bbox_from_keypoints as _bbox_from_keypoints


def _r(x: float) -> float:
    """Round to 3 decimals (far below a pixel; keeps files small)."""
    return round(float(x), 3)


def _xyxy_to_xywh(b: np.ndarray) -> List[float]:
    return [_r(b[0]), _r(b[1]), _r(b[2] - b[0]), _r(b[3] - b[1])]


def frame_to_json(frame: FrameAnnotation, is_prediction: bool) -> tuple:
    """Serialise one frame to its ``images`` entry and ``annotations`` entries.

    Args:
        frame: The frame.
        is_prediction: Write ``keypoint_scores`` as ``scores`` (and as ``v``) instead of
            visibility flags.

    Returns:
        ``(image_dict, [annotation_dict, ...])``; annotation ids are ``image_id * 100 + j``
        (the official PoseTrack18 scheme).
    """
    img: Dict[str, Any] = dict(frame.extra)
    img.update(id=int(frame.image_id), file_name=frame.file_name,
               is_labeled=bool(frame.is_labeled))
    if frame.width and frame.height:
        img.update(width=int(frame.width), height=int(frame.height))
    if frame.ignore_regions or 'ignore_regions_x' in frame.extra:
        img['ignore_regions_x'] = [[_r(v) for v in p[:, 0]] for p in frame.ignore_regions]
        img['ignore_regions_y'] = [[_r(v) for v in p[:, 1]] for p in frame.ignore_regions]
    anns = []
    k = frame.keypoints.shape[1]
    for j in range(frame.num_persons):
        s = frame.keypoint_scores[j]
        v = s if is_prediction else np.clip(np.round(s), 0, 2)  # GT: 0/1 (or COCO 0/1/2)
        flat = np.concatenate([frame.keypoints[j], v[:, None]], axis=1).reshape(-1)
        ann: Dict[str, Any] = dict(
            id=int(frame.image_id) * 100 + j, image_id=int(frame.image_id), category_id=1,
            track_id=int(frame.track_ids[j]), keypoints=[_r(x) for x in flat],
            scores=[_r(x) for x in s] if is_prediction else [])
        if frame.person_ids is not None and frame.person_ids[j] >= 0:
            ann['person_id'] = int(frame.person_ids[j])
        box = frame.bboxes[j]
        if np.all(np.isfinite(box)):
            ann['bbox'] = _xyxy_to_xywh(box)
        head = frame.head_bboxes[j]
        if np.all(np.isfinite(head)):
            ann['bbox_head'] = _xyxy_to_xywh(head)
        if is_prediction:
            ann['score'] = _r(frame.bbox_scores[j])
        else:
            ann['num_keypoints'] = int((s > 0).sum())
            ann['iscrowd'] = False
            if 'bbox' in ann:
                ann['area'] = _r(ann['bbox'][2] * ann['bbox'][3])
        assert len(ann['keypoints']) == 3 * k
        anns.append(ann)
    return img, anns


def video_to_json(video: VideoAnnotation) -> dict:
    """The JSON object of a :class:`VideoAnnotation` (PoseTrack18 layout)."""
    images, annotations = [], []
    for frame in video.frames:
        img, anns = frame_to_json(frame, video.is_prediction)
        images.append(img)
        annotations.extend(anns)
    out = dict(video.extra)
    out.update(categories=video.categories, images=images, annotations=annotations)
    return out


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file next to ``path`` and rename it over ``path``."""
    with atomic_open(path, 'w') as f:
        f.write(text)


def dump_posetrack_video(video: VideoAnnotation, path: PathLike) -> None:
    """Write a video as a PoseTrack18 JSON file (atomically).

    Ground truth (``video.is_prediction`` False) gets ``v`` = visibility flag, ``scores = []``,
    ``num_keypoints``, ``area`` and ``iscrowd``; predictions get ``v`` = ``scores`` = joint
    confidences and ``score`` = person confidence (the official ``poseval`` input).

    Args:
        video: The video.
        path: Output ``.json`` path (parent folders are created).
    """
    _atomic_write_text(Path(path), json.dumps(video_to_json(video), separators=(',', ':')))


#: Bytes reserved for ``images`` entries when a writer starts (about 600 frames).
INITIAL_IMAGE_ROOM = 64 * 1024
_ANN_MARK = b'\n],"annotations":[\n'
_TAIL = b']}\n'


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(',', ':'))


class PoseTrackJsonWriter:
    """Write a PoseTrack18 file frame by frame in O(1) per frame; the file on disk is valid
    JSON after every frame (layout and crash behaviour: module doc).

    Args:
        path: Output ``.json`` path (parent folders are created).
        is_prediction: Whether frames hold predictions (scores) or ground truth (visibility).
        categories: ``categories`` list; PoseTrack18's by default.
        flush_every: Write to disk every this many frames (1 = after every frame);
            :meth:`close` always writes.
        reserve_frames: Expected number of frames (e.g. the video's length): the room for
            ``images`` entries is reserved for them at once (no rewrite while growing).

    Example:
        >>> with PoseTrackJsonWriter('out/video.json') as w:
        ...     for frame in frames:
        ...         w.add_frame(frame)            # or w.add_instances(image_id=..., ...)
    """

    def __init__(self, path: PathLike, is_prediction: bool = True,
                 categories: Optional[List[dict]] = None, flush_every: int = 1,
                 reserve_frames: int = 0) -> None:
        self.path = Path(path)
        self.is_prediction = is_prediction
        self.categories = categories if categories is not None else posetrack18_categories()
        self.flush_every = max(1, int(flush_every))
        self._head = ('{"categories":' + _dumps(self.categories) + ',"images":[\n').encode()
        self._num_frames = 0
        self._num_images_written = 0
        self._num_annotations = 0
        self._pending_images: List[bytes] = []
        self._pending_annotations: List[bytes] = []
        self._closed = False
        room = max(INITIAL_IMAGE_ROOM, 160 * int(reserve_frames))
        # offsets: end of the last images entry, start of the annotations mark, start of _TAIL
        self._img_end = len(self._head)
        self._room_end = self._img_end + room
        self._tail_at = self._room_end + len(_ANN_MARK)
        with atomic_open(self.path, 'wb') as f:
            f.write(self._head + b' ' * room + _ANN_MARK + _TAIL)
        self._file = open(self.path, 'r+b')

    @property
    def num_frames(self) -> int:
        """Frames added so far."""
        return self._num_frames

    def add_frame(self, frame: FrameAnnotation) -> None:
        """Append one frame (its persons may be empty) and update the file on disk."""
        if self._closed:
            raise RuntimeError(f'PoseTrackJsonWriter({self.path}) is closed')
        img, anns = frame_to_json(frame, self.is_prediction)
        self._pending_images.append(_dumps(img).encode())
        self._pending_annotations.extend(_dumps(a).encode() for a in anns)
        self._num_frames += 1
        if len(self._pending_images) >= self.flush_every:
            self._flush()

    def add_instances(self, image_id: int, file_name: str, frame_index: int, keypoints: Any,
                      keypoint_scores: Any, track_ids: Any, bboxes: Any = None,
                      bbox_scores: Any = None, width: int = 0, height: int = 0) -> None:
        """Append a frame given the arrays of an ``InstanceData`` of predictions.

        Args:
            image_id: ``images[].id``.
            file_name: Frame path to record.
            frame_index: 0-based frame index.
            keypoints: (N, K, 2) pixels.
            keypoint_scores: (N, K) joint confidences.
            track_ids: (N,) ids.
            bboxes: (N, 4) ``xyxy``; from the keypoints when ``None``.
            bbox_scores: (N,) person confidences; 1 when ``None``.
            width: Image width. height: Image height.
        """
        self.add_frame(frame_from_arrays(
            image_id, file_name, frame_index, keypoints, keypoint_scores, track_ids, bboxes,
            bbox_scores, width, height, num_keypoints=len(self.categories[0].get(
                'keypoints', [])) if self.categories else 0))

    # ------------------------------------------------------------------------------ disk
    def _image_bytes(self) -> bytes:
        parts = []
        for b in self._pending_images:
            parts.append((b',' if self._num_images_written else b'') + b + b'\n')
            self._num_images_written += 1
        return b''.join(parts)

    def _annotation_bytes(self) -> bytes:
        parts = []
        for b in self._pending_annotations:
            parts.append((b',' if self._num_annotations else b'') + b + b'\n')
            self._num_annotations += 1
        return b''.join(parts)

    def _flush(self) -> None:
        if not self._pending_images and not self._pending_annotations:
            return
        images = self._image_bytes()
        anns = self._annotation_bytes()
        self._pending_images, self._pending_annotations = [], []
        if self._img_end + len(images) > self._room_end:
            self._grow(images, anns)
            return
        f = self._file
        f.seek(self._img_end)
        f.write(images)
        f.flush()  # the frame exists (without persons) before its persons are written
        self._img_end += len(images)
        if anns:
            f.seek(self._tail_at)
            f.write(anns + _TAIL)
            f.flush()
            self._tail_at += len(anns)

    def _grow(self, images: bytes, anns: bytes) -> None:
        """Rewrite the file with twice the room for images (atomic rename)."""
        old_room = self._room_end - len(self._head)
        used = self._img_end - len(self._head) + len(images)
        room = max(2 * old_room, 2 * used)
        src = self._file
        src.flush()
        with atomic_open(self.path, 'wb') as dst:
            src.seek(0)
            dst.write(src.read(self._img_end))
            dst.write(images)
            dst.write(b' ' * (len(self._head) + room - self._img_end - len(images)))
            dst.write(_ANN_MARK)
            src.seek(self._room_end + len(_ANN_MARK))
            remaining = self._tail_at - (self._room_end + len(_ANN_MARK))
            while remaining > 0:
                chunk = src.read(min(remaining, 1 << 22))
                if not chunk:
                    break
                dst.write(chunk)
                remaining -= len(chunk)
            dst.write(anns + _TAIL)
        src.close()
        shift = len(self._head) + room - self._room_end
        self._img_end += len(images)
        self._room_end = len(self._head) + room
        self._tail_at += shift + len(anns)
        self._file = open(self.path, 'r+b')

    def close(self) -> None:
        """Write any pending frames; further :meth:`add_frame` calls raise."""
        if not self._closed:
            try:
                self._flush()
            finally:
                self._file.close()
                self._closed = True

    def __enter__(self) -> 'PoseTrackJsonWriter':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def frame_from_arrays(image_id: int, file_name: str, frame_index: int, keypoints: Any,
                      keypoint_scores: Any, track_ids: Any, bboxes: Any = None,
                      bbox_scores: Any = None, width: int = 0, height: int = 0,
                      num_keypoints: int = 0) -> FrameAnnotation:
    """A prediction :class:`FrameAnnotation` from the arrays of an ``InstanceData``.

    Args:
        image_id: ``images[].id``. file_name: frame path. frame_index: 0-based index.
        keypoints: (N, K, 2) pixels. keypoint_scores: (N, K) joint confidences.
        track_ids: (N,) ids. bboxes: (N, 4) ``xyxy`` or ``None`` (from the keypoints).
        bbox_scores: (N,) or ``None`` (1). width, height: image size (0: unknown).
        num_keypoints: ``K`` when ``N = 0``.
    """
    kpts = np.asarray(keypoints, np.float32)
    n = len(kpts)
    k = kpts.shape[1] if kpts.ndim == 3 else num_keypoints
    kpts = kpts.reshape(n, k, 2)
    scores = np.asarray(keypoint_scores, np.float32).reshape(n, k)
    if bboxes is None:
        bboxes = np.stack([_bbox_from_keypoints(kpts[i], scores[i] > 0)
                           for i in range(n)]) if n else np.zeros((0, 4), np.float32)
    return FrameAnnotation(
        image_id=image_id, file_name=file_name, frame_index=frame_index, is_labeled=True,
        keypoints=kpts, keypoint_scores=scores, track_ids=np.asarray(track_ids).reshape(n),
        bboxes=bboxes, head_bboxes=np.full((n, 4), np.nan, np.float32),
        bbox_scores=bbox_scores, width=width, height=height)
