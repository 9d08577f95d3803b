"""OKS-NMS: the kept set equals mmpose's own ``oks_nms`` on random inputs."""
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.evaluation.functional import oks_nms

import plugins  # noqa: F401
from plugins.registry import POSE_NMS

SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87,
                   .89, .89]) / 10.0


def random_poses(rng, n, k=17, clusters=4):
    """Poses clustered around a few people, so that many pairs overlap strongly."""
    centres = rng.uniform(50, 300, size=(clusters, 1, 2))
    shapes = rng.uniform(-40, 40, size=(clusters, k, 2))
    which = rng.integers(0, clusters, size=n)
    kpts = centres[which] + shapes[which] + rng.normal(0, rng.uniform(0.5, 15), (n, k, 2))
    lo, hi = kpts.min(1), kpts.max(1)
    bboxes = np.concatenate([lo - 5, hi + 5], axis=1)
    return InstanceData(
        keypoints=kpts.astype(np.float32),
        keypoint_scores=rng.uniform(0, 1, (n, k)).astype(np.float32),
        bboxes=bboxes.astype(np.float32),
        bbox_scores=rng.uniform(0.3, 1, n).astype(np.float32))


def mmpose_keep(inst, thr, vis_thr, score):
    kpts_db = []
    areas = (inst.bboxes[:, 2] - inst.bboxes[:, 0]) * (inst.bboxes[:, 3] - inst.bboxes[:, 1])
    for i in range(len(inst)):
        kpts = np.concatenate([inst.keypoints[i], inst.keypoint_scores[i][:, None]], 1)
        kpts_db.append(dict(keypoints=kpts, score=score[i], area=areas[i]))
    return np.asarray(oks_nms(kpts_db, thr, SIGMAS, vis_thr=vis_thr), np.int64)


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('thr,vis_thr', [(0.9, None), (0.5, None), (0.7, 0.3)])
def test_same_kept_set_as_mmpose(seed, thr, vis_thr):
    rng = np.random.default_rng(seed)
    inst = random_poses(rng, n=int(rng.integers(2, 40)))
    nms = POSE_NMS.build(dict(type='OKSNMS', sigmas=SIGMAS, threshold=thr,
                              keypoint_score_thr=vis_thr, score_mode='bbox_x_keypoint_mean'))
    score = inst.bbox_scores.astype(np.float64) * inst.keypoint_scores.mean(1)
    expected = mmpose_keep(inst, thr, vis_thr, score)
    kept = nms.keep_indices(inst)
    # same poses kept, in the same (score-descending) order
    np.testing.assert_array_equal(kept, expected)
    assert 0 < len(kept) <= len(inst)
    out = nms(inst)
    np.testing.assert_array_equal(out.keypoints, inst.keypoints[expected])
    assert np.all(np.diff(score[expected]) <= 0)


def test_suppresses_a_duplicate_and_keeps_a_distinct_pose():
    rng = np.random.default_rng(0)
    inst = random_poses(rng, n=1, clusters=1)
    a = inst.keypoints[0]
    kpts = np.stack([a, a + 0.5, a + 500])  # duplicate of a, far-away pose
    boxes = np.concatenate([kpts.min(1) - 5, kpts.max(1) + 5], 1)
    poses = InstanceData(keypoints=kpts, keypoint_scores=np.ones((3, 17), np.float32),
                         bboxes=boxes, bbox_scores=np.array([0.5, 0.9, 0.7], np.float32))
    out = POSE_NMS.build(dict(type='OKSNMS', sigmas=SIGMAS, score_mode='bbox'))(poses)
    # the more confident duplicate (index 1) wins; the distinct pose survives
    np.testing.assert_allclose(out.bbox_scores, [0.9, 0.7], rtol=1e-6)


def test_empty_frame_and_bad_shapes():
    nms = POSE_NMS.build(dict(type='OKSNMS', sigmas=SIGMAS))
    empty = InstanceData(keypoints=np.zeros((0, 17, 2), np.float32),
                         keypoint_scores=np.zeros((0, 17), np.float32),
                         bboxes=np.zeros((0, 4), np.float32),
                         bbox_scores=np.zeros(0, np.float32))
    out = nms(empty)
    assert len(out) == 0 and out.keypoints.shape == (0, 17, 2)
    wrong = InstanceData(keypoints=np.zeros((2, 15, 2), np.float32),
                         keypoint_scores=np.zeros((2, 15), np.float32))
    with pytest.raises(ValueError, match='one sigma per joint'):
        nms(wrong)
    with pytest.raises(ValueError, match='sigmas'):
        POSE_NMS.build(dict(type='OKSNMS'))
