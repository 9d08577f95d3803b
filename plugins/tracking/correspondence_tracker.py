"""Tracking by keypoint correspondences: a track's pose is propagated into the current frame."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.structures import InstanceData

from plugins.models.correspondence.correspondence_net import init_correspondence_model
from plugins.models.correspondence.geometry import apply_affine, invert_affine, letterbox_matrix
from plugins.registry import TRACKERS
from plugins.utils.keypoint_similarity import pairwise_oks
from .base_tracker import BaseTracker
from .oks_tracker import DEFAULT_METAINFO, box_areas, load_sigmas
from .track import Track
from .track_merging import merge_tracks


@TRACKERS.register_module()
class CorrespondenceTracker(BaseTracker):
    """Greedy tracking with the keypoint-correspondence network.

    For every active track (matched within the last ``temporal_distance`` frames) its last pose
    is propagated from the frame where it was seen into the current frame: the network's
    affinity map of each of its joints (those scored >= ``joint_threshold``). The similarity of
    a detected pose p to a track is the mean, over the joints detected in p (score >=
    ``joint_threshold``) that the track also has, of the track's affinity at p's joint. Pairs
    are matched greedily above ``match_threshold``; an unmatched pose starts a new track.

    Duplicate removal: when two active tracks propagate to the same person (OKS of their
    propagated poses > ``duplicate_oks``), the younger one is ended, so that a spurious track
    born from a duplicate detection cannot steal the person from the older one.

    Offline track merging (:meth:`finalize`, the paper's supplementary step) joins a track that
    ends with one that starts within ``merge['max_gap']`` frames when correspondences from the
    start, centre and end poses of each agree (OKS) with the other's nearest pose; see
    :func:`plugins.tracking.track_merging.merge_tracks`.

    Args:
        model: the :class:`CorrespondenceNet` config (a config file, a whole config dict or the
            model dict).
        checkpoint: weights to load into it (optional).
        device: torch device of the network.
        joint_threshold: joints scored below it are ignored (paper: 0.4).
        match_threshold: minimum similarity of a match.
        temporal_distance: a track unmatched for up to this many frames is still propagated
            (from the frame it was last seen in) and can be continued.
        affinity_window: radius (map cells) of the neighbourhood read around a joint.
        duplicate_removal: end tracks that duplicate an older track (see above).
        duplicate_oks: OKS above which two propagated track poses are duplicates.
        min_propagated_score: a propagated joint counts for duplicate removal when its affinity
            peak is at least this.
        merge: keyword arguments of :func:`merge_tracks` for :meth:`finalize` (None: finalize
            returns the results unchanged and no frames are kept).
        metainfo, sigmas: per-joint OKS falloffs (see :func:`load_sigmas`).
        assignment: ``'greedy'`` (the paper) or ``'hungarian'``.
    """

    def __init__(self,
                 model: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 joint_threshold: float = 0.4,
                 match_threshold: float = 0.1,
                 temporal_distance: int = 1,
                 affinity_window: int = 0,
                 duplicate_removal: bool = True,
                 duplicate_oks: float = 0.8,
                 min_propagated_score: float = 0.05,
                 merge: Optional[dict] = None,
                 metainfo: Optional[Union[str, dict]] = DEFAULT_METAINFO,
                 sigmas: Optional[Sequence[float]] = None,
                 assignment: str = 'greedy') -> None:
        if temporal_distance < 1:
            raise ValueError(f'temporal_distance must be >= 1, got {temporal_distance}')
        self.model = init_correspondence_model(model, checkpoint, device)
        self.joint_threshold = float(joint_threshold)
        self.temporal_distance = int(temporal_distance)
        self.affinity_window = int(affinity_window)
        self.duplicate_removal = bool(duplicate_removal)
        self.duplicate_oks = float(duplicate_oks)
        self.min_propagated_score = float(min_propagated_score)
        self.merge_cfg = None if merge is None else dict(merge)
        self.sigmas = load_sigmas(metainfo, sigmas)
        if len(self.sigmas) != self.model.num_keypoints:
            raise ValueError(f'the metainfo has {len(self.sigmas)} joints but the '
                             f'correspondence model {self.model.num_keypoints}')
        super().__init__(match_threshold=match_threshold, assignment=assignment,
                         max_age=temporal_distance, min_keypoint_score=joint_threshold)

    def reset(self) -> None:
        super().reset()
        self._features: Dict[int, Tuple[torch.Tensor, np.ndarray]] = {}
        self._current: Optional[Tuple[torch.Tensor, np.ndarray]] = None
        self._inputs: Dict[int, np.ndarray] = {}  # letter-boxed frames kept for finalize()
        self._frame_size: Optional[Tuple[int, int]] = None

    @property
    def has_offline_stage(self) -> bool:
        """Track merging is configured: :meth:`finalize` can change the ids."""
        return self.merge_cfg is not None

    @property
    def active_tracks(self) -> List[Track]:
        """Recent tracks that were not ended as duplicates."""
        return [t for t in super().active_tracks if not t.state.get('removed', False)]

    # ------------------------------------------------------------------ online
    def update(self, frame: Optional[np.ndarray], instances: InstanceData) -> InstanceData:
        """Assign track ids to the poses of the next frame (see :class:`BaseTracker`).

        Raises:
            ValueError: ``frame`` is None (this tracker needs pixels) or not an image.
        """
        if frame is None:
            raise ValueError('CorrespondenceTracker needs the frame pixels: got frame=None')
        imgs, mats = self.model.prepare_frames([frame])
        self._current = (self.model.extract_feat(imgs)[0], mats[0])
        self._frame_size = (frame.shape[1], frame.shape[0])
        if self.merge_cfg is not None:
            self._inputs[self.frame_id + 1] = self._unnormalised(frame)
        return super().update(frame, instances)

    def after_update(self, instances: InstanceData, frame: Optional[np.ndarray]) -> None:
        """Keep this frame's features for the next ``temporal_distance`` frames."""
        self._features[self.frame_id] = self._current
        for old in [f for f in self._features if f < self.frame_id - self.temporal_distance]:
            del self._features[old]

    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, N) mean propagated affinity at the detected joints (see class docstring);
        tracks removed as duplicates get ``-inf``."""
        feats_dst, m_dst = self._current
        det_pts = apply_affine(instances.keypoints, m_dst)
        det_valid = instances.keypoint_scores >= self.joint_threshold
        t, n, k = len(tracks), len(instances), instances.keypoints.shape[1]
        sim = np.zeros((t, n), np.float64)
        prop_pts = np.zeros((t, k, 2), np.float64)
        prop_valid = np.zeros((t, k), bool)
        track_valid = np.stack([tr.keypoint_scores >= self.joint_threshold for tr in tracks])
        last = np.array([tr.last_frame for tr in tracks])
        for src in np.unique(last):  # at most temporal_distance source frames
            rows = np.flatnonzero(last == src)
            feats_src, m_src = self._features[int(src)]
            pts = apply_affine(np.stack([tracks[i].keypoints for i in rows]), m_src)
            maps = self.model.propagate(feats_src, feats_dst, pts, track_valid[rows])
            vals = self.model.affinity_at(maps, det_pts, self.affinity_window).cpu().numpy()
            counted = track_valid[rows][:, None, :] & det_valid[None]  # (T_f, N, K)
            total = (vals * counted).sum(-1)
            num = counted.sum(-1)
            sim[rows] = np.divide(total, num, out=np.zeros_like(total), where=num > 0)
            if self.duplicate_removal:
                p, s = self.model.maps_to_points(maps, self.affinity_window)
                prop_pts[rows] = p.cpu().numpy()
                prop_valid[rows] = (track_valid[rows] &
                                    (s.cpu().numpy() >= self.min_propagated_score))
        if self.duplicate_removal and t > 1:
            removed = self._remove_duplicates(tracks, prop_pts, prop_valid, m_dst)
            sim[removed] = -np.inf
        return sim

    def _remove_duplicates(self, tracks: List[Track], prop_pts: np.ndarray,
                           prop_valid: np.ndarray, m_dst: np.ndarray) -> np.ndarray:
        """End every track whose propagated pose duplicates that of an older track.

        Returns:
            (T,) bool, the tracks ended now.
        """
        pts = apply_affine(prop_pts, invert_affine(m_dst))
        areas = box_areas(np.stack([tr.bbox for tr in tracks]))
        oks = pairwise_oks(pts, pts, self.sigmas, areas, visible_a=prop_valid,
                           visible_b=prop_valid, areas_b=areas)
        # older first: earlier start, then more hits, then lower id
        order = sorted(range(len(tracks)), key=lambda i: (tracks[i].start_frame,
                                                          -tracks[i].hits, tracks[i].track_id))
        rank = np.empty(len(tracks), int)
        rank[order] = np.arange(len(tracks))
        dup = (oks > self.duplicate_oks) & (rank[None, :] > rank[:, None])  # j younger than i
        removed = np.zeros(len(tracks), bool)
        for i in order:  # an ended track cannot end others
            if removed[i]:
                continue
            removed |= dup[i]
        for i in np.flatnonzero(removed):
            tracks[i].state['removed'] = True
        return removed

    # ------------------------------------------------------------------ offline
    def finalize(self, results: List[InstanceData],
                 frames: Optional[Union[Sequence[np.ndarray], Callable[[int], np.ndarray]]] = None
                 ) -> List[InstanceData]:
        """Offline track merging over a whole video tracked since :meth:`reset`.

        Args:
            results: the per-frame outputs of :meth:`update`, in order.
            frames: the video's frames (a sequence or ``index -> frame``); by default the
                letter-boxed frames this tracker kept (when ``merge`` is configured).

        Returns:
            The results with merged ``track_ids`` (new objects; inputs untouched).
        """
        if self.merge_cfg is None:
            return results
        if frames is None:
            if len(self._inputs) < len(results):
                raise ValueError('finalize() needs the frames: the tracker kept '
                                 f'{len(self._inputs)} of {len(results)} frames')
            get_input = self._inputs.__getitem__
        else:
            get_frame = frames if callable(frames) else frames.__getitem__
            get_input = None
        cache: Dict[int, Tuple[torch.Tensor, np.ndarray]] = {}

        def features(index: int) -> Tuple[torch.Tensor, np.ndarray]:
            if index not in cache:
                if get_input is not None:
                    img = torch.from_numpy(get_input(index)).permute(2, 0, 1)[None]
                    img = img.to(self.model.device)
                    feats = self.model.extract_feat(self.model.data_preprocessor
                                                    .normalize_images(img))[0]
                    cache[index] = (feats, self._input_matrix())
                else:
                    imgs, mats = self.model.prepare_frames([get_frame(index)])
                    cache[index] = (self.model.extract_feat(imgs)[0], mats[0])
            return cache[index]

        def propagate(src: int, dst: int, keypoints: np.ndarray, valid: np.ndarray
                      ) -> Tuple[np.ndarray, np.ndarray]:
            fs, ms = features(src)
            fd, md = features(dst)
            maps = self.model.propagate(fs, fd, apply_affine(keypoints, ms), valid)
            p, s = self.model.maps_to_points(maps, self.affinity_window)
            return apply_affine(p.cpu().numpy(), invert_affine(md)), s.cpu().numpy()

        kwargs = dict(joint_threshold=self.joint_threshold)
        kwargs.update(self.merge_cfg)
        return merge_tracks(results, propagate, self.sigmas, **kwargs)

    def _unnormalised(self, frame: np.ndarray) -> np.ndarray:
        """The frame letter-boxed into the network input (uint8), for :meth:`finalize`."""
        m = letterbox_matrix((frame.shape[1], frame.shape[0]), self.model.input_size)
        return cv2.warpAffine(frame, m, self.model.input_size, flags=cv2.INTER_LINEAR)

    def _input_matrix(self) -> np.ndarray:
        """Image -> input matrix of this video's frames."""
        if self._frame_size is None:
            raise ValueError('no frame has been tracked since reset()')
        return letterbox_matrix(self._frame_size, self.model.input_size)
