"""Detector-like, seeded degradation of ground-truth pose sequences (for tracker analysis).

Ground-truth poses are turned into what a pose detector might output, so that trackers can be
compared on real tracks without running a detector: joints jitter, whole persons shift, persons
disappear for a few frames, false positives appear, joints are missed and the order of the
persons in a frame is shuffled. All randomness comes from the ``rng`` passed in, so a seed fixes
the result.
"""
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.structures import InstanceData


@dataclass(frozen=True)
class PoseDegradation:
    """Parameters of the degradation; lengths are fractions of the person size.

    The person size is ``sqrt`` of the ground-truth box area.

    Args:
        jitter: std of independent Gaussian noise on every joint (and box side).
        offset: std of one Gaussian shift per person and frame, shared by all its joints.
        drop_rate: probability, per visible person and frame, that the person starts to be
            missed; a miss lasts a uniformly drawn ``1..max_drop_frames`` frames.
        max_drop_frames: longest miss.
        false_positives: mean number (Poisson) of false-positive poses per frame: real poses of
            the same video, moved to a random place of the frame, with lower scores.
        joint_drop: probability that a visible joint of a true person is missed. Missed and
            unannotated joints are output as PoseTrack files mark a missing joint: ``(0, 0)``
            with score 0.
        shuffle: randomly permute the persons of each frame.
        score_range: joint scores of true persons are drawn uniformly from this range.
        fp_score_range: joint scores of false positives are drawn from this range.
    """

    jitter: float = 0.0
    offset: float = 0.0
    drop_rate: float = 0.0
    max_drop_frames: int = 1
    false_positives: float = 0.0
    joint_drop: float = 0.0
    shuffle: bool = False
    score_range: Tuple[float, float] = (1.0, 1.0)
    fp_score_range: Tuple[float, float] = (0.2, 0.6)

    def __post_init__(self) -> None:
        for name in ('jitter', 'offset', 'false_positives'):
            if getattr(self, name) < 0:
                raise ValueError(f'PoseDegradation.{name} must be >= 0, got {getattr(self, name)}')
        for name in ('drop_rate', 'joint_drop'):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f'PoseDegradation.{name} must be in [0, 1], got '
                                 f'{getattr(self, name)}')
        if self.max_drop_frames < 1:
            raise ValueError(f'max_drop_frames must be >= 1, got {self.max_drop_frames}')
        for name in ('score_range', 'fp_score_range'):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi <= 1:
                raise ValueError(f'{name} must satisfy 0 < low <= high <= 1, got {(lo, hi)}')

    @classmethod
    def from_preset(cls, name: str, **overrides) -> 'PoseDegradation':
        """A named preset of :data:`DEGRADATION_PRESETS`, with optional overrides."""
        if name not in DEGRADATION_PRESETS:
            raise ValueError(f'unknown degradation preset {name!r}; choose from '
                             f'{sorted(DEGRADATION_PRESETS)}')
        return cls(**{**asdict(DEGRADATION_PRESETS[name]), **overrides})

    def __call__(self, frames: Sequence[InstanceData], rng: np.random.Generator,
                 extent: Optional[Sequence[float]] = None) -> List[InstanceData]:
        """Degrade one video.

        Args:
            frames: per frame, ground truth with ``keypoints`` (N, K, 2), ``keypoint_scores``
                (N, K) (visibility, > 0 = annotated), ``bboxes`` (N, 4) ``xyxy`` and
                ``track_ids`` (N,). Frames may be empty.
            rng: the random generator (seed it for reproducible results).
            extent: ``(x1, y1, x2, y2)`` area where false positives may appear; by default the
                box around all annotated joints of the video.

        Returns:
            Per frame, an :class:`InstanceData` with ``keypoints``, ``keypoint_scores``,
            ``bboxes``, ``bbox_scores`` and ``gt_track_ids`` (the source identity, -1 for false
            positives), in the (possibly shuffled) output order.
        """
        frames = [_check_frame(f, i) for i, f in enumerate(frames)]
        nonempty = [f for f in frames if len(f)]
        num_k = nonempty[0].keypoints.shape[1] if nonempty else 0
        if any(f.keypoints.shape[1] != num_k for f in nonempty):
            raise ValueError('all frames of a video must have the same number of keypoints')
        pool_kpts = (np.concatenate([f.keypoints for f in nonempty]) if nonempty
                     else np.zeros((0, num_k, 2), np.float32))
        pool_vis = (np.concatenate([f.keypoint_scores for f in nonempty]) > 0 if nonempty
                    else np.zeros((0, num_k), bool))
        if extent is None:
            extent = _extent(pool_kpts, pool_vis)
        extent = np.asarray(extent, np.float64).reshape(4)

        remaining_drop: Dict[int, int] = {}
        out = []
        for f in frames:
            true_part = self._degrade_true(f, rng, remaining_drop)
            fp_part = self._false_positives(pool_kpts, pool_vis, extent, rng, num_k)
            frame = _concat([true_part, fp_part], num_k)
            if self.shuffle and len(frame) > 1:
                frame = frame[rng.permutation(len(frame))]
            out.append(frame)
        return out

    def _degrade_true(self, f: InstanceData, rng: np.random.Generator,
                      remaining_drop: Dict[int, int]) -> InstanceData:
        n, k = f.keypoints.shape[:2]
        ids = f.track_ids
        # persons missed for a few frames: finish running misses, then start new ones (a person
        # is seen at least once between two misses, so a miss never exceeds max_drop_frames).
        # remaining_drop[id] = frames of the current miss still to come; -1 = missed last frame
        state = np.array([remaining_drop.get(int(i), 0) for i in ids], dtype=np.int64)
        start = (state == 0) & (rng.random(n) < self.drop_rate)
        length = rng.integers(1, self.max_drop_frames + 1, size=n)
        left = np.where(start, length, np.maximum(state, 0))
        dropped = left > 0
        for tid, remaining in zip(ids, left):
            remaining_drop[int(tid)] = int(remaining) - 1 if remaining > 1 else (
                -1 if remaining == 1 else 0)
        keep = ~dropped
        kpts, vis, boxes = f.keypoints[keep], f.keypoint_scores[keep] > 0, f.bboxes[keep]
        gt_ids = ids[keep]
        m = len(kpts)
        size = np.sqrt(np.clip((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]),
                               1.0, None))[:, None]
        shift = rng.normal(0, 1, (m, 1, 2)) * self.offset * size[:, :, None]
        noise = rng.normal(0, 1, (m, k, 2)) * self.jitter * size[:, :, None]
        new_kpts = np.where(vis[..., None], kpts + shift + noise, kpts)
        box_noise = rng.normal(0, 1, (m, 4)) * self.jitter * size
        new_boxes = boxes + np.tile(shift[:, 0], (1, 2)) + box_noise
        new_boxes = np.concatenate([np.minimum(new_boxes[:, :2], new_boxes[:, 2:]),
                                    np.maximum(new_boxes[:, :2], new_boxes[:, 2:])], axis=1)
        found = vis & ~(rng.random((m, k)) < self.joint_drop)
        scores = rng.uniform(*self.score_range, size=(m, k)) * found
        new_kpts = np.where(found[..., None], new_kpts, 0.0)  # PoseTrack's "no joint": (0, 0)
        return _instances(new_kpts, scores, new_boxes, gt_ids)

    def _false_positives(self, pool_kpts: np.ndarray, pool_vis: np.ndarray, extent: np.ndarray,
                         rng: np.random.Generator, num_k: int) -> InstanceData:
        count = int(rng.poisson(self.false_positives)) if self.false_positives > 0 else 0
        if count == 0 or len(pool_kpts) == 0:
            return _instances(np.zeros((0, num_k, 2)), np.zeros((0, num_k)), np.zeros((0, 4)),
                              np.zeros(0, np.int64))
        src = rng.integers(0, len(pool_kpts), size=count)
        kpts, vis = pool_kpts[src].astype(np.float64), pool_vis[src]
        lo, hi = _masked_bounds(kpts, vis)
        centre = rng.uniform(extent[:2], extent[2:], size=(count, 2))
        kpts = np.where(vis[..., None], kpts - ((lo + hi) / 2)[:, None] + centre[:, None], 0.0)
        lo, hi = _masked_bounds(kpts, vis)
        scores = rng.uniform(*self.fp_score_range, size=(count, num_k)) * vis
        return _instances(kpts, scores, np.concatenate([lo, hi], axis=1),
                          np.full(count, -1, np.int64))


#: Named degradations (``--degrade`` of ``tools/analysis/track_gt_poses.py``).
DEGRADATION_PRESETS: Dict[str, PoseDegradation] = {
    'none': PoseDegradation(),
    'light': PoseDegradation(jitter=0.01, offset=0.005, drop_rate=0.01, max_drop_frames=2,
                             false_positives=0.1, joint_drop=0.02, shuffle=True,
                             score_range=(0.6, 1.0)),
    'medium': PoseDegradation(jitter=0.02, offset=0.01, drop_rate=0.03, max_drop_frames=3,
                              false_positives=0.5, joint_drop=0.05, shuffle=True,
                              score_range=(0.5, 1.0)),
    'heavy': PoseDegradation(jitter=0.035, offset=0.02, drop_rate=0.08, max_drop_frames=5,
                             false_positives=1.5, joint_drop=0.15, shuffle=True,
                             score_range=(0.4, 1.0)),
}


def _check_frame(f: InstanceData, index: int) -> InstanceData:
    for name in ('keypoints', 'keypoint_scores', 'bboxes', 'track_ids'):
        if name not in f:
            raise ValueError(f'frame {index}: ground truth needs the field {name!r}')
    kpts = np.asarray(f.keypoints, np.float64)
    n = len(kpts)
    if n == 0:
        kpts = kpts.reshape(0, kpts.shape[1] if kpts.ndim == 3 else 0, 2)
    if kpts.ndim != 3 or kpts.shape[2] != 2:
        raise ValueError(f'frame {index}: keypoints must be (N, K, 2), got {kpts.shape}')
    scores = np.asarray(f.keypoint_scores, np.float64).reshape(n, kpts.shape[1])
    boxes = np.asarray(f.bboxes, np.float64).reshape(n, 4)
    ids = np.asarray(f.track_ids, np.int64).reshape(n)
    if not np.isfinite(boxes).all():  # e.g. a person with no annotated joint and no box
        lo, hi = _masked_bounds(kpts, scores > 0)
        boxes = np.where(np.isfinite(boxes), boxes, np.concatenate([lo, hi], axis=1))
    return _instances(kpts, scores, boxes, ids)


def _instances(kpts, scores, boxes, ids) -> InstanceData:
    inst = InstanceData()
    inst.keypoints = np.asarray(kpts, np.float32)
    inst.keypoint_scores = np.asarray(scores, np.float32)
    inst.bboxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    inst.bbox_scores = _person_scores(inst.keypoint_scores)
    inst.track_ids = np.asarray(ids, np.int64)
    return inst


def _concat(parts: List[InstanceData], num_k: int) -> InstanceData:
    out = _instances(
        np.concatenate([p.keypoints.reshape(-1, num_k, 2) for p in parts]),
        np.concatenate([p.keypoint_scores.reshape(-1, num_k) for p in parts]),
        np.concatenate([p.bboxes for p in parts]),
        np.concatenate([p.track_ids for p in parts]))
    gt_ids = out.track_ids
    del out.track_ids
    out.gt_track_ids = gt_ids
    return out


def _person_scores(scores: np.ndarray) -> np.ndarray:
    """Mean score of the detected joints (0 for a person with none)."""
    valid = scores > 0
    num = valid.sum(-1)
    return np.divide((scores * valid).sum(-1), num, out=np.zeros(len(scores), np.float32),
                     where=num > 0).astype(np.float32)


def _masked_bounds(kpts: np.ndarray, valid: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per-pose min/max over valid joints; poses without one fall back to all joints."""
    valid = valid.copy()
    valid[~valid.any(-1)] = True
    lo = np.where(valid[..., None], kpts, np.inf).min(1)
    hi = np.where(valid[..., None], kpts, -np.inf).max(1)
    return lo, hi


def _extent(kpts: np.ndarray, vis: np.ndarray) -> np.ndarray:
    pts = kpts[vis]
    if len(pts) == 0:
        return np.array([0.0, 0.0, 1.0, 1.0])
    return np.concatenate([pts.min(0), pts.max(0)])
