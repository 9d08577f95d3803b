"""Seeded detector-like degradation of ground-truth poses."""
import numpy as np
import pytest
from mmengine.structures import InstanceData
from tracking_test_sequences import pose_at

from plugins.tracking.pose_degradation import DEGRADATION_PRESETS, PoseDegradation


def gt_video(num_frames=200, num_persons=4):
    """Persons 100x200 px standing still; joint 0 of person 3 is never annotated."""
    frames = []
    for _ in range(num_frames):
        inst = InstanceData()
        kpts = np.stack([pose_at(150 * p, 50) for p in range(num_persons)])
        vis = np.ones(kpts.shape[:2], np.float32)
        vis[3, 0] = 0
        kpts[3, 0] = 0
        inst.keypoints = kpts
        inst.keypoint_scores = vis
        inst.bboxes = np.array([[150 * p, 50, 150 * p + 100, 250] for p in range(num_persons)],
                               np.float32)
        inst.track_ids = np.arange(num_persons) + 10
        frames.append(inst)
    return frames


def test_none_preset_is_identity():
    video = gt_video(5)
    out = DEGRADATION_PRESETS['none'](video, np.random.default_rng(0))
    for src, dst in zip(video, out):
        np.testing.assert_array_equal(dst.keypoints, src.keypoints)
        np.testing.assert_array_equal(dst.keypoint_scores, src.keypoint_scores)
        np.testing.assert_array_equal(dst.bboxes, src.bboxes)
        np.testing.assert_array_equal(dst.gt_track_ids, src.track_ids)
        assert 'track_ids' not in dst


def test_seed_fixes_result_and_presets_are_complete():
    video = gt_video(20)
    deg = PoseDegradation.from_preset('heavy')
    a = deg(video, np.random.default_rng(5))
    b = deg(video, np.random.default_rng(5))
    c = deg(video, np.random.default_rng(6))
    assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, b))
    assert not all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, c)
                   if len(x) == len(y))
    assert set(DEGRADATION_PRESETS) >= {'none', 'light', 'medium', 'heavy'}
    assert PoseDegradation.from_preset('light', jitter=0.5).jitter == 0.5
    with pytest.raises(ValueError, match='unknown degradation preset'):
        PoseDegradation.from_preset('extreme')


def test_jitter_and_offset_statistics():
    video = gt_video(400)
    deg = PoseDegradation(jitter=0.03, offset=0.02)
    out = deg(video, np.random.default_rng(0))
    size = np.sqrt(100 * 200)
    err = np.stack([o.keypoints - v.keypoints for o, v in zip(out, video)])  # (F, P, K, 2)
    err = err[:, :3]  # persons with every joint annotated
    # per-joint error = shared person shift + own noise: variance adds
    assert err.std() == pytest.approx(size * np.hypot(0.03, 0.02), rel=0.05)
    # the person shift is common to all joints: the joint-mean error has the offset's std
    # plus the noise std / sqrt(K)
    assert err.mean(axis=2).std() == pytest.approx(size * np.hypot(0.02, 0.03 / 17**0.5),
                                                   rel=0.08)
    # unannotated joints are not moved and stay unscored
    np.testing.assert_array_equal(np.stack([o.keypoints[3, 0] for o in out]), 0)
    assert all(o.keypoint_scores[3, 0] == 0 for o in out)


def test_drops_are_runs_of_bounded_length():
    video = gt_video(500)
    deg = PoseDegradation(drop_rate=0.05, max_drop_frames=3)
    out = deg(video, np.random.default_rng(1))
    present = np.array([[pid in o.gt_track_ids for pid in range(10, 14)] for o in out])
    for col in present.T:
        runs, length = [], 0
        for p in col:
            if not p:
                length += 1
            elif length:
                runs.append(length)
                length = 0
        assert runs and max(runs) <= 3
    # renewal argument: present stretches last (1 - r) / r frames on average, runs 2 frames
    # -> missing fraction 2 / (2 + (1 - r) / r) = 2r / (1 + r)
    missing = 1 - present.mean()
    assert missing == pytest.approx(0.1 / 1.05, abs=0.025)


def test_false_positives_shuffle_and_scores():
    video = gt_video(400)
    deg = PoseDegradation(false_positives=0.5, shuffle=True, score_range=(0.5, 1.0),
                          joint_drop=0.1)
    out = deg(video, np.random.default_rng(2), extent=(0, 0, 640, 480))
    fps = np.array([(o.gt_track_ids == -1).sum() for o in out])
    assert fps.mean() == pytest.approx(0.5, abs=0.1)  # Poisson mean
    fp_kpts = np.concatenate([o.keypoints[o.gt_track_ids == -1] for o in out])
    fp_scores = np.concatenate([o.keypoint_scores[o.gt_track_ids == -1] for o in out])
    assert ((fp_scores == 0) | ((fp_scores >= 0.2) & (fp_scores <= 0.6))).all()
    centres = fp_kpts.mean(1)
    assert (centres > -100).all() and (centres[:, 0] < 740).all()
    true_scores = np.concatenate([o.keypoint_scores[o.gt_track_ids >= 0] for o in out])
    all_kpts = np.concatenate([o.keypoints for o in out])
    all_scores = np.concatenate([o.keypoint_scores for o in out])
    assert (all_kpts[all_scores == 0] == 0).all(), 'missed joints must be (0, 0)'
    assert (true_scores == 0).mean() == pytest.approx(0.1 + 0.9 / 68, abs=0.02)
    orders = {tuple(o.gt_track_ids[o.gt_track_ids >= 0]) for o in out}
    assert len(orders) > 10, 'shuffle must permute the persons'
    for o in out:  # bbox_scores are the mean of the scored joints
        valid = o.keypoint_scores > 0
        expected = (o.keypoint_scores * valid).sum(1) / np.maximum(valid.sum(1), 1)
        np.testing.assert_allclose(o.bbox_scores, expected, rtol=1e-5)


def test_empty_frames_and_bad_parameters():
    video = gt_video(3)
    empty = InstanceData()
    empty.keypoints = np.zeros((0, 17, 2), np.float32)
    empty.keypoint_scores = np.zeros((0, 17), np.float32)
    empty.bboxes = np.zeros((0, 4), np.float32)
    empty.track_ids = np.zeros(0, np.int64)
    out = PoseDegradation.from_preset('medium')([video[0], empty, video[1]],
                                                np.random.default_rng(0))
    assert len(out) == 3 and out[1].keypoints.shape[1:] == (17, 2)
    assert PoseDegradation.from_preset('heavy')([], np.random.default_rng(0)) == []
    with pytest.raises(ValueError, match='drop_rate'):
        PoseDegradation(drop_rate=1.5)
    with pytest.raises(ValueError, match='score_range'):
        PoseDegradation(score_range=(0.0, 1.0))
    bad = InstanceData()
    bad.keypoints = np.zeros((1, 17, 2))
    with pytest.raises(ValueError, match='keypoint_scores'):
        PoseDegradation()([bad], np.random.default_rng(0))
