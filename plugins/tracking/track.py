"""The explicit tracking state shared by all trackers."""
from dataclasses import dataclass, field
from typing import Any, Dict

import numpy as np


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
    state: Dict[str, Any] = field(default_factory=dict)
