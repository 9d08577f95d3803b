"""Tracklet interpolation for poses (mmdet's ``InterpolateTracklets`` as a post-processor).

mmdet 3.3's ``InterpolateTracklets`` (``mmdet/models/task_modules/tracking/interpolation.py``)
fills the gaps of each track linearly: for a track with more than ``min_num_frames`` frames,
every gap between two consecutive frames ``a < b`` of the track with ``1 < b - a <
max_num_frames`` gets one box per missing frame, ``box(f) = box(a) + (f - a) / (b - a) *
(box(b) - box(a))``. :class:`TrackletInterpolation` does the same for whole poses, on the
post-processor interface: it observes each tracked frame once, keeps per track only its first
and last pose and the end poses of its gaps, and at the end of the video inserts the
interpolated poses (:class:`~plugins.tracking.track_edits.TrackEdits`). It works on the *final*
ids of the edits it is given, so after AFLink or track merging the gap between two linked
tracklets is filled too.

Joints are interpolated where both end poses score them above ``min_keypoint_score`` (the
PoseTrack convention marks missing joints with score 0); other joints are written missing
(``(0, 0)``, score 0). Joint scores, boxes and box scores are interpolated linearly. Unlike
mmdet's ``forward``, tracks of one or two frames are kept (mmdet drops them from its output),
and mmdet's Gaussian-smoothed variant (``use_gsi``), which moves every observed box, is not
offered: the edits only insert poses.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.structures import InstanceData

from plugins.registry import POST_PROCESSORS
from .frame_context import FrameContext
from .post_processor import BasePostProcessor
from .track_edits import TrackEdits

#: (keypoints (K, 2), keypoint_scores (K,), bbox (4,), bbox_score)
Pose = Tuple[np.ndarray, np.ndarray, np.ndarray, float]


@dataclass
class _Tracklet:
    """What is kept of one online track: ends, length, gaps (bounded by its own output)."""

    first_frame: int
    first: Pose
    last_frame: int
    last: Pose
    count: int = 1
    gaps: List[Tuple[int, Pose, int, Pose]] = field(default_factory=list)


def _pose(tracked: InstanceData, i: int) -> Pose:
    return (np.array(tracked.keypoints[i], np.float32),
            np.array(tracked.keypoint_scores[i], np.float32),
            np.array(tracked.bboxes[i], np.float32), float(tracked.bbox_scores[i]))


def interpolate_poses(left: Pose, right: Pose, left_frame: int, right_frame: int,
                      frames: np.ndarray, min_keypoint_score: float = 0.0) -> InstanceData:
    """Linear interpolation of a pose between two frames.

    Args:
        left / right: ``(keypoints (K, 2), keypoint_scores (K,), bbox (4,), bbox_score)`` at
            ``left_frame`` < ``right_frame``.
        frames: (M,) frame indices strictly between them.
        min_keypoint_score: joints scored at or below it in either end are written missing.

    Returns:
        ``InstanceData`` of M poses: ``keypoints`` (M, K, 2), ``keypoint_scores`` (M, K),
        ``bboxes`` (M, 4), ``bbox_scores`` (M,) (float32).
    """
    w = ((np.asarray(frames, np.float64) - left_frame) / (right_frame - left_frame))
    wk = w[:, None, None]
    ka, sa, ba, bsa = left
    kb, sb, bb, bsb = right
    both = (sa > min_keypoint_score) & (sb > min_keypoint_score)
    kpts = ka[None] + wk * (kb - ka)[None]
    scores = sa[None] + w[:, None] * (sb - sa)[None]
    kpts = np.where(both[None, :, None], kpts, 0)
    scores = np.where(both[None], scores, 0)
    out = InstanceData()
    out.keypoints = kpts.astype(np.float32)
    out.keypoint_scores = scores.astype(np.float32)
    out.bboxes = (ba[None] + w[:, None] * (bb - ba)[None]).astype(np.float32)
    out.bbox_scores = (bsa + w * (bsb - bsa)).astype(np.float32)
    return out


@POST_PROCESSORS.register_module()
class TrackletInterpolation(BasePostProcessor):
    """Fill short gaps of every track with interpolated poses (mmdet's rule).

    Args:
        min_num_frames: only tracks with more frames than this are interpolated (mmdet: 5).
        max_num_frames: a gap between frames ``a < b`` of a track is filled when
            ``1 < b - a < max_num_frames`` (mmdet: 20).
        min_keypoint_score: joints scored at or below it at either end are not interpolated;
            set it to the pipeline's ``keypoint_score_thr`` so inserted poses follow the same
            output rule.
    """

    def __init__(self, min_num_frames: int = 5, max_num_frames: int = 20,
                 min_keypoint_score: float = 0.0) -> None:
        if min_num_frames < 0 or max_num_frames < 2:
            raise ValueError(f'need min_num_frames >= 0 and max_num_frames >= 2, got '
                             f'{min_num_frames}, {max_num_frames}')
        self.min_num_frames = int(min_num_frames)
        self.max_num_frames = int(max_num_frames)
        self.min_keypoint_score = float(min_keypoint_score)
        self.reset()

    def reset(self) -> None:
        """Start a new video."""
        self._tracks: Dict[int, _Tracklet] = {}
        self._last_index = -1
        self._skipped: List[Tuple[int, int]] = []  # [start, stop) of frames never observed

    def observe(self, index: int, tracked: InstanceData,
                ctx: Optional[FrameContext] = None) -> None:
        """Update the per-track summaries with frame ``index`` (increasing)."""
        index = int(index)
        if index <= self._last_index:
            raise ValueError(f'TrackletInterpolation: frame {index} observed after frame '
                             f'{self._last_index}; frames must come in increasing order')
        if index > self._last_index + 1:
            self._skipped.append((self._last_index + 1, index))
        self._last_index = index
        if len(tracked) == 0:
            return
        for i, tid in enumerate(np.asarray(tracked.track_ids).reshape(-1).tolist()):
            track = self._tracks.get(tid)
            pose = _pose(tracked, i)
            if track is None:
                self._tracks[tid] = _Tracklet(index, pose, index, pose)
                continue
            if index - track.last_frame > 1:
                track.gaps.append((track.last_frame, track.last, index, pose))
            track.last_frame, track.last = index, pose
            track.count += 1

    def _observed(self, frames: np.ndarray) -> np.ndarray:
        keep = np.ones(len(frames), bool)
        for start, stop in self._skipped:
            keep &= ~((frames >= start) & (frames < stop))
        return frames[keep]

    def gaps(self, edits: TrackEdits) -> Dict[int, List[Tuple[int, Pose, int, Pose]]]:
        """The gaps of every final track (after ``edits``' id map and dropped ids).

        Returns:
            ``{final id: [(left frame, left pose, right frame, right pose), ...]}`` for the
            tracks with more than ``min_num_frames`` frames.
        """
        parts: Dict[int, List[_Tracklet]] = {}
        for tid, track in self._tracks.items():
            final = edits.final_id(tid)
            if final not in edits.dropped:
                parts.setdefault(final, []).append(track)
        out = {}
        for final, pieces in parts.items():
            if sum(p.count for p in pieces) <= self.min_num_frames:
                continue
            pieces.sort(key=lambda p: p.first_frame)
            found = list(pieces[0].gaps)
            for prev, nxt in zip(pieces[:-1], pieces[1:]):
                if nxt.first_frame > prev.last_frame + 1:  # linked tracklets, one after other
                    found.append((prev.last_frame, prev.last, nxt.first_frame, nxt.first))
                found.extend(nxt.gaps)
            out[final] = found
        return out

    def finalize(self, edits: TrackEdits, read_frame=None) -> TrackEdits:
        """``edits`` plus the interpolated poses of every gap short enough."""
        by_frame: Dict[int, List[InstanceData]] = {}
        for final, gaps in sorted(self.gaps(edits).items()):
            for left_frame, left, right_frame, right in gaps:
                if not 1 < right_frame - left_frame < self.max_num_frames:
                    continue
                frames = self._observed(np.arange(left_frame + 1, right_frame))
                if not len(frames):
                    continue
                poses = interpolate_poses(left, right, left_frame, right_frame, frames,
                                          self.min_keypoint_score)
                poses.track_ids = np.full(len(frames), final, np.int64)
                for j, f in enumerate(frames.tolist()):
                    by_frame.setdefault(f, []).append(poses[j:j + 1])
        for f in sorted(by_frame):
            parts = by_frame[f]
            edits = edits.insert(f, parts[0] if len(parts) == 1 else InstanceData.cat(parts))
        return edits
