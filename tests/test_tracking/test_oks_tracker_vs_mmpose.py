"""OKSTracker / IoUTracker reproduce mmpose's own tracking functions on the same input.

The reference is ``mmpose.apis.inference_tracking._track_by_oks`` / ``_track_by_iou`` driven the
way mmpose's ``Pose3DInferencer`` drives them: every detection of a frame, in order, is matched
against the remaining persons of the previous frame; an unmatched detection gets the next id.
"""
from typing import List

import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.apis.inference_tracking import _track_by_iou, _track_by_oks
from mmpose.structures import PoseDataSample
from tracking_test_sequences import POSETRACK_METAINFO, UNIT_POSE

from plugins.registry import TRACKERS
from plugins.tracking.oks_tracker import load_sigmas


def random_sequence(seed: int, num_frames: int = 40, num_persons: int = 7) -> List[InstanceData]:
    """Persons walking at random in a small area (close enough to compete for matches),
    appearing and disappearing, with joint noise, detections in random order."""
    rng = np.random.default_rng(seed)
    size = rng.uniform([50, 100], [110, 220], (num_persons, 2))
    pos = rng.uniform(0, 300, (num_persons, 2))
    vel = rng.uniform(-9, 9, (num_persons, 2))
    frames = []
    for _ in range(num_frames):
        pos += vel + rng.normal(0, 2, pos.shape)
        present = np.flatnonzero(rng.random(num_persons) > 0.15)
        rng.shuffle(present)
        kpts = (UNIT_POSE[None] * size[present, None] + pos[present, None]
                + rng.normal(0, 3, (len(present), 17, 2)))
        inst = InstanceData()
        inst.keypoints = kpts.astype(np.float32)
        inst.keypoint_scores = rng.uniform(0.3, 1, (len(present), 17)).astype(np.float32)
        inst.bboxes = np.concatenate([kpts.min(1), kpts.max(1)], axis=1).astype(np.float32)
        inst.bbox_scores = np.ones(len(present), np.float32)
        frames.append(inst)
    return frames


def mmpose_track_ids(frames: List[InstanceData], use_oks: bool, sigmas: np.ndarray,
                     thr: float = 0.3) -> List[List[int]]:
    """Track ids from mmpose's functions (the loop of ``Pose3DInferencer``)."""
    results_last, next_id, out = [], 0, []
    for inst in frames:
        results = []
        for i in range(len(inst)):
            pred = InstanceData()
            pred.keypoints = inst.keypoints[i:i + 1]
            pred.keypoint_scores = inst.keypoint_scores[i:i + 1]
            pred.bboxes = inst.bboxes[i:i + 1]
            box = inst.bboxes[i]
            pred.areas = np.array([(box[2] - box[0]) * (box[3] - box[1])])
            results.append(PoseDataSample(pred_instances=pred))
        candidates, ids = list(results_last), []
        for res in results:
            if use_oks:
                track_id, candidates, _ = _track_by_oks(res, candidates, thr, sigmas)
            else:
                track_id, candidates, _ = _track_by_iou(res, candidates, thr)
            if track_id == -1:
                # mmpose drops persons with < 3 non-zero keypoints; none here
                assert np.count_nonzero(res.pred_instances.keypoints[..., 1]) >= 3
                track_id, next_id = next_id, next_id + 1
            res.set_field(track_id, 'track_id')
            ids.append(track_id)
        results_last = results
        out.append(ids)
    return out


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_oks_tracker_equals_mmpose(seed):
    frames = random_sequence(seed)
    sigmas = load_sigmas(POSETRACK_METAINFO)
    expected = mmpose_track_ids(frames, use_oks=True, sigmas=sigmas)
    tracker = TRACKERS.build(dict(type='OKSTracker', metainfo=POSETRACK_METAINFO))
    got = [tracker.update(None, f).track_ids.tolist() for f in frames]
    assert got == expected
    # the case is not trivial: ids were both continued and started, and some persons that
    # were present in consecutive frames still lost their id
    assert 7 < max(max(ids) for ids in expected if ids) < 7 * 40 / 2


@pytest.mark.parametrize('seed', [3, 4])
def test_iou_tracker_sequential_equals_mmpose(seed):
    frames = random_sequence(seed)
    expected = mmpose_track_ids(frames, use_oks=False, sigmas=None)
    tracker = TRACKERS.build(dict(type='IoUTracker', assignment='sequential', max_age=1))
    got = [tracker.update(None, f).track_ids.tolist() for f in frames]
    assert got == expected


def test_greedy_differs_from_mmpose_order_somewhere():
    """Sanity check that the comparison above can fail: another assignment order changes ids."""
    sigmas = load_sigmas(POSETRACK_METAINFO)
    differs = False
    for seed in range(6):
        frames = random_sequence(seed, num_persons=10)
        expected = mmpose_track_ids(frames, use_oks=True, sigmas=sigmas)
        tracker = TRACKERS.build(dict(type='OKSTracker', metainfo=POSETRACK_METAINFO,
                                      assignment='hungarian'))
        got = [tracker.update(None, f).track_ids.tolist() for f in frames]
        differs |= got != expected
    assert differs
