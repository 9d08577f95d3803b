"""Box-overlap tracker: a detection continues the track whose last box it overlaps most."""
from typing import List, Optional

import numpy as np
from mmengine.structures import InstanceData

from plugins.registry import TRACKERS
from plugins.utils.keypoint_similarity import pairwise_box_iou
from .base_tracker import BaseTracker
from .track import Track


@TRACKERS.register_module()
class IoUTracker(BaseTracker):
    """Tracking by IoU of person boxes (last matched box of each track vs. current boxes).

    ``assignment='greedy'`` takes the most overlapping pairs first, ``'hungarian'`` maximises the
    total IoU, ``'sequential'`` is mmpose's ``_track_by_iou`` order (each detection in input
    order takes its best free track). Needs no pixels: ``frame`` may be None.

    Args:
        match_threshold: pairs with IoU below it are never matched.
        assignment: ``'greedy'``, ``'hungarian'`` or ``'sequential'``.
        max_age: frames a track may go unmatched and still be continued.
        min_keypoint_score: unused by IoU (kept for a uniform config interface).
        **kwargs: lifecycle options of :class:`BaseTracker` (``num_tentatives``,
            ``ended_history``).
    """

    def __init__(self,
                 match_threshold: float = 0.3,
                 assignment: str = 'greedy',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0,
                 **kwargs) -> None:
        super().__init__(match_threshold=match_threshold, assignment=assignment,
                         max_age=max_age, min_keypoint_score=min_keypoint_score, **kwargs)

    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, N) IoU of each track's last box with each detection box.

        Args:
            tracks: the active tracks.
            instances: detections with ``bboxes`` (N, 4) ``xyxy``.
            frame: ignored.

        Returns:
            (T, N) float64 IoU in [0, 1].
        """
        track_boxes = np.stack([t.bbox for t in tracks]) if tracks else np.zeros((0, 4))
        return pairwise_box_iou(track_boxes, instances.bboxes)
