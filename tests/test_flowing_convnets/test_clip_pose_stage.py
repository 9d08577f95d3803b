"""The clip-aware pose stage (ClipPoseEstimator) streaming a Flowing ConvNet over a video."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.structures import InstanceData

from mmpose.apis import init_model
from mmpose.registry import DATASETS, MODELS
from plugins.apis.clip_pose_estimator import ClipPoseEstimator
from plugins.tracking.frame_context import FrameContext

CONFIG = (Path(__file__).resolve().parents[2] / 'projects' / 'flowing_convnets' / 'configs' /
          'flowing-convnet_res18-half_synthetic-128x96.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    cfg = Config.fromfile(str(CONFIG))
    with DefaultScope.overwrite_default_scope('mmpose'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
    path = tmp_path_factory.mktemp('flowing') / 'model.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


def dataset_options(root):
    return dict(test_dataloader=dict(dataset=dict(
        data_root=f'{root}/', ann_file='annotations/val.json', video_ann_dir='annotations/val')))


def reference_predictions(root, checkpoint):
    """``tools/test.py``'s way: the config's dataset (clips from disk) and ``test_step``.

    Returns ``{(frame index, rounded box): (keypoints (K, 2), scores (K,))}`` and the boxes of
    each frame in dataset order.
    """
    cfg = Config.fromfile(str(CONFIG))
    cfg.merge_from_dict(dataset_options(root))
    model = init_model(cfg, checkpoint, device='cpu')
    init_default_scope('mmpose')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    preds, boxes = {}, {}
    for i in range(len(dataset)):
        sample = dataset[i]
        meta = sample['data_samples'].metainfo
        box = dataset.get_data_info(i)['bbox'][0].astype(np.float32)
        with torch.no_grad():
            (out, ) = model.test_step(pseudo_collate([sample]))
        pred = out.pred_instances
        preds[(meta['frame_index'], tuple(np.round(box, 3)))] = (
            np.asarray(pred.keypoints)[0, :, :2], np.asarray(pred.keypoint_scores)[0])
        boxes.setdefault(meta['frame_index'], []).append(box)
    return preds, boxes


def video_frames(root):
    folder = Path(root) / 'images' / 'val' / '000007_tiny'
    return [cv2.imread(str(p)) for p in sorted(folder.glob('*.jpg'))]


def test_stream_gives_the_dataset_clips_poses(tiny_video_root, checkpoint):
    """Streaming frame by frame (look-ahead 1, end clipping at flush) reproduces the poses of the
    config's own test dataset + model on the same boxes, frame by frame, person by person."""
    preds, boxes = reference_predictions(tiny_video_root, checkpoint)
    stage = ClipPoseEstimator(str(CONFIG), checkpoint)  # needs no dataset: frames are pushed
    assert (stage.lookbehind, stage.lookahead) == (1, 1)
    frames = video_frames(tiny_video_root)
    assert len(frames) == 5
    results = []
    for t, frame in enumerate(frames):
        # the pipeline's way: its frame context and the proposals, extra fields passed through
        ctx = FrameContext(index=100 + t, image=frame)
        props = InstanceData(bboxes=np.stack(boxes[t]), source=np.full(len(boxes[t]), -1))
        out = stage.push(ctx, props)
        # nothing for the first frame; afterwards exactly frame t - 1
        assert [c.index - 100 for c, _ in out] == ([] if t == 0 else [t - 1])
        assert stage.buffered_frames <= stage.lookbehind + stage.lookahead + 1
        results += out
    tail = stage.flush()
    assert [c.index for c, _ in tail] == [104]
    results += tail
    compared = 0
    for ctx, poses in results:
        t = ctx.index - 100
        assert ctx.image is frames[t]
        np.testing.assert_array_equal(poses.source, -1)
        for box, kpts, scores in zip(poses.bboxes, poses.keypoints, poses.keypoint_scores):
            ref_k, ref_s = preds[(t, tuple(np.round(box, 3)))]
            np.testing.assert_allclose(kpts, ref_k, atol=1e-3)
            np.testing.assert_allclose(scores, ref_s, atol=1e-5)
            compared += 1
    assert compared == 10  # 5 frames x 2 persons


def test_clip_indices_and_bounded_buffer(tiny_video_root, checkpoint):
    stage = ClipPoseEstimator(str(CONFIG), checkpoint, neighbour_offsets=(-2, 1),
                              cfg_options=dict(model=dict(num_frames=3)))
    assert stage.clip_indices(0, 9) == [0, 0, 1]
    assert stage.clip_indices(5, 9) == [5, 3, 6]
    assert stage.clip_indices(9, 9) == [9, 7, 9]
    frame = video_frames(tiny_video_root)[0]
    box = np.array([[10, 10, 60, 80]], np.float32)
    most = 0
    emitted = []
    for t in range(12):
        emitted += [c.index for c, _ in stage.push(frame, box if t % 3 else box[:0])]
        most = max(most, stage.buffered_frames)
    emitted += [c.index for c, _ in stage.flush()]
    assert emitted == list(range(12))
    assert most == 2 + 1 + 1  # lookbehind + current + lookahead: never the whole video
    with pytest.raises(RuntimeError, match='reset'):
        stage.push(frame, box)
    stage.reset()
    assert stage.push(frame, box) == [] and stage.buffered_frames == 1


def test_past_only_offsets_have_no_latency(tiny_video_root, checkpoint):
    stage = ClipPoseEstimator(str(CONFIG), checkpoint, neighbour_offsets=(-2, -1))
    assert stage.lookahead == 0
    frames = video_frames(tiny_video_root)
    box = np.array([[20, 20, 60, 90], [60, 10, 110, 90]], np.float32)
    for t, frame in enumerate(frames):
        poses = stage(frame, box, bbox_scores=np.array([0.9, 0.8]))
        assert poses.keypoints.shape == (2, 17, 2)
        np.testing.assert_allclose(poses.bbox_scores, [0.9, 0.8])
        # image coordinates, around the boxes
        assert np.all(poses.keypoints[..., 0] > -40) and np.all(poses.keypoints[..., 0] < 160)
    empty = stage(frames[0], np.zeros((0, 4)))
    assert empty.keypoints.shape == (0, 17, 2)


def test_errors(tiny_video_root, checkpoint):
    frames = video_frames(tiny_video_root)
    with pytest.raises(ValueError, match='num_frames=3'):
        ClipPoseEstimator(str(CONFIG), checkpoint, neighbour_offsets=(-2, -1, 1, 2))
    with pytest.raises(ValueError, match='must not contain 0'):
        ClipPoseEstimator(str(CONFIG), checkpoint, neighbour_offsets=(0, 1))
    stage = ClipPoseEstimator(str(CONFIG), checkpoint)
    with pytest.raises(RuntimeError, match='push\\(\\)/flush\\(\\)'):
        stage(frames[0], np.zeros((0, 4)))
    stage.push(frames[0], np.zeros((0, 4)))
    with pytest.raises(ValueError, match='reset'):
        stage.push(frames[0][:50], np.zeros((0, 4)))
    with pytest.raises(KeyError, match='not buffered'):
        stage.estimate(7, np.zeros((1, 4)))
