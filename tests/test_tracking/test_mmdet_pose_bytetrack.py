"""PoseByteTracker: mmdet's ByteTrack association with OKS on Kalman-predicted poses."""
import copy

import numpy as np
import pytest
from test_mmdet_tracker_adapter import CONFIGS, random_sequence
from tracking_test_sequences import POSETRACK_METAINFO, make_instances, pose_at

from plugins.registry import TRACKERS
from plugins.tracking.mmdet_pose_bytetrack import predict_poses
from plugins.utils.keypoint_similarity import pairwise_oks
from plugins.utils.metainfo import load_sigmas

POSE_BYTETRACK = dict(CONFIGS['bytetrack'], type='PoseByteTracker')
POSE_BYTETRACK['match_oks_thrs'] = POSE_BYTETRACK.pop('match_iou_thrs')


def build(cfg, **kwargs):
    return TRACKERS.build(dict(type='MMDetTrackerAdapter', tracker=copy.deepcopy(cfg),
                               metainfo=POSETRACK_METAINFO, **kwargs))


def test_predicted_pose_moves_and_scales_with_the_box():
    kpts = np.array([[[10., 20.], [30., 60.]]])  # in box (10, 20)-(30, 60): centre (20, 40)
    last = np.array([[10., 20., 30., 60.]])
    # predicted box: centre (120, 240), height 80, width 2 * 20 = 40 (aspect 0.5)
    pred = np.array([[120., 240., 0.5, 80.]])
    poses, boxes = predict_poses(kpts, last, pred)
    np.testing.assert_allclose(boxes, [[100., 200., 140., 280.]])
    # corners of the old box go to the corners of the new one
    np.testing.assert_allclose(poses, [[[100., 200.], [140., 280.]]])


def test_iou_weight_one_reproduces_mmdet_bytetrack():
    """With the similarity set to the IoU of the predicted box, the pose tracker is mmdet's
    ByteTracker: the same ids on the same detections."""
    cfg = dict(POSE_BYTETRACK, iou_weight=1.0)
    for seed in (0, 4):
        seq = random_sequence(num_frames=50, seed=seed)
        ours, ref = build(cfg), build(CONFIGS['bytetrack'])
        ours.reset()
        ref.reset()
        for inst, _ in seq:
            a, b = ours.update(None, inst), ref.update(None, inst)
            np.testing.assert_array_equal(a.bboxes, b.bboxes)
            np.testing.assert_array_equal(a.track_ids, b.track_ids)


def test_oks_similarity_matches_the_closed_form():
    tracker = build(POSE_BYTETRACK)
    tracker.reset()
    a = make_instances([pose_at(100, 100)])
    tracker.update(None, a)  # frame 0: a confirmed track, Kalman state at the box
    inner = tracker.inner
    det = make_instances([pose_at(104, 102), pose_at(300, 100)])
    inner.set_frame_poses(det.bboxes, det.bbox_scores, det.keypoints, det.keypoint_scores)
    import torch
    sim = inner.pose_similarity([0], torch.from_numpy(det.bboxes),
                                torch.from_numpy(det.bbox_scores))
    # the Kalman state of a track seen once is its box: the predicted pose is the last pose
    sigmas = load_sigmas(POSETRACK_METAINFO)
    area_a = float((a.bboxes[0, 2:] - a.bboxes[0, :2]).prod())
    areas_b = (det.bboxes[:, 2:] - det.bboxes[:, :2]).prod(1)
    d2 = ((a.keypoints[0][None] - det.keypoints) ** 2).sum(-1)  # (2, K)
    scale = (area_a + areas_b[:, None]) / 2
    expected = np.exp(-d2 / (2 * scale * (2 * sigmas) ** 2)).mean(-1)
    np.testing.assert_allclose(sim[0], expected, rtol=1e-5)
    np.testing.assert_allclose(sim, pairwise_oks(a.keypoints, det.keypoints, sigmas,
                                                 [area_a], areas_b=areas_b), rtol=1e-5)


def test_missing_joints_are_left_out():
    tracker = build(POSE_BYTETRACK)
    tracker.reset()
    a = make_instances([pose_at(100, 100)])
    tracker.update(None, a)
    det = make_instances([pose_at(100, 100)])
    det.keypoints[0, :8] = 0  # joints at (0, 0) with score 0: PoseTrack's missing joints
    det.keypoint_scores[0, :8] = 0
    inner = tracker.inner
    inner.set_frame_poses(det.bboxes, det.bbox_scores, det.keypoints, det.keypoint_scores)
    import torch
    sim = inner.pose_similarity([0], torch.from_numpy(det.bboxes),
                                torch.from_numpy(det.bbox_scores))
    assert sim[0, 0] == pytest.approx(1.0)


def test_oks_keeps_the_person_where_box_iou_takes_a_false_positive():
    """Hand case: a person walks right; in frame 6 the detector puts its pose 25 px off and
    adds a false positive exactly in the predicted box but upside down. IoU (ByteTrack) gives
    the track to the false positive, so the person gets a new id for a frame; the OKS of the
    joints keeps the person."""
    frames = []
    for t in range(10):
        x = 100 + 5 * t
        poses = [pose_at(x + (25 if t == 6 else 0), 100, 80, 200)]
        if t == 6:
            fp = pose_at(x, 100, 80, 200)
            fp[:, 1] = 400 - fp[:, 1]  # the same box, the joints flipped vertically
            poses.append(fp)
        frames.append(make_instances(poses))
    ids = {}
    for name, cfg in (('iou', CONFIGS['bytetrack']), ('oks', POSE_BYTETRACK)):
        tracker = build(cfg)
        tracker.reset()
        ids[name] = [int(tracker.update(None, f).track_ids[0]) for f in frames]
    assert ids['oks'] == [0] * 10
    assert ids['iou'] == [0] * 6 + [1] + [0] * 3


def test_needs_matching_sigmas():
    tracker = build(POSE_BYTETRACK)
    tracker.reset()
    inst = make_instances([np.zeros((5, 2), np.float32)], num_keypoints=5)
    with pytest.raises(ValueError, match='sigmas'):
        tracker.update(None, inst)
    with pytest.raises(ValueError, match='match_oks_thrs'):
        build(dict(POSE_BYTETRACK, match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3)))


def test_sigmas_follow_the_pipeline_dataset_meta():
    tracker = TRACKERS.build(dict(type='MMDetTrackerAdapter', tracker=copy.deepcopy(
        POSE_BYTETRACK)))
    assert len(tracker.inner.sigmas) == 17  # COCO's by default
    tracker.dataset_meta = dict(sigmas=np.full(5, 0.05))
    np.testing.assert_allclose(tracker.inner.sigmas, 0.05)
    configured = build(POSE_BYTETRACK)
    configured.dataset_meta = dict(sigmas=np.full(5, 0.05))
    assert len(configured.inner.sigmas) == 17  # the configured metainfo wins
