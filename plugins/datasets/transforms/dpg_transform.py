"""Deep Proposals Generator (RMPE): augment training boxes like a real detector's boxes."""
import os.path as osp
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from plugins.datasets.transforms.dpg_model import DPGModel
from plugins.datasets.transforms.dpg_network import DPGNetworkModel, ProposalNetworkDPG
from plugins.registry import TRANSFORMS

#: The sampling modes of :class:`DeepProposalsGenerator`.
DPG_MODES = ('alphapose', 'atomic_pose_gmm', 'proposal_network')

#: The public AlphaPose DPG (``addDPG``): with probability 0.15 a random sub-patch of the box
#: (same aspect ratio, scale uniform in [0.85, 1]); otherwise each edge moves by a Gaussian
#: fraction of the box size, ``N(mean, std) * (w or h)`` for ``x1, y1, x2, y2``.
ALPHAPOSE_EDGE_MEAN = (-0.0142, 0.0043, 0.0154, -0.0013)
ALPHAPOSE_EDGE_STD = (0.1158, 0.068, 0.1337, 0.0711)
ALPHAPOSE_PATCH_PROB = 0.15


@TRANSFORMS.register_module()
class DeepProposalsGenerator(BaseTransform):
    """Replace the ground-truth box by one a person detector could have produced.

    Three ways to sample (``mode``):

    * ``'atomic_pose_gmm'``: k-means atomic poses + one Gaussian mixture of box offsets per
      atomic pose, fitted by ``tools/analysis/fit_dpg.py`` (JSON ``dpg_file``); the instance's
      pose is assigned to its atomic pose and the offset ``(det - gt) / (w, h, w, h)`` is drawn
      from that atomic pose's mixture (the pose-guided proposals generator as RMPE's ICCV text
      describes it).
    * ``'proposal_network'``: a small network trained by ``tools/analysis/fit_dpg.py --mode
      proposal_network`` (``.pth`` ``dpg_file``) scores ``num_candidates`` random boxes around
      the person, each encoded as a proposal indicator image with the pose drawn in per-joint
      colours; one of the ``top_k`` best is used
      (:mod:`plugins.datasets.transforms.dpg_network`).
    * ``'alphapose'`` (no file): the public AlphaPose preset, fixed Gaussian edge jitter
      (:data:`ALPHAPOSE_EDGE_MEAN`, :data:`ALPHAPOSE_EDGE_STD`) or, with probability
      ``patch_prob``, a random sub-patch of the box.

    Place it after ``LoadImage`` and before ``GetBBoxCenterScale``. Like RMPE's training, it can
    be switched on from a given epoch: set ``enabled=False`` and use ``DPGScheduleHook``. The
    file is read when the transform is built, so a missing file fails before training starts.

    Required keys: ``bbox`` (N, 4) ``xyxy``; with a fitted mode also ``keypoints`` (N, K, 2)
    and ``keypoints_visible`` (N, K); ``img_shape`` when ``clip_to_image``.
    Modified keys: ``bbox``.

    Args:
        dpg_file: the fitted model of ``mode`` (``None`` for ``'alphapose'``).
        mode: one of :data:`DPG_MODES`; ``None``: ``'alphapose'`` without ``dpg_file``, else
            ``'atomic_pose_gmm'``.
        prob: probability to augment an instance's box.
        patch_prob: probability of a sub-patch in the preset (AlphaPose: 0.15); as in AlphaPose,
            where one uniform draw decides both, the patch scale is uniform in
            ``[1 - patch_prob, 1)``.
        num_candidates / top_k: ``'proposal_network'`` sampling (see above).
        clip_to_image: clip boxes to the image, as AlphaPose does (``1 <= x1 <= W - 3`` etc.).
        min_size: a sampled box narrower or lower than this (pixels) keeps the original box.
        enabled: whether the transform acts (a schedule hook may switch it on later).
        seed: seed of a private random generator; ``None`` uses numpy's global one, which
            mmengine seeds differently in every dataloader worker (a private generator would be
            copied into every worker with the same state).
    """

    def __init__(self,
                 dpg_file: Optional[str] = None,
                 mode: Optional[str] = None,
                 prob: float = 1.0,
                 patch_prob: float = ALPHAPOSE_PATCH_PROB,
                 num_candidates: int = 32,
                 top_k: int = 4,
                 clip_to_image: bool = True,
                 min_size: float = 2.0,
                 enabled: bool = True,
                 seed: Optional[int] = None) -> None:
        super().__init__()
        if not 0 <= prob <= 1 or not 0 <= patch_prob <= 1:
            raise ValueError(f'DeepProposalsGenerator: prob and patch_prob must be in [0, 1], '
                             f'got {prob}, {patch_prob}')
        if mode is None:
            mode = 'alphapose' if dpg_file is None else 'atomic_pose_gmm'
        if mode not in DPG_MODES:
            raise ValueError(f'DeepProposalsGenerator: mode must be one of {DPG_MODES}, '
                             f'got {mode!r}')
        if (mode == 'alphapose') != (dpg_file is None):
            raise ValueError(f'DeepProposalsGenerator: mode={mode!r} ' + (
                'takes no dpg_file' if mode == 'alphapose' else
                'needs dpg_file (fit it with tools/analysis/fit_dpg.py)'))
        self.mode = mode
        self.dpg_file = dpg_file
        self.model: Optional[DPGModel] = None
        self.network: Optional[ProposalNetworkDPG] = None
        if mode == 'atomic_pose_gmm':
            if not osp.isfile(dpg_file):
                raise FileNotFoundError(
                    f'DeepProposalsGenerator: DPG model {dpg_file!r} not found; fit it with '
                    'tools/analysis/fit_dpg.py, or set dpg_file=None for the AlphaPose preset')
            self.model = DPGModel.load(dpg_file)
        elif mode == 'proposal_network':
            self.network = ProposalNetworkDPG(DPGNetworkModel.load(dpg_file), num_candidates,
                                              top_k)
        self.prob = float(prob)
        self.patch_prob = float(patch_prob)
        self.clip_to_image = clip_to_image
        self.min_size = float(min_size)
        self.enabled = enabled
        # np.random (the module) offers the same sampling methods as a Generator
        self.rng = np.random.default_rng(seed) if seed is not None else np.random

    def sample_boxes(self, bboxes: np.ndarray, keypoints: Optional[np.ndarray] = None,
                     visible: Optional[np.ndarray] = None) -> np.ndarray:
        """Sampled boxes for ground-truth boxes (before clipping).

        Args:
            bboxes: (N, 4) ``xyxy`` ground-truth boxes.
            keypoints: (N, K, 2) poses (required by a fitted model).
            visible: (N, K) labelled joints (required by a fitted model).

        Returns:
            (N, 4) ``xyxy``.
        """
        boxes = np.asarray(bboxes, np.float64).reshape(-1, 4)
        wh = boxes[:, 2:] - boxes[:, :2]
        whwh = np.concatenate([wh, wh], axis=1)
        if self.mode != 'alphapose' and (keypoints is None or visible is None):
            raise KeyError(f'DeepProposalsGenerator: mode={self.mode!r} needs "keypoints" and '
                           '"keypoints_visible" (the pose guides the proposals)')
        if self.model is not None:
            clusters = self.model.assign(keypoints, np.asarray(visible) > 0, boxes)
            return boxes + self.model.sample_offsets(clusters, self.rng) * whwh
        if self.network is not None:
            return self.network.sample(boxes, keypoints, np.asarray(visible).reshape(
                len(boxes), -1) > 0, self.rng)
        n = len(boxes)
        jitter = boxes + self.rng.normal(ALPHAPOSE_EDGE_MEAN, ALPHAPOSE_EDGE_STD,
                                         (n, 4)) * whwh
        # sub-patch: scale s in [0.85, 1) of the box, placed uniformly inside it (+1 pixel)
        scale = self.rng.uniform(1 - self.patch_prob, 1, n)[:, None]
        patch_wh = scale * wh
        corner = boxes[:, :2] + self.rng.uniform(size=(n, 2)) * (wh - patch_wh)
        patch = np.concatenate([corner, corner + patch_wh + 1], axis=1)
        use_patch = self.rng.uniform(size=n) < self.patch_prob
        return np.where(use_patch[:, None], patch, jitter)

    def _clip(self, boxes: np.ndarray, img_shape) -> np.ndarray:
        h, w = img_shape[:2]
        x1 = np.clip(boxes[:, 0], 1, w - 3)
        y1 = np.clip(boxes[:, 1], 1, h - 3)
        x2 = np.minimum(np.maximum(x1 + 2, boxes[:, 2]), w - 3)
        y2 = np.minimum(np.maximum(y1 + 2, boxes[:, 3]), h - 3)
        return np.stack([x1, y1, x2, y2], axis=1)

    def transform(self, results: Dict) -> Dict:
        """Sample new boxes for the instances of ``results`` (see the class docstring)."""
        if not self.enabled or self.prob == 0:
            return results
        if 'bbox' not in results:
            raise KeyError('DeepProposalsGenerator: results have no "bbox" (place it before '
                           'GetBBoxCenterScale)')
        boxes = np.asarray(results['bbox'], np.float64).reshape(-1, 4)
        sampled = self.sample_boxes(boxes, results.get('keypoints'),
                                    results.get('keypoints_visible'))
        if self.clip_to_image:
            if 'img_shape' not in results:
                raise KeyError('DeepProposalsGenerator: clip_to_image needs "img_shape" '
                               '(place it after LoadImage)')
            sampled = self._clip(sampled, results['img_shape'])
        size_ok = ((sampled[:, 2:] - sampled[:, :2]) >= self.min_size).all(1)
        chosen = size_ok & (self.rng.uniform(size=len(boxes)) < self.prob)
        out = np.where(chosen[:, None], sampled, boxes)
        results['bbox'] = out.astype(np.asarray(results['bbox']).dtype, copy=False)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, dpg_file={self.dpg_file!r}, '
                f'prob={self.prob}, enabled={self.enabled})')
