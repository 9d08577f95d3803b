"""Parametric pose NMS on hand-built cases, against hand-computed values and the loop reference."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

from plugins.post_processing.parametric_pose_nms import (PoseNMSParams, parametric_pose_nms,
                                                         similarity_to_reference)
from plugins.post_processing.pose_nms_presets import pose_nms_preset
from .pose_nms_reference import parametric_pose_nms_loop
from plugins.registry import POSE_NMS

K = 17
ALPHAPOSE = PoseNMSParams(**pose_nms_preset('alphapose'))
PAPER = PoseNMSParams(**pose_nms_preset('paper'))


def person(x0: float, y0: float, seed: int) -> np.ndarray:
    """A (K, 2) pose spread over a ~60 x 120 px box at (x0, y0)."""
    rng = np.random.default_rng(seed)
    return np.stack([x0 + rng.uniform(0, 60, K), y0 + rng.uniform(0, 120, K)], 1)


def box_of(kpts: np.ndarray, pad: float = 10) -> np.ndarray:
    return np.concatenate([kpts.min(0) - pad, kpts.max(0) + pad])


def two_people_with_duplicates():
    """Person A (3 candidates) at x=50, person B (2 candidates) at x=400."""
    a, b = person(50, 50, 0), person(400, 60, 1)
    kpts = np.stack([a, a + 0.4, b, a - 0.3, b + 0.5])
    scores = np.full((5, K), 0.5)
    scores[0] = 0.9  # most confident copy of A
    scores[2] = 0.8  # most confident copy of B
    scores[3] = 0.6
    boxes = np.stack([box_of(k) for k in kpts])
    return kpts, scores, boxes


@pytest.mark.parametrize('params', [ALPHAPOSE, PAPER], ids=['alphapose', 'paper'])
def test_duplicates_are_merged_and_distinct_people_kept(params):
    kpts, scores, boxes = two_people_with_duplicates()
    res = parametric_pose_nms(kpts, scores, boxes, None, params)
    assert sorted(res.keep.tolist()) == [0, 2]
    ga, gb = res.groups[0], res.groups[2]
    assert ga != gb and ga >= 0 and gb >= 0
    assert res.groups.tolist() == [ga, ga, gb, ga, gb]
    # score-weighted merge (all joints within the merge radius), by hand
    out_a = res.keypoints[ga]
    w = np.array([0.9, 0.5, 0.6])
    expected_a = (w[:, None, None] * kpts[[0, 1, 3]]).sum(0) / w.sum()
    np.testing.assert_allclose(out_a, expected_a, atol=1e-9)
    np.testing.assert_allclose(res.keypoint_scores[ga], np.full(K, (w**2).sum() / w.sum()))
    assert np.all(np.diff(res.scores) <= 0)  # sorted by confidence


def test_empty_input():
    for params in (ALPHAPOSE, PAPER):
        res = parametric_pose_nms(np.zeros((0, K, 2)), np.zeros((0, K)), np.zeros((0, 4)),
                                  None, params)
        assert res.keep.shape == (0, ) and res.keypoints.shape == (0, K, 2)
        assert res.keypoint_scores.shape == (0, K) and res.scores.shape == (0, )
    nms = POSE_NMS.build(dict(type='ParametricPoseNMS'))
    empty = InstanceData(keypoints=np.zeros((0, K, 2), np.float32),
                         keypoint_scores=np.zeros((0, K), np.float32),
                         bboxes=np.zeros((0, 4), np.float32), bbox_scores=np.zeros(0, np.float32))
    out = nms(empty)
    assert len(out) == 0 and out.keypoints.shape == (0, K, 2) and out.scores.shape == (0, )


@pytest.mark.parametrize('params', [ALPHAPOSE, PAPER], ids=['alphapose', 'paper'])
def test_single_pose_is_returned_unchanged(params):
    kpts = person(10, 20, 3)[None]
    scores = np.linspace(0.35, 0.95, K)[None]
    res = parametric_pose_nms(kpts, scores, box_of(kpts[0])[None], np.array([0.7]), params)
    assert res.keep.tolist() == [0] and res.groups.tolist() == [0]
    np.testing.assert_allclose(res.keypoints[0], kpts[0])
    np.testing.assert_allclose(res.keypoint_scores[0], scores[0])  # s^2 / s = s
    if params.output_score == 'alphapose':  # mean + bbox score + 1.25 max
        assert res.scores[0] == pytest.approx(scores.mean() + 0.7 + 1.25 * 0.95)


def test_all_zero_scores():
    kpts, scores, boxes = two_people_with_duplicates()
    zeros = np.zeros_like(scores)
    # AlphaPose numerics: zero -> 1e-5, below the 0.3 score threshold: nothing survives
    res = parametric_pose_nms(kpts, zeros, boxes, None, ALPHAPOSE)
    assert len(res.keep) == 0 and (res.groups == -1).all()
    # paper form (no score threshold): the spatial term still merges the duplicates, with
    # equal weights (plain mean) and finite output
    res = parametric_pose_nms(kpts, zeros, boxes, None, PAPER)
    assert sorted(res.keep.tolist()) == [0, 2]
    assert np.isfinite(res.keypoints).all() and np.isfinite(res.scores).all()
    ga = res.groups[0]
    np.testing.assert_allclose(res.keypoints[ga], kpts[[0, 1, 3]].mean(0), atol=1e-9)
    # without the epsilon the merge falls back to the reference's joints
    res = parametric_pose_nms(kpts, zeros, boxes, None, PAPER.replace(zero_score_eps=0.0))
    np.testing.assert_allclose(res.keypoints[res.groups[0]], kpts[0])
    assert np.isfinite(res.keypoint_scores).all()


def test_alphapose_similarity_matches_the_hand_computed_formula():
    """B = A shifted by d pixels on every joint: K_sim counts only joints within 1 px,
    H_sim = 17 exp(-d / 2.65), d(A, B) = K_sim + 1.7 H_sim; eliminated iff > 22.48."""
    a = person(0, 0, 4)
    box = box_of(a)
    no_match = ALPHAPOSE.replace(match_thr=None)
    conf = np.tanh(np.full((2, K), 0.9) / 1.0)
    for d, k_sim in ((0.9, K * np.tanh(0.9)**2), (1.5, 0.0), (0.3, K * np.tanh(0.9)**2)):
        kpts = np.stack([a, a + [d / np.sqrt(2), d / np.sqrt(2)]])
        sim, matches, dist = similarity_to_reference(0, np.array([1]), kpts, conf,
                                                     np.stack([box, box]), no_match)
        expected = k_sim + 1.7 * K * np.exp(-d / 2.65)
        assert sim[0] == pytest.approx(expected)
        np.testing.assert_allclose(dist[0], d)
        res = parametric_pose_nms(kpts, np.full((2, K), 0.9), np.stack([box, box]), None,
                                  no_match)
        assert len(res.keep) == (1 if expected > 22.48 else 2)
    # d = 0.9: 17 tanh(.9)^2 + 1.7 * 17 exp(-.9 / 2.65) = 29.3 > 22.48; d = 1.5: 16.4 < 22.48
    # the match rule: >= 5 joints within min(0.1 max(w, h), 7) px eliminates anyway
    kpts = np.stack([a, a + [3.0, 0.0]])
    res = parametric_pose_nms(kpts, np.full((2, K), 0.9), np.stack([box, box]), None,
                              ALPHAPOSE)
    assert len(res.keep) == 1
    res = parametric_pose_nms(kpts, np.full((2, K), 0.9), np.stack([box, box]), None, no_match)
    assert len(res.keep) == 2


def test_merge_radius_is_capped_at_15_pixels():
    a = person(0, 0, 5)
    b = a.copy()
    b[0] += [20.0, 0.0]  # one joint 20 px away: outside min(0.1 * max(w, h), 15) = 14 px
    b[1] += [10.0, 0.0]  # one joint 10 px away: merged
    big = np.array([0, 0, 140, 140.0])  # 0.1 * 140 = 14 px
    res = parametric_pose_nms(np.stack([a, b]), np.stack([np.full(K, 0.9), np.full(K, 0.6)]),
                              np.stack([big, big]), None, ALPHAPOSE)
    assert res.keep.tolist() == [0] and res.groups.tolist() == [0, 0]
    np.testing.assert_allclose(res.keypoints[0, 0], a[0])  # far joint ignored
    np.testing.assert_allclose(res.keypoints[0, 1], a[1] + [0.4 * 10.0, 0.0])  # 0.6/1.5 of 10
    assert res.keypoint_scores[0, 0] == pytest.approx(0.9)
    assert res.keypoint_scores[0, 1] == pytest.approx((0.81 + 0.36) / 1.5)


def test_paper_ksim_window_is_a_tenth_of_the_reference_box():
    a = person(0, 0, 6)
    box = np.array([0, 0, 100, 200.0])  # window half sizes: 5 px (x), 10 px (y)
    p = PAPER.replace(lam=0.0, eta=-1.0)
    conf = np.full((3, K), np.tanh(1.0))
    kpts = np.stack([a, a + [4.9, 9.9], a + [5.1, 0.0]])
    sim, _, _ = similarity_to_reference(0, np.array([1, 2]), kpts, conf, np.stack([box] * 3), p)
    np.testing.assert_allclose(sim, [K * np.tanh(1.0)**2, 0.0])


@pytest.mark.parametrize('preset', ['alphapose', 'paper'])
@pytest.mark.parametrize('seed', range(4))
def test_vectorised_equals_the_per_pose_loop(preset, seed):
    rng = np.random.default_rng(seed)
    people = rng.integers(1, 6)
    centres = rng.uniform(0, 300, (people, 2))
    who = rng.integers(0, people, 30)
    kpts = centres[who][:, None] + rng.normal(0, 25, (people, K, 2))[who] + rng.normal(
        0, 2.5, (30, K, 2))
    scores = rng.uniform(0, 1, (30, K))
    scores[rng.uniform(size=(30, K)) < 0.1] = 0
    boxes = np.concatenate([kpts.min(1) - 5, kpts.max(1) + 5], 1)
    params = PoseNMSParams(**pose_nms_preset(preset))
    if seed % 2:  # also other parameter values
        params = params.replace(sigma1=0.5, lam=params.lam * 1.3, eta=params.eta * 0.8)
    bbox_scores = rng.uniform(0, 1, 30)
    a = parametric_pose_nms(kpts, scores, boxes, bbox_scores, params)
    b = parametric_pose_nms_loop(kpts, scores, boxes, bbox_scores, params)
    assert 1 <= len(a.keep) < 30 or params.score_thr is not None
    np.testing.assert_array_equal(a.keep, b.keep)
    np.testing.assert_array_equal(a.groups, b.groups)
    np.testing.assert_allclose(a.keypoints, b.keypoints, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(a.keypoint_scores, b.keypoint_scores, rtol=1e-12)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-12)


def test_registered_stage_keeps_fields_and_sorts():
    kpts, scores, boxes = two_people_with_duplicates()
    inst = InstanceData(keypoints=kpts.astype(np.float32),
                        keypoint_scores=scores.astype(np.float32),
                        bboxes=boxes.astype(np.float32),
                        bbox_scores=np.array([0.9, 0.8, 0.99, 0.7, 0.6], np.float32),
                        det_ids=np.arange(5))
    nms = POSE_NMS.build(dict(type='ParametricPoseNMS', preset='alphapose'))
    out = nms(inst)
    assert len(out) == 2 and out.keypoints.dtype == np.float32
    assert np.all(np.diff(out.scores) <= 0)
    assert sorted(out.det_ids.tolist()) == [0, 2]
    # B's reference has the higher box score, which AlphaPose's confidence adds
    assert out.det_ids.tolist() == [2, 0]
    with pytest.raises(TypeError, match='bogus'):
        POSE_NMS.build(dict(type='ParametricPoseNMS', bogus=1))
    with pytest.raises(ValueError, match='preset'):
        POSE_NMS.build(dict(type='ParametricPoseNMS', preset='nope'))
    with pytest.raises(KeyError, match='bboxes'):
        nms(InstanceData(keypoints=kpts, keypoint_scores=scores))
    with pytest.raises(ValueError, match='keypoint_scores'):
        nms(InstanceData(keypoints=kpts, keypoint_scores=scores[:, :3], bboxes=boxes))
