"""Pose-similarity tracker: a detection continues the track whose last pose it resembles most.

With its defaults it reproduces mmpose's own OKS tracking (``mmpose.apis.inference_tracking.
_track_by_oks`` as driven by mmpose's inferencers/demos): each detection, in input order, takes
the previous frame's pose with the highest OKS (``mmpose.evaluation.functional.oks_iou``: mean
of the two box areas as scale, every joint counted) if it exceeds the threshold 0.3, else starts
a new track. Differences: mmpose drops unmatched persons with fewer than 3 non-zero keypoints
(``track_id = -1``), here every person gets an id; mmpose matches when OKS ``> thr``, here when
``>= thr``.
"""
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.geometry import box_areas
from plugins.registry import TRACKERS
from plugins.utils.keypoint_similarity import pairwise_oks
# re-exported for modules not ported yet (their home is plugins.utils.metainfo)
from plugins.utils.metainfo import (DEFAULT_METAINFO, DatasetMetaMixin, load_sigmas,  # noqa
                                    resolve_metainfo_file)
from .base_tracker import BaseTracker
from .track import Track

@TRACKERS.register_module()
class OKSTracker(DatasetMetaMixin, BaseTracker):
    """Tracking by object keypoint similarity between a track's pose and each detection.

    Args:
        metainfo: dataset metainfo giving the per-joint ``sigmas`` (see :func:`load_sigmas`);
            None: the pipeline's ``dataset_meta`` (COCO's when built alone).
        sigmas: explicit (K,) sigmas overriding ``metainfo``.
        match_threshold: pairs with OKS below it are never matched (mmpose: 0.3).
        assignment: ``'sequential'`` (mmpose's order), ``'greedy'`` or ``'hungarian'``.
        max_age: frames a track may go unmatched and still be continued (mmpose: 1, only the
            previous frame's poses are candidates).
        min_keypoint_score: joints scored below it (in either pose) are left out of the OKS
            (mmpose: 0, every joint counts).
        area_mode: OKS scale: ``'mean'`` of the two box areas (mmpose's ``oks_iou``) or
            ``'track'`` (the track's box area, COCO's ground-truth-scale convention).
        **kwargs: lifecycle options of :class:`BaseTracker` (``num_tentatives``,
            ``ended_history``).
    """

    def __init__(self,
                 metainfo: Optional[Union[str, dict]] = None,
                 sigmas: Optional[Sequence[float]] = None,
                 match_threshold: float = 0.3,
                 assignment: str = 'sequential',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0,
                 area_mode: str = 'mean',
                 **kwargs) -> None:
        if area_mode not in ('mean', 'track'):
            raise ValueError(f"area_mode must be 'mean' or 'track', got {area_mode!r}")
        self._init_sigmas(metainfo, sigmas)
        self.area_mode = area_mode
        super().__init__(match_threshold=match_threshold, assignment=assignment,
                         max_age=max_age, min_keypoint_score=min_keypoint_score, **kwargs)

    def reference_poses(self, tracks: List[Track], instances: InstanceData,
                        frame: Optional[np.ndarray]) -> np.ndarray:
        """Where each track's pose is expected in the current frame: its last pose here.

        Args:
            tracks: the active tracks.
            instances: the current detections.
            frame: the current image or None.

        Returns:
            (T, K, 2) poses.
        """
        return np.stack([t.keypoints for t in tracks])

    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, N) OKS between each track's reference pose and each detection.

        Args:
            tracks: the active tracks.
            instances: detections (``keypoints``, ``keypoint_scores``, ``bboxes``).
            frame: the current image or None.

        Returns:
            (T, N) float64 OKS in [0, 1].
        """
        num_k = instances.keypoints.shape[1]
        if num_k != len(self.sigmas):
            raise ValueError(f'{type(self).__name__}: poses have {num_k} keypoints but the '
                             f'metainfo sigmas have {len(self.sigmas)}; set `metainfo` to the '
                             'dataset of the poses')
        ref = self.reference_poses(tracks, instances, frame)
        track_scores = np.stack([t.keypoint_scores for t in tracks])
        track_areas = box_areas(np.stack([t.bbox for t in tracks]))
        det_areas = box_areas(instances.bboxes) if self.area_mode == 'mean' else None
        return pairwise_oks(ref, instances.keypoints, self.sigmas, track_areas,
                            visible_a=track_scores >= self.min_keypoint_score,
                            visible_b=instances.keypoint_scores >= self.min_keypoint_score,
                            areas_b=det_areas)
