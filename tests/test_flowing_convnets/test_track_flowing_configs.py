"""The Flowing ConvNet as the pose stage of the tracking pipeline, tools/test.py and
tools/track.py (projects/flowing_convnets/configs/track_synthetic_flowing*.py)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpose.registry import MODELS
from plugins.apis.clip_pose_estimator import ClipPoseEstimator
from plugins.apis.tracking_test import build_tracking_pipeline

CONFIGS = Path(__file__).resolve().parents[2] / 'projects' / 'flowing_convnets' / 'configs'
TRACK_GT = CONFIGS / 'track_synthetic_flowing_gt-boxes.py'
TRACK_DET = CONFIGS / 'track_synthetic_flowing.py'
VIDEO = '000007_tiny'


@pytest.fixture(scope='module')
def flowing_checkpoint(tmp_path_factory):
    cfg = Config.fromfile(str(CONFIGS / 'flowing-convnet-ft_res18-half_synthetic-128x96.py'))
    with DefaultScope.overwrite_default_scope('mmpose'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
    path = tmp_path_factory.mktemp('flowing_track') / 'flowing.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


def gt_boxes(root):
    data = json.loads((Path(root) / 'annotations' / 'val' / f'{VIDEO}.json').read_text())
    boxes = {}
    for ann in data['annotations']:
        x, y, w, h = ann['bbox']
        boxes.setdefault(ann['image_id'], []).append([x, y, x + w, y + h])
    return [np.array(boxes[img['id']], np.float32) for img in data['images']]


def frames(root):
    import cv2
    folder = Path(root) / 'images' / 'val' / VIDEO
    return [cv2.imread(str(p)) for p in sorted(folder.glob('*.jpg'))]


def test_pipeline_streams_the_flowing_convnet(tiny_video_root, flowing_checkpoint):
    cfg = Config.fromfile(str(TRACK_GT))
    pipe = build_tracking_pipeline(cfg, flowing_checkpoint)
    assert isinstance(pipe.pose_estimator, ClipPoseEstimator)
    assert pipe.pose_estimator.lookahead == 1
    video, boxes = frames(tiny_video_root), gt_boxes(tiny_video_root)
    pipe.reset()
    finished = []
    for t, (frame, b) in enumerate(zip(video, boxes)):
        done = pipe.push(frame, bboxes=b)
        assert [fr.index for fr in done] == ([] if t == 0 else [t - 1])  # one frame late
        finished += done
    finished += pipe.flush()
    assert [fr.index for fr in finished] == [0, 1, 2, 3, 4]
    # the same poses as the stage alone on the same boxes (after NMS / tracking / threshold)
    stage = ClipPoseEstimator(cfg.tracking_pipeline.pose_estimator.config, flowing_checkpoint)
    alone = []
    for frame, b in zip(video, boxes):
        alone += stage.push(frame, b)
    alone += stage.flush()
    thr = cfg.tracking_pipeline.keypoint_score_thr
    for fr, (_, ref) in zip(finished, alone):
        res = fr.result
        assert fr.image is video[fr.index]
        assert len(res) >= 1 and len(np.unique(res.track_ids)) == len(res)
        for box, kpts, scores in zip(res.bboxes, res.keypoints, res.keypoint_scores):
            i = int(np.argmin(np.abs(ref.bboxes - box).sum(1)))
            shown = ref.keypoint_scores[i] >= thr
            np.testing.assert_allclose(kpts[shown], ref.keypoints[i][shown], atol=1e-4)
            np.testing.assert_array_equal(scores[~shown], 0)
    # the persons move 3 px per frame: the IoU tracker keeps their ids
    first = {tuple(np.round(b, 0)): t for b, t in zip(finished[0].result.bboxes,
                                                       finished[0].result.track_ids)}
    assert len(first) == len(finished[0].result)
    ids = [set(map(int, fr.result.track_ids)) for fr in finished]
    assert all(s <= ids[0] | ids[1] for s in ids)
    with pytest.raises(ValueError, match='push\\(\\)/flush\\(\\)'):
        pipe.step(video[0], bboxes=boxes[0])


def test_tools_test_and_track_run_the_flowing_configs(tiny_video_root, flowing_checkpoint,
                                                      repo_root, tmp_path):
    root = tiny_video_root
    data = [f'test_dataloader.dataset.data_root={root}/',
            'test_dataloader.dataset.ann_file=annotations/val']
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(TRACK_GT), flowing_checkpoint, '--work-dir',
         str(tmp_path / 'test'), '--cfg-options', *data],
        cwd=repo_root, capture_output=True, text=True, timeout=600)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    metrics = dict(re.findall(r'posetrack/(mAP|MOTA): (-?[0-9.]+)', text))
    assert set(metrics) == {'mAP', 'MOTA'}, text[-3000:]

    # tools/track.py needs the detector: the demo's, with random weights (boxes are random)
    out = tmp_path / 'track'
    proc = subprocess.run(
        [sys.executable, 'tools/track.py', str(root / 'images' / 'val' / VIDEO), '--pipeline',
         str(TRACK_DET), '--out', str(out), '--no-video', '--cfg-options',
         f'tracking_pipeline.pose_estimator.checkpoint={flowing_checkpoint}',
         'tracking_pipeline.detector.checkpoint=None', 'tracking_pipeline.detector.score_thr=0.0'],
        cwd=repo_root, capture_output=True, text=True, timeout=600)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    written = json.loads((out / f'{VIDEO}.json').read_text())
    assert len(written['images']) == 5  # every frame, the last one after the flush
