"""Pose-similarity tracker: a detection continues the track whose last pose it resembles most.

With its defaults it reproduces mmpose's own OKS tracking (``mmpose.apis.inference_tracking.
_track_by_oks`` as driven by mmpose's inferencers/demos): each detection, in input order, takes
the previous frame's pose with the highest OKS (``mmpose.evaluation.functional.oks_iou``: mean
of the two box areas as scale, every joint counted) if it exceeds the threshold 0.3, else starts
a new track. Differences: mmpose drops unmatched persons with fewer than 3 non-zero keypoints
(``track_id = -1``), here every person gets an id; mmpose matches when OKS ``> thr``, here when
``>= thr``.
"""
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.registry import TRACKERS
from plugins.utils.keypoint_similarity import pairwise_oks
from .base_tracker import BaseTracker
from .track import Track

#: mmpose's COCO metainfo (resolved inside the installed mmpose package if not found locally).
DEFAULT_METAINFO = dict(from_file='configs/_base_/datasets/coco.py')


def load_sigmas(metainfo: Optional[Union[str, dict]] = None,
                sigmas: Optional[Sequence[float]] = None) -> np.ndarray:
    """Per-joint OKS falloffs from explicit values or from a dataset metainfo.

    Args:
        metainfo: an mmpose ``dataset_info`` file path, a ``dict(from_file=...)`` or an already
            parsed metainfo dict with ``sigmas`` (paths such as
            ``'configs/_base_/datasets/posetrack18.py'`` resolve inside mmpose).
        sigmas: explicit (K,) values; take precedence over ``metainfo``.

    Returns:
        (K,) float64 sigmas.
    """
    if sigmas is not None:
        out = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    else:
        if metainfo is None:
            raise ValueError('OKS needs sigmas: give `sigmas` or a dataset `metainfo`')
        if isinstance(metainfo, str):
            metainfo = dict(from_file=metainfo)
        if 'sigmas' in metainfo and 'from_file' not in metainfo:
            out = np.asarray(metainfo['sigmas'], dtype=np.float64).reshape(-1)
        else:
            from mmpose.datasets.datasets.utils import parse_pose_metainfo
            metainfo = dict(metainfo)
            if 'from_file' in metainfo:
                metainfo['from_file'] = resolve_metainfo_file(metainfo['from_file'])
            parsed = parse_pose_metainfo(metainfo)
            out = np.asarray(parsed.get('sigmas', []), dtype=np.float64).reshape(-1)
    if out.size == 0 or not np.all(np.isfinite(out)) or np.any(out <= 0):
        raise ValueError(f'OKS sigmas must be positive finite numbers, got {out} '
                         f'(from metainfo={metainfo!r})')
    return out


def resolve_metainfo_file(path: str) -> str:
    """A metainfo file as given if it exists, else the same relative path inside mmpose.

    Args:
        path: e.g. ``'configs/_base_/datasets/posetrack18.py'``.

    Returns:
        An existing file path.
    """
    if osp.isfile(path):
        return path
    import mmpose
    mim = osp.join(osp.dirname(mmpose.__file__), '.mim')
    for candidate in (osp.join(mim, path),
                      osp.join(mim, 'configs', '_base_', 'datasets', osp.basename(path))):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'dataset metainfo file not found: {path} (neither here nor in '
                            'mmpose/.mim)')


def box_areas(bboxes: np.ndarray) -> np.ndarray:
    """(N,) areas of ``xyxy`` boxes (0 for degenerate boxes)."""
    b = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


@TRACKERS.register_module()
class OKSTracker(BaseTracker):
    """Tracking by object keypoint similarity between a track's pose and each detection.

    Args:
        metainfo: dataset metainfo giving the per-joint ``sigmas`` (see :func:`load_sigmas`).
        sigmas: explicit (K,) sigmas overriding ``metainfo``.
        match_threshold: pairs with OKS below it are never matched (mmpose: 0.3).
        assignment: ``'sequential'`` (mmpose's order), ``'greedy'`` or ``'hungarian'``.
        max_age: frames a track may go unmatched and still be continued (mmpose: 1, only the
            previous frame's poses are candidates).
        min_keypoint_score: joints scored below it (in either pose) are left out of the OKS
            (mmpose: 0, every joint counts).
        area_mode: OKS scale: ``'mean'`` of the two box areas (mmpose's ``oks_iou``) or
            ``'track'`` (the track's box area, COCO's ground-truth-scale convention).
    """

    def __init__(self,
                 metainfo: Optional[Union[str, dict]] = DEFAULT_METAINFO,
                 sigmas: Optional[Sequence[float]] = None,
                 match_threshold: float = 0.3,
                 assignment: str = 'sequential',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0,
                 area_mode: str = 'mean') -> None:
        if area_mode not in ('mean', 'track'):
            raise ValueError(f"area_mode must be 'mean' or 'track', got {area_mode!r}")
        self.sigmas = load_sigmas(metainfo, sigmas)
        self.area_mode = area_mode
        super().__init__(match_threshold=match_threshold, assignment=assignment,
                         max_age=max_age, min_keypoint_score=min_keypoint_score)

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
