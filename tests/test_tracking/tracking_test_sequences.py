"""Constructed pose sequences with known identities, shared by the tracker tests."""
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from mmengine.structures import InstanceData

#: mmpose's PoseTrack18 metainfo (17 joints); sigmas are read from it by the OKS trackers.
POSETRACK_METAINFO = 'configs/_base_/datasets/posetrack18.py'

# A standing person in a unit box (x right, y down), PoseTrack18 joint order:
# nose, head_bottom, head_top, l_ear, r_ear, l_shoulder, r_shoulder, l_elbow, r_elbow, l_wrist,
# r_wrist, l_hip, r_hip, l_knee, r_knee, l_ankle, r_ankle.
UNIT_POSE = np.array([
    [0.50, 0.10], [0.50, 0.17], [0.50, 0.00], [0.58, 0.08], [0.42, 0.08], [0.75, 0.22],
    [0.25, 0.22], [0.85, 0.40], [0.15, 0.40], [0.90, 0.55], [0.10, 0.55], [0.65, 0.55],
    [0.35, 0.55], [0.65, 0.78], [0.35, 0.78], [0.65, 1.00], [0.35, 1.00]], np.float32)


def pose_at(x: float, y: float, width: float = 100., height: float = 200.) -> np.ndarray:
    """(17, 2) pose whose box has top-left ``(x, y)`` and the given size."""
    return UNIT_POSE * np.float32([width, height]) + np.float32([x, y])


def make_instances(poses: Sequence[np.ndarray], num_keypoints: int = 17) -> InstanceData:
    """``InstanceData`` of poses with all joints scored 1 and tight boxes."""
    inst = InstanceData()
    kpts = np.asarray(poses, np.float32).reshape(-1, num_keypoints, 2)
    inst.keypoints = kpts
    inst.keypoint_scores = np.ones(kpts.shape[:2], np.float32)
    inst.bboxes = (np.concatenate([kpts.min(1), kpts.max(1)], axis=1) if len(kpts)
                   else np.zeros((0, 4), np.float32))
    inst.bbox_scores = np.ones(len(kpts), np.float32)
    return inst


def crossing_sequence(num_frames: int = 31, step: float = 4.0, dy: float = 40.0,
                      occluded: Sequence[int] = ()) -> List[Tuple[InstanceData, np.ndarray]]:
    """Two persons walking towards each other and crossing (their boxes overlap heavily).

    Person 0 walks right, person 1 walks left ``dy`` pixels lower; they are at the same ``x``
    in the middle frame. Person 1 is missing (occluded) in the frames listed in ``occluded``.
    The detection order alternates between frames so that no tracker can rely on it.

    Returns:
        Per frame ``(instances, gt_ids)``.
    """
    seq = []
    for t in range(num_frames):
        xa = 60 + step * t
        xb = 60 + step * (num_frames - 1 - t)
        poses, ids = [pose_at(xa, 100)], [0]
        if t not in occluded:
            poses.append(pose_at(xb, 100 + dy))
            ids.append(1)
        if t % 2:
            poses, ids = poses[::-1], ids[::-1]
        seq.append((make_instances(poses), np.array(ids)))
    return seq


def run_tracker(tracker, seq, frames: Optional[Sequence[np.ndarray]] = None
                ) -> List[np.ndarray]:
    """Feed a sequence to a tracker; returns the predicted ids per frame."""
    tracker.reset()
    out = []
    for t, (inst, _) in enumerate(seq):
        res = tracker.update(None if frames is None else frames[t], inst)
        assert res.track_ids.dtype == np.int64 and res.track_ids.shape == (len(inst), )
        out.append(res.track_ids)
    return out


def identity_map(pred_ids: Sequence[np.ndarray], gt_ids: Sequence[np.ndarray]
                 ) -> Dict[int, Set[int]]:
    """For every ground-truth identity, the set of predicted ids it was given."""
    mapping: Dict[int, Set[int]] = {}
    for pred, gt in zip(pred_ids, gt_ids):
        for p, g in zip(pred, gt):
            mapping.setdefault(int(g), set()).add(int(p))
    return mapping


def assert_identities_kept(pred_ids, gt_ids) -> None:
    """Each person kept one predicted id for the whole sequence, and ids differ per person."""
    mapping = identity_map(pred_ids, gt_ids)
    assert all(len(v) == 1 for v in mapping.values()), f'identity switched: {mapping}'
    flat = [next(iter(v)) for v in mapping.values()]
    assert len(set(flat)) == len(flat), f'two persons share an id: {mapping}'
