"""Recovery of a person the detector dropped for one frame (real network code path)."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.registry import POSE_RECOVERY, TRACKERS
from scene import SIGMAS, K, colour_model, detections, pose_at, render


def recovery(**kwargs):
    cfg = dict(type='CorrespondenceRecovery', model=colour_model(), sigmas=SIGMAS,
               joint_threshold=0.4, min_joints=3, oks_threshold=0.5, affinity_window=1)
    cfg.update(kwargs)
    return POSE_RECOVERY.build(cfg)


def walking(num_frames=6):
    frames, truth = [], []
    for t in range(num_frames):
        people = {0: pose_at((20 + 4 * t, 30)), 1: pose_at((76 - 2 * t, 34))}
        frames.append(render(people, [0, 1]))
        truth.append(people)
    return frames, truth


class GroundTruthEstimator:
    """A stand-in top-down estimator: the true pose of the person whose centre lies in the
    box (scores 0.8), or a low-scored box-centre pose when nobody is there."""

    def __init__(self, people):
        self.people = people
        self.calls = []

    def __call__(self, frame, bboxes):
        self.calls.append(np.asarray(bboxes).copy())
        kpts, scores = [], []
        for x1, y1, x2, y2 in bboxes:
            inside = [p for p in self.people.values()
                      if x1 <= p.mean(0)[0] <= x2 and y1 <= p.mean(0)[1] <= y2]
            if inside:
                kpts.append(inside[0])
                scores.append(np.full(K, 0.8, np.float32))
            else:
                kpts.append(np.tile([(x1 + x2) / 2, (y1 + y2) / 2], (K, 1)))
                scores.append(np.full(K, 0.1, np.float32))
        return InstanceData(keypoints=np.asarray(kpts, np.float32).reshape(-1, K, 2),
                            keypoint_scores=np.asarray(scores, np.float32).reshape(-1, K))


def test_dropped_person_is_recovered_and_keeps_its_identity():
    frames, truth = walking()
    rec = recovery()
    trk = TRACKERS.build(dict(type='CorrespondenceTracker', model=colour_model(),
                              sigmas=SIGMAS, match_threshold=0.05, affinity_window=1))
    prev_frame = prev = None
    outputs = []
    for t, (frame, people) in enumerate(zip(frames, truth)):
        ids = [1] if t == 3 else [0, 1]  # person 0 missed by the detector at frame 3
        dets = detections([people[i] for i in ids], seed=t)
        estimator = GroundTruthEstimator(people)
        poses = rec.recover(prev_frame, prev, frame, dets, estimator)
        out = trk.update(frame, poses)
        outputs.append(out)
        prev_frame, prev = frame, out
        if t == 0:
            assert estimator.calls == []  # nothing to propagate on the first frame
    # frame 3: both persons present, person 0 recovered at its true pose, after the detection
    assert len(outputs[3]) == 2
    np.testing.assert_allclose(outputs[3].keypoints[1], truth[3][0], atol=1e-5)
    # one track per person through the whole video
    for t in range(len(frames)):
        assert sorted(outputs[t].track_ids.tolist()) == [0, 1]
    assert outputs[3].track_ids[1] == outputs[2].track_ids[0]


def test_recovery_box_encloses_the_propagated_pose():
    frames, truth = walking()
    rec = recovery(bbox_padding=1.0)
    prev = detections([truth[0][0], truth[0][1]], seed=0)
    pts, usable = rec.propagate(frames[0], prev, frames[1])
    assert usable.all()
    # colour features put every propagated joint within 1.5 map cells (6 px) of a joint of the
    # same person (joints of similar shade may be swapped, but stay on the person)
    for i in (0, 1):
        dist = np.linalg.norm(pts[i][:, None] - truth[1][i][None], axis=-1)
        assert dist.min(axis=1).max() <= 6.0
        assert np.linalg.norm(pts[i].mean(0) - truth[1][i].mean(0)) <= 4.0
    estimator = GroundTruthEstimator({0: truth[1][0]})
    rec.recover(frames[0], prev, frames[1], detections([truth[1][1]]), estimator)
    (boxes, ) = estimator.calls
    assert boxes.shape == (2, 4)
    lo, hi = truth[1][0].min(0), truth[1][0].max(0)
    assert np.all(boxes[0, :2] <= lo + 4) and np.all(boxes[0, 2:] >= hi - 4)


def test_oks_nms_keeps_detections_and_drops_duplicates():
    frames, truth = walking()
    rec = recovery()
    prev = detections([truth[0][0], truth[0][1]], seed=0)
    dets = detections([truth[1][0], truth[1][1]], seed=1)
    out = rec.recover(frames[0], prev, frames[1], dets, GroundTruthEstimator(truth[1]))
    # both re-estimated poses duplicate detections: nothing added, detections unchanged
    assert len(out) == 2
    np.testing.assert_array_equal(out.keypoints, dets.keypoints)
    # a vanished person (not in the frame) yields a low-scored pose far from any detection;
    # it is kept only if its estimate is not a duplicate: here there is no one to find
    empty_frame = render({1: truth[1][1]}, [1])
    out = rec.recover(frames[0], prev, empty_frame, detections([truth[1][1]]),
                      GroundTruthEstimator({1: truth[1][1]}))
    assert len(out) >= 1
    np.testing.assert_array_equal(out.keypoints[0], detections([truth[1][1]]).keypoints[0])


def test_nothing_to_recover_on_first_frame_or_empty_previous():
    frames, truth = walking()
    rec = recovery()
    dets = detections([truth[0][0]])
    est = GroundTruthEstimator(truth[0])
    assert len(rec.recover(None, None, frames[0], dets, est)) == 1
    empty = detections(np.zeros((0, K, 2)))
    assert len(rec.recover(frames[0], empty, frames[1], dets, est)) == 1
    out = rec.recover(frames[0], detections([truth[0][0]]), frames[1], empty,
                      GroundTruthEstimator(truth[1]))
    assert len(out) == 1 and out.keypoints.shape == (1, K, 2)
    assert est.calls == []


def test_estimator_count_mismatch_is_reported():
    frames, truth = walking()
    rec = recovery()
    with pytest.raises(ValueError, match='estimate_poses'):
        rec.recover(frames[0], detections([truth[0][0]]), frames[1], detections([]),
                    lambda f, b: InstanceData(keypoints=np.zeros((0, K, 2), np.float32),
                                              keypoint_scores=np.zeros((0, K), np.float32)))
