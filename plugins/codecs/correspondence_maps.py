"""Affinity maps of self-supervised keypoint correspondences: targets and the one decoder.

:class:`CorrespondenceMaps` encodes training targets. Decoding lives here once, as functions on
tensors (:func:`pool_affinity`, :func:`decode_affinity_maps`, :func:`read_affinity`): the codec's
``decode``, :class:`~plugins.models.correspondence.CorrespondenceNet` (``maps_to_points``,
``affinity_at``, ``predict``) and the propagation used by the tracker, recovery and track merging
(:func:`plugins.models.correspondence.propagate_keypoints`) all call them, so a map decodes to
the same point everywhere.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from plugins.utils.affine import input_to_map, inside_image, map_to_input

#: how a window of a map is read: the probability mass of spatial-softmax maps, the maximum
#: of per-pixel (sigmoid) maps
REDUCTIONS = ('sum', 'max')


def _as_tensor(maps: Union[Tensor, np.ndarray]) -> Tensor:
    if isinstance(maps, Tensor):
        return maps
    return torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32))


def pool_affinity(maps: Union[Tensor, np.ndarray], reduce: str = 'max',
                  window: int = 0) -> Tensor:
    """Maps read through a (2 window + 1)^2 neighbourhood of cells.

    Args:
        maps: (..., h, w) affinity maps in [0, 1].
        reduce: ``'sum'`` (the mass in the window, for softmax maps) or ``'max'`` (sigmoid maps).
        window: neighbourhood radius in map cells (0: the maps themselves).

    Returns:
        Tensor of the same shape, clamped to [0, 1] (zero padding outside the map).
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f'reduce must be one of {REDUCTIONS}, got {reduce!r}')
    if window < 0:
        raise ValueError(f'window must be >= 0, got {window}')
    x = _as_tensor(maps)
    if window == 0:
        return x
    shape = x.shape
    x = x.reshape(-1, 1, *shape[-2:])
    size = 2 * window + 1
    if reduce == 'sum':
        x = F.avg_pool2d(x, size, 1, window, count_include_pad=True) * size * size
    else:
        x = F.max_pool2d(x, size, 1, window)
    return x.reshape(shape).clamp(0, 1)


def decode_affinity_maps(maps: Union[Tensor, np.ndarray], input_size: Sequence[int],
                         reduce: str = 'max', window: int = 0) -> Tuple[Tensor, Tensor]:
    """Point and score of every affinity map: the arg-max cell, refined by the centroid of its
    3x3 neighbourhood (sub-cell precision), mapped to input pixels.

    Args:
        maps: (..., h, w) affinity maps (e.g. (N, K, h, w)).
        input_size: (W, H) of the network input the maps refer to.
        reduce, window: how the score is read (:func:`pool_affinity` at the arg-max cell);
            ``window=0`` gives the map's maximum.

    Returns:
        points (..., 2) in input pixels (cell centres at ``(i + 0.5) * stride - 0.5``) and
        scores (...,) in [0, 1].
    """
    x = _as_tensor(maps)
    if x.dim() < 2:
        raise ValueError(f'affinity maps must be (..., h, w), got {tuple(x.shape)}')
    shape = x.shape
    h, w = shape[-2:]
    flat = x.reshape(-1, h * w)
    if flat.shape[0] == 0:
        return x.new_zeros((*shape[:-2], 2)), x.new_zeros(shape[:-2])
    pooled = pool_affinity(x, reduce, window).reshape(-1, h * w)
    idx = flat.argmax(-1)
    score = torch.gather(pooled, 1, idx[:, None])[:, 0]
    cx, cy = (idx % w).to(x.dtype), (idx // w).to(x.dtype)
    # the 3x3 neighbourhood of each arg-max (zeros outside the map), read by index
    padded = F.pad(x.reshape(-1, h, w), (1, 1, 1, 1)).reshape(-1, (h + 2) * (w + 2))
    step = torch.arange(3, device=x.device)
    around = (step[:, None] * (w + 2) + step[None, :]).reshape(1, 9)  # row-major 3x3
    corner = (idx // w) * (w + 2) + idx % w  # top-left of the window in the padded map
    patch = torch.gather(padded, 1, corner[:, None] + around)  # (M, 9)
    offs = torch.tensor([-1.0, 0.0, 1.0], device=x.device, dtype=x.dtype)
    dy, dx = torch.meshgrid(offs, offs, indexing='ij')
    mass = patch.sum(-1).clamp_min(1e-12)
    cx = cx + (patch * dx.reshape(1, 9)).sum(-1) / mass
    cy = cy + (patch * dy.reshape(1, 9)).sum(-1) / mass
    pts = map_to_input(torch.stack([cx, cy], -1), input_size, (w, h))
    return pts.reshape(*shape[:-2], 2), score.reshape(shape[:-2])


def read_affinity(maps: Union[Tensor, np.ndarray], points: Union[Tensor, np.ndarray],
                  input_size: Sequence[int], reduce: str = 'max', window: int = 0) -> Tensor:
    """Value of every query's map at every candidate pose's joint.

    The (pooled, :func:`pool_affinity`) maps are interpolated bilinearly at the joints.

    Args:
        maps: (T, K, h, w) affinity maps of T propagated poses.
        points: (N, K, 2) joints of N candidate poses, input pixels.
        input_size: (W, H) of the network input.
        reduce, window: as :func:`pool_affinity`.

    Returns:
        (T, N, K) values in [0, 1]; 0 for joints outside the map.
    """
    m = pool_affinity(maps, reduce, window)
    if m.dim() != 4:
        raise ValueError(f'maps must be (T, K, h, w), got {tuple(m.shape)}')
    t, k, h, w = m.shape
    pts = torch.as_tensor(points, dtype=m.dtype, device=m.device).reshape(-1, k, 2)
    n = pts.shape[0]
    if t == 0 or n == 0:
        return m.new_zeros((t, n, k))
    cells = input_to_map(pts, input_size, (w, h))  # (N, K, 2), cell centres integer
    inside = ((cells[..., 0] >= -0.5) & (cells[..., 0] <= w - 0.5) & (cells[..., 1] >= -0.5)
              & (cells[..., 1] <= h - 0.5))
    grid = torch.stack([(cells[..., 0] + 0.5) / w * 2 - 1, (cells[..., 1] + 0.5) / h * 2 - 1],
                       dim=-1)  # align_corners=False convention
    grid = grid.permute(1, 0, 2)[:, :, None]  # (K, N, 1, 2): one batch entry per joint
    vals = F.grid_sample(m.permute(1, 0, 2, 3), grid, mode='bilinear',
                         padding_mode='border', align_corners=False)  # (K, T, N, 1)
    vals = vals[..., 0].permute(1, 2, 0)  # (T, N, K)
    return vals * inside[None].to(vals.dtype)


@KEYPOINT_CODECS.register_module()
class CorrespondenceMaps(BaseKeypointCodec):
    """Encode where every keypoint of the first image of a pair lies in the second one.

    For each person n and joint k of image 1 (``keypoints``), the target on the second image's
    map grid is a Gaussian (peak 1) at the joint's location in image 2 (``pair_keypoints``, from
    :class:`AffineImagePair`). A joint that left image 2 (``pair_keypoints_visible`` = 0) gets
    an all-zero map: the network must learn that it is nowhere. A joint that is not annotated
    in image 1 (``keypoints_visible`` = 0) has no query: weight 0.

    Encoded:
        - ``affinity_maps`` (N * K, h, w) float32 (packed into ``gt_fields``)
        - ``affinity_weights`` (N, K) float32 (packed into ``gt_instance_labels``)

    Args:
        input_size: network input (W, H) in pixels.
        heatmap_size: map grid (w, h) of the network's affinity maps.
        sigma: Gaussian standard deviation in map cells.
        decode_reduce, decode_window: how :meth:`decode` reads the score, as inference reads
            the network's maps (``'max'`` for refined sigmoid maps, ``'sum'`` for Siamese
            softmax maps; see :func:`decode_affinity_maps`).
    """

    auxiliary_encode_keys = {'pair_keypoints', 'pair_keypoints_visible'}
    field_mapping_table = dict(affinity_maps='affinity_maps')
    label_mapping_table = dict(affinity_weights='affinity_weights')
    instance_mapping_table = dict(
        bbox='bboxes',
        bbox_score='bbox_scores',
        keypoints='keypoints',
        keypoints_visible='keypoints_visible',
        pair_keypoints='pair_keypoints',
        pair_keypoints_visible='pair_keypoints_visible')

    def __init__(self, input_size: Sequence[int], heatmap_size: Sequence[int],
                 sigma: float = 1.0, decode_reduce: str = 'max',
                 decode_window: int = 0) -> None:
        super().__init__()
        if sigma <= 0:
            raise ValueError(f'sigma must be > 0, got {sigma}')
        if decode_reduce not in REDUCTIONS:
            raise ValueError(f'decode_reduce must be one of {REDUCTIONS}, got {decode_reduce!r}')
        self.decode_reduce = decode_reduce
        self.decode_window = int(decode_window)
        self.input_size = tuple(int(v) for v in input_size)
        self.heatmap_size = tuple(int(v) for v in heatmap_size)
        self.sigma = float(sigma)

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None,
               pair_keypoints: Optional[np.ndarray] = None,
               pair_keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Make the target maps.

        Args:
            keypoints: (N, K, 2) joints in image 1 (input pixels).
            keypoints_visible: (N, K) annotated in image 1 (default: all).
            pair_keypoints: (N, K, 2) the same joints in image 2 (input pixels).
            pair_keypoints_visible: (N, K) still inside/visible in image 2 (default: all).

        Returns:
            dict with ``affinity_maps`` (N*K, h, w) and ``affinity_weights`` (N, K).
        """
        if pair_keypoints is None:
            raise ValueError('CorrespondenceMaps needs "pair_keypoints" in the results: put '
                             'AffineImagePair before GenerateTarget in the pipeline')
        kpts = np.asarray(keypoints, dtype=np.float32)
        pair = np.asarray(pair_keypoints, dtype=np.float32)
        if kpts.ndim != 3 or kpts.shape[-1] != 2 or pair.shape != kpts.shape:
            raise ValueError(f'keypoints and pair_keypoints must both be (N, K, 2), got '
                             f'{kpts.shape} and {pair.shape}')
        n, k = kpts.shape[:2]
        vis = (np.ones((n, k), np.float32) if keypoints_visible is None else
               np.asarray(keypoints_visible, np.float32).reshape(n, k))
        pair_vis = (np.ones((n, k), np.float32) if pair_keypoints_visible is None else
                    np.asarray(pair_keypoints_visible, np.float32).reshape(n, k))
        w, h = self.heatmap_size
        present = (pair_vis > 0.5) & inside_image(pair, self.input_size) & (vis > 0.5)
        centres = input_to_map(pair.astype(np.float64), self.input_size, self.heatmap_size)
        xs = np.arange(w, dtype=np.float64)
        ys = np.arange(h, dtype=np.float64)
        gx = np.exp(-(xs[None, None, :] - centres[..., 0:1]) ** 2 / (2 * self.sigma ** 2))
        gy = np.exp(-(ys[None, None, :] - centres[..., 1:2]) ** 2 / (2 * self.sigma ** 2))
        maps = gy[..., :, None] * gx[..., None, :] * present[..., None, None]
        return dict(affinity_maps=maps.reshape(n * k, h, w).astype(np.float32),
                    affinity_weights=(vis > 0.5).astype(np.float32))

    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Keypoints from one person's affinity maps, exactly as inference decodes them
        (:func:`decode_affinity_maps`: arg-max refined by its 3x3 centroid).

        Args:
            encoded: (K, h, w) affinity maps of one person.

        Returns:
            keypoints (1, K, 2) input pixels and scores (1, K).
        """
        maps = np.asarray(encoded, dtype=np.float32)
        if maps.ndim != 3:
            raise ValueError(f'affinity maps must be (K, h, w), got {maps.shape}')
        if tuple(maps.shape[1:]) != (self.heatmap_size[1], self.heatmap_size[0]):
            raise ValueError(f'affinity maps are {maps.shape[1:]} (h, w) but the codec\'s '
                             f'heatmap_size (w, h) is {self.heatmap_size}')
        pts, scores = decode_affinity_maps(maps, self.input_size, self.decode_reduce,
                                           self.decode_window)
        return pts.numpy()[None].astype(np.float32), scores.numpy()[None].astype(np.float32)
