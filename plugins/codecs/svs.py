"""Support Vector Shape (SVS) maps as a keypoint codec (Zhou, Deng, Zafeiriou)."""
import hashlib
import json
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import KEYPOINT_CODECS

from .svs_cache import SVSFitCache
from .svs_fitting import (CanonicalFrame, SVSFit, canonical_frame, evaluate_svs_on_grid,
                          fit_svs, resolve_parts, svs_training_sets)

#: The 7 SVS channels for the human body: the six limbs-and-trunk parts of the paper (head,
#: torso, two arms, two legs) plus the whole body. The seventh channel is our choice (the
#: paper's exact grouping could not be established from the sources at hand): the whole-body
#: SVS is the person's silhouette-like shape, which tells the network *which* person of a
#: crowded crop is the target, something no single part channel encodes. Joint names of both
#: COCO and PoseTrack18 are listed; names absent from a dataset's metainfo are skipped.
BODY7_PARTS = (
    ('head', ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'head_bottom',
              'head_top')),
    ('torso', ('left_shoulder', 'right_shoulder', 'left_hip', 'right_hip')),
    ('left_arm', ('left_shoulder', 'left_elbow', 'left_wrist')),
    ('right_arm', ('right_shoulder', 'right_elbow', 'right_wrist')),
    ('left_leg', ('left_hip', 'left_knee', 'left_ankle')),
    ('right_leg', ('right_hip', 'right_knee', 'right_ankle')),
    ('body', ('*', )),
)

_CODEC_VERSION = 1


@KEYPOINT_CODECS.register_module()
class SVSCodec(BaseKeypointCodec):
    """Encode a person's keypoints into stacked Support Vector Shape maps.

    For each part (a group of joints named in ``parts``; its limbs are the metainfo skeleton
    links inside the group) an RBF ``sklearn.svm.SVC`` with ``class_weight='balanced'`` is
    fitted on the part's landmarks (visible joints + dense samples along limbs between visible
    joints) against random points in a band around them; its decision function, evaluated on
    the heatmap grid, is the part's SVS map. One SVM per granularity ``C`` in ``c_values``;
    the channels are granularity-major (``c = g * num_parts + p``). Invisible joints give no
    landmarks; a part without a visible joint gets a zero map and weight 0.

    The fit is done in the canonical person frame (:mod:`plugins.codecs.svs_fitting`), so all
    lengths below are fractions of the person's RMS joint radius, the maps are equivariant to
    the similarity augmentations of top-down training (flip, rotation, scale, shift), and fits
    are cached per annotation + parameters (``cache_dir``) even for augmented crops.

    Encoded:
        - svs_maps (np.ndarray): (C, H, W) float32 decision values, ``[W, H] = heatmap_size``
        - svs_weights (np.ndarray): (1, C) float32, 1 for channels with a fitted SVM

    Args:
        input_size: network input size ``(w, h)``; keypoints are given in this space.
        heatmap_size: output grid ``(W, H)``.
        metainfo: dataset metainfo (e.g. ``dict(from_file='configs/_base_/datasets/
            posetrack18.py')``, resolved by mmpose) giving joint names and the skeleton.
        parts: ordered ``(part_name, joint_names)`` pairs (or a dict); ``'*'`` = all joints.
        c_values: SVM ``C`` of each granularity.
        kernel_width: RBF width sigma; ``gamma = 1 / (2 sigma^2)``.
        landmark_spacing: distance between landmarks along a limb.
        band: ``(inner, outer)`` distances of the negatives from the part's skeleton.
        negative_ratio: negatives per positive landmark.
        min_negatives: lower bound of the negatives of a part.
        min_person_scale: lower bound of the person scale, as a fraction of the larger
            heatmap side (degenerate poses: a single visible joint).
        key_decimals: canonical coordinates are rounded to this many decimals before fitting
            (and hashing), so a cached fit equals a recomputed one exactly.
        cache_dir: folder of the fit cache (None: no cache).
    """

    field_mapping_table = dict(svs_maps='svs_maps')
    label_mapping_table = dict(svs_weights='svs_weights')

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 metainfo: dict,
                 parts: Union[Sequence[Tuple[str, Sequence[str]]], Dict[str, Sequence[str]]]
                 = BODY7_PARTS,
                 c_values: Sequence[float] = (3, 6, 12, 24),
                 kernel_width: float = 0.15,
                 landmark_spacing: float = 0.05,
                 band: Tuple[float, float] = (0.15, 0.6),
                 negative_ratio: float = 2.0,
                 min_negatives: int = 16,
                 min_person_scale: float = 0.05,
                 key_decimals: int = 4,
                 cache_dir: Optional[str] = None) -> None:
        super().__init__()
        if kernel_width <= 0 or landmark_spacing <= 0:
            raise ValueError('SVSCodec: kernel_width and landmark_spacing must be positive, got '
                             f'{kernel_width}, {landmark_spacing}')
        if not 0 <= band[0] < band[1]:
            raise ValueError(f'SVSCodec: band must be (inner, outer) with 0 <= inner < outer, '
                             f'got {band}')
        if len(c_values) == 0 or min(c_values) <= 0:
            raise ValueError(f'SVSCodec: c_values must be positive, got {c_values}')
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.scale_factor = (np.array(input_size, dtype=np.float64) /
                             np.array(heatmap_size, dtype=np.float64))
        meta = parse_pose_metainfo(dict(metainfo)) if 'keypoint_name2id' not in metainfo \
            else metainfo
        self.num_keypoints = int(meta['num_keypoints'])
        part_items = list(parts.items()) if isinstance(parts, dict) else list(parts)
        self.parts = resolve_parts(part_items, meta['keypoint_name2id'],
                                   meta['skeleton_links'])
        self.part_names = [p.name for p in self.parts]
        self.c_values = tuple(float(c) for c in c_values)
        self.gamma = 1.0 / (2.0 * float(kernel_width)**2)
        self.landmark_spacing = float(landmark_spacing)
        self.band = (float(band[0]), float(band[1]))
        self.negative_ratio = float(negative_ratio)
        self.min_negatives = int(min_negatives)
        self.min_person_scale = float(min_person_scale)
        self.key_decimals = int(key_decimals)
        self.cache = SVSFitCache(cache_dir) if cache_dir else None
        params = dict(version=_CODEC_VERSION, c_values=self.c_values, gamma=self.gamma,
                      spacing=self.landmark_spacing, band=self.band,
                      negative_ratio=self.negative_ratio, min_negatives=self.min_negatives,
                      decimals=self.key_decimals,
                      parts=[(p.name, p.joints, p.links) for p in self.parts])
        self._params_digest = hashlib.sha1(
            json.dumps(params, sort_keys=True).encode()).hexdigest()

    @property
    def num_channels(self) -> int:
        """Number of output channels: parts x granularities."""
        return len(self.parts) * len(self.c_values)

    def channel_names(self) -> list:
        """``'<part>@C<c>'`` name of every output channel, in order."""
        return [f'{p}@C{c:g}' for c in self.c_values for p in self.part_names]

    # ------------------------------------------------------------------ fitting
    def canonicalize(self, keypoints: np.ndarray, visible: np.ndarray
                     ) -> Tuple[Optional[CanonicalFrame], np.ndarray]:
        """Canonical frame and rounded canonical joints of one pose in heatmap coordinates.

        Args:
            keypoints: (K, 2) heatmap-grid coordinates.
            visible: (K,) bool.

        Returns:
            ``(frame, points)``: frame is None if no joint is visible; points (K, 2) float64,
            zero for invisible joints.
        """
        frame = canonical_frame(keypoints, visible,
                                self.min_person_scale * max(self.heatmap_size))
        if frame is None:
            return None, np.zeros((len(visible), 2))
        pts = np.round(frame.to_canonical(keypoints), self.key_decimals)
        pts[~visible] = 0.0
        return frame, pts + 0.0  # + 0.0 turns -0.0 into 0.0 so equal poses hash equally

    def cache_key(self, points: np.ndarray, visible: np.ndarray) -> str:
        """Content key of a canonical pose under this codec's fitting parameters."""
        h = hashlib.sha1(self._params_digest.encode())
        h.update(np.ascontiguousarray(points, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(visible, dtype=bool).tobytes())
        return h.hexdigest()

    def training_sets(self, points: np.ndarray, visible: np.ndarray):
        """Per-part SVM training sets ``(x, y)`` (or None) of a canonical pose."""
        seed = int(self.cache_key(points, visible)[:8], 16)
        return svs_training_sets(points, visible, self.parts, self.landmark_spacing,
                                 self.band, self.negative_ratio, self.min_negatives, seed)

    def fit(self, points: np.ndarray, visible: np.ndarray) -> SVSFit:
        """Fitted SVMs of a canonical pose, from the cache when possible.

        Args:
            points: (K, 2) rounded canonical joints (see :meth:`canonicalize`).
            visible: (K,) bool.

        Returns:
            The :class:`SVSFit`.
        """
        key = self.cache_key(points, visible) if self.cache is not None else None
        if key is not None:
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        fit = fit_svs(self.training_sets(points, visible), self.c_values, self.gamma)
        if key is not None:
            self.cache.put(key, fit)
        return fit

    # ------------------------------------------------------------------ codec API
    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode one person's keypoints into SVS maps.

        Args:
            keypoints: (1, K, 2) keypoints in the input space (``input_size``).
            keypoints_visible: (1, K) visibility (> 0 means the joint exists).

        Returns:
            dict with ``svs_maps`` (C, H, W) float32 and ``svs_weights`` (1, C) float32.
        """
        keypoints = np.asarray(keypoints, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[0] != 1 or keypoints.shape[2] < 2:
            raise ValueError(f'{type(self).__name__} encodes one instance: keypoints must have '
                             f'shape (1, K, 2), got {keypoints.shape}')
        if keypoints.shape[1] != self.num_keypoints:
            raise ValueError(f'{type(self).__name__}: keypoints have {keypoints.shape[1]} joints '
                             f'but the metainfo has {self.num_keypoints}')
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        vis = np.asarray(keypoints_visible)
        if vis.ndim == 3:
            vis = vis[..., 0]
        if vis.shape != keypoints.shape[:2]:
            raise ValueError(f'keypoints_visible must have shape {keypoints.shape[:2]}, '
                             f'got {vis.shape}')
        kpts = keypoints[0, :, :2] / self.scale_factor
        visible = (vis[0] > 0) & np.isfinite(kpts).all(axis=1)
        W, H = self.heatmap_size
        frame, points = self.canonicalize(kpts, visible)
        if frame is None:
            return dict(svs_maps=np.zeros((self.num_channels, H, W), np.float32),
                        svs_weights=np.zeros((1, self.num_channels), np.float32))
        fit = self.fit(points, visible)
        maps = evaluate_svs_on_grid(fit, frame, W, H)
        return dict(svs_maps=maps.astype(np.float32),
                    svs_weights=fit.valid.astype(np.float32)[None])

    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Not defined: SVS maps are a training signal; keypoints come from a heatmap head."""
        raise NotImplementedError(
            f'{type(self).__name__} is an auxiliary training target and has no decoder; decode '
            'keypoints with the keypoint head\'s codec (e.g. MSRAHeatmap)')
