"""The explicit tracking state shared by all trackers."""
from dataclasses import dataclass, field
from typing import Any, Dict

import numpy as np


class TrackStatus:
    """Lifecycle of a :class:`Track` (ByteTrack's ``basetrack.TrackState``).

    - ``TENTATIVE``: started, not yet confirmed (fewer than the tracker's ``num_tentatives``
      hits); ended for good when missed.
    - ``TRACKED``: matched in the current frame.
    - ``LOST``: not matched in the current frame, may still be continued (within ``max_age``).
    - ``REMOVED``: ended; never matched again and pruned from the tracker.
    """

    TENTATIVE = 'tentative'
    TRACKED = 'tracked'
    LOST = 'lost'
    REMOVED = 'removed'
    ALL = (TENTATIVE, TRACKED, LOST, REMOVED)


@dataclass
class Track:
    """One identity followed over time.

    Args:
        track_id: unique id, never reused within a tracker's life (until ``reset()``).
        keypoints: (K, 2) float32 image-pixel ``(x, y)`` of the last matched pose.
        keypoint_scores: (K,) float32 scores of the last matched pose.
        bbox: (4,) float32 ``xyxy`` box of the last matched pose.
        score: confidence of the last matched pose (its ``bbox_scores`` entry, or 1).
        start_frame: index of the frame where the track started.
        last_frame: index of the last frame where the track was matched.
        hits: number of frames the track was matched in.
        status: one of :class:`TrackStatus` (set by the tracker; ``'tracked'`` when made).
        end_frame: frame index where the track was removed (None while alive).
        state: tracker-specific extras (appearance embeddings, features, flow-warped pose...).
    """

    track_id: int
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    bbox: np.ndarray
    score: float
    start_frame: int
    last_frame: int
    hits: int = 1
    status: str = TrackStatus.TRACKED
    end_frame: Any = None
    state: Dict[str, Any] = field(default_factory=dict)

    @property
    def is_alive(self) -> bool:
        """Not removed."""
        return self.status != TrackStatus.REMOVED
