"""PoseTrackingPipeline: wiring, batching, GT boxes, bad input, and track-id guarantees.

The models are the tiny demo detector / pose model with random weights (checkpoint None):
these tests check the plumbing, not accuracy.
"""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.apis import NonFiniteOutputError, PoseTrackingPipeline
from plugins.registry import PIPELINES

DET_CONFIG = 'configs/demo/rtmdet-tiny_synthetic-person-192x144.py'
POSE_CONFIG = 'configs/demo/td-hm_res18-tiny_synthetic-128x96.py'
K = 17


def random_detector_cfg(**kwargs):
    """The demo detector, random weights; every box scored >= 0 is kept (max 6)."""
    cfg = dict(config=DET_CONFIG, checkpoint=None, score_thr=0.0, max_persons=6,
               cfg_options=dict(model=dict(test_cfg=dict(score_thr=0.0))))
    cfg.update(kwargs)
    return cfg


def sizeable_random_boxes(detector):
    """Random RTMDet weights predict sub-pixel boxes; bias its distances to ~3 strides."""
    for conv in detector.model.bbox_head.rtm_reg:
        conv.bias.data.fill_(3.0)


@pytest.fixture(scope='module')
def pipeline():
    torch.manual_seed(0)
    pipe = PIPELINES.build(dict(
        type='PoseTrackingPipeline',
        detector=random_detector_cfg(),
        pose_estimator=dict(config=POSE_CONFIG, checkpoint=None),
        pose_nms=dict(type='OKSNMS', threshold=0.9),
        tracker=dict(type='IoUTracker', match_threshold=0.3)))
    sizeable_random_boxes(pipe.detector)
    return pipe


def frames(n=3, h=96, w=128, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def check_instances(result, n=None):
    assert result.keypoints.shape[1:] == (K, 2) and result.keypoints.dtype == np.float32
    m = len(result.keypoints)
    assert result.keypoint_scores.shape == (m, K)
    assert result.bboxes.shape == (m, 4) and result.bbox_scores.shape == (m, )
    assert result.track_ids.shape == (m, ) and result.track_ids.dtype == np.int64
    assert len(set(result.track_ids.tolist())) == m  # unique within the frame
    if n is not None:
        assert m == n


def test_stages_come_from_config_and_metainfo(pipeline):
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/posetrack18.py'))
    # OKS-NMS got the pose model's (PoseTrack18) sigmas although its config names none
    np.testing.assert_allclose(pipeline.pose_nms.sigmas, meta['sigmas'])
    assert type(pipeline.tracker).__name__ == 'IoUTracker'
    assert pipeline.dataset_meta['num_keypoints'] == K


def test_all_crops_of_a_frame_go_through_the_model_in_one_batch(pipeline, monkeypatch):
    model = pipeline.pose_estimator.model
    batches = []
    original = model.extract_feat

    def counting_extract_feat(inputs):
        batches.append(len(inputs))
        return original(inputs)

    monkeypatch.setattr(model, 'extract_feat', counting_extract_feat)
    pipeline.reset()
    boxes = np.array([[5, 5, 40, 80], [50, 10, 90, 90], [60, 0, 120, 60], [0, 0, 128, 96]],
                     np.float32)
    result = pipeline.step(frames(1)[0], bboxes=boxes)
    # one forward of all 4 crops (twice with the config's flip test)
    assert batches == [4] * (2 if model.test_cfg.get('flip_test') else 1)
    check_instances(result)
    assert 1 <= len(result) <= 4  # OKS-NMS may merge near-identical random poses


def test_detector_path_and_whole_video_call_match_stepping(pipeline):
    video = frames(3)
    stepped = []
    pipeline.reset()
    for f in video:
        stepped.append(pipeline.step(f))
    whole = pipeline.run_video(video)
    assert len(whole) == 3
    for a, b in zip(stepped, whole):
        check_instances(b)
        np.testing.assert_allclose(a.keypoints, b.keypoints, rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(a.track_ids, b.track_ids)
    assert sum(len(r) for r in whole) > 0  # the random detector keeps some boxes


def test_frame_with_nobody_gives_an_empty_result(pipeline):
    pipeline.reset()
    result = pipeline.step(frames(1)[0], bboxes=np.zeros((0, 4), np.float32))
    check_instances(result, n=0)
    # and the detector path: nothing passes a threshold above every score
    empty_pipeline = PIPELINES.build(dict(
        type='PoseTrackingPipeline', detector=random_detector_cfg(score_thr=1.01),
        pose_estimator=dict(config=POSE_CONFIG, checkpoint=None),
        pose_nms=dict(type='OKSNMS'), tracker=dict(type='IoUTracker')))
    for f in frames(2):
        check_instances(empty_pipeline.step(f), n=0)


def test_frames_of_changing_size_are_an_error_naming_the_frame(pipeline):
    pipeline.reset()
    pipeline.step(frames(1)[0], bboxes=np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r'frame 1 is 64x48 .* first frame .* 128x96'):
        pipeline.step(frames(1, h=48, w=64)[0], bboxes=np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        pipeline.step(np.zeros((96, 128), np.uint8), bboxes=np.zeros((0, 4)))
    pipeline.reset()  # a new video may have another size
    check_instances(pipeline.step(frames(1, h=48, w=64)[0], bboxes=np.zeros((0, 4))), n=0)


def test_nan_from_the_pose_model_is_an_error_or_dropped_with_a_warning(pipeline):
    head = pipeline.pose_estimator.model.head.final_layer
    saved = head.bias.data.clone()
    boxes = np.array([[5, 5, 40, 80], [50, 10, 90, 90]], np.float32)
    try:
        head.bias.data[3] = float('nan')  # joint 3's heatmap is NaN for every person
        pipeline.reset()
        with pytest.raises(NonFiniteOutputError,
                           match=r'frame 0: the pose estimator output NaN/inf in '
                           r'"keypoint_scores" of 2 person'):
            pipeline.step(frames(1)[0], bboxes=boxes)
        pipeline.nonfinite = 'drop'
        pipeline.reset()
        with pytest.warns(UserWarning, match='frame 0: .* dropping those persons'):
            result = pipeline.step(frames(1)[0], bboxes=boxes)
        check_instances(result, n=0)
    finally:
        head.bias.data.copy_(saved)
        pipeline.nonfinite = 'error'


def test_nan_boxes_from_the_detector_are_reported(pipeline, monkeypatch):
    nan_box = np.array([[np.nan, 0, 10, 10], [0, 0, 30, 60]], np.float32)
    monkeypatch.setattr(pipeline.detector, 'detect',
                        lambda frame: (nan_box, np.array([0.9, 0.8], np.float32),
                                       np.zeros(2, np.int64)))
    pipeline.reset()
    with pytest.raises(NonFiniteOutputError, match=r'the detector output NaN/inf in "bboxes" '
                       r'of 1 person'):
        pipeline.step(frames(1)[0])


def test_gt_boxes_instead_of_a_detector():
    pipe = PoseTrackingPipeline(pose_estimator=dict(config=POSE_CONFIG, checkpoint=None),
                                tracker=dict(type='IoUTracker'), pose_nms=None)
    with pytest.raises(ValueError, match='no detector'):
        pipe.step(frames(1)[0])
    boxes = np.array([[5, 5, 40, 80], [50, 10, 90, 90]], np.float32)
    result = pipe.step(frames(1)[0], bboxes=boxes, bbox_scores=[0.5, 0.25])
    check_instances(result, n=2)
    np.testing.assert_array_equal(result.bboxes, boxes)
    np.testing.assert_array_equal(result.bbox_scores, [0.5, 0.25])


# ----------------------------------------------------------------------------- track ids
@PIPELINES.register_module(force=True)
class BoxCornerPoses:
    """A stand-in pose estimator for id tests: joints spread over the box, scores 1."""

    dataset_meta = dict(num_keypoints=K, sigmas=np.full(K, 0.1))

    def __call__(self, frame, bboxes, bbox_scores=None, crop_bboxes=None):
        b = np.asarray(bboxes, np.float32).reshape(-1, 4)
        t = np.linspace(0, 1, K, dtype=np.float32)[None, :, None]
        kpts = b[:, None, :2] + t * (b[:, None, 2:] - b[:, None, :2])
        return InstanceData(keypoints=kpts, keypoint_scores=np.ones((len(b), K), np.float32),
                            bboxes=b, bbox_scores=np.ones(len(b), np.float32))


def scripted_boxes(rng):
    """Person A walks the whole clip, B leaves after frame 3, C enters at frame 5."""
    out = []
    for t in range(8):
        boxes = [[10 + 3 * t, 10, 50 + 3 * t, 90]]  # A
        if t <= 3:
            boxes.append([200 - 2 * t, 20, 240 - 2 * t, 100])  # B
        if t >= 5:
            boxes.append([200 - 2 * t, 20, 240 - 2 * t, 100])  # C, where B was
        boxes = np.asarray(boxes, np.float32)
        out.append(boxes[rng.permutation(len(boxes))])  # detection order is arbitrary
    return out


@pytest.mark.parametrize('tracker', ['IoUTracker', 'OKSTracker'])
def test_track_ids_stable_unique_never_reused(tracker):
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='BoxCornerPoses'),
                                tracker=dict(type=tracker), pose_nms=dict(type='OKSNMS'))
    image = np.zeros((120, 320, 3), np.uint8)
    boxes = scripted_boxes(np.random.default_rng(0))
    results = pipe.run_video([image] * len(boxes), bboxes=boxes)

    def id_at(result, x_min):  # the id of the box that starts nearest to x_min
        return int(result.track_ids[np.argmin(np.abs(result.bboxes[:, 0] - x_min))])

    ids_a = {id_at(r, 10 + 3 * t) for t, r in enumerate(results)}
    assert len(ids_a) == 1  # stable
    id_b = {id_at(r, 200 - 2 * t) for t, r in enumerate(results[:4])}
    assert len(id_b) == 1
    id_c = {id_at(r, 200 - 2 * t) for t, r in enumerate(results[5:], start=5)}
    assert len(id_c) == 1
    assert len(ids_a | id_b | id_c) == 3  # C did not inherit B's (or A's) id
    for r in results:
        assert len(set(r.track_ids.tolist())) == len(r)
    # reset() starts a new video: the same clip gets the same ids again
    again = pipe.run_video([image] * len(boxes), bboxes=boxes)
    for a, b in zip(results, again):
        np.testing.assert_array_equal(a.track_ids, b.track_ids)
