"""Ground-truth affinity maps for self-supervised keypoint correspondences."""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS

from plugins.models.correspondence.geometry import input_to_map, inside_image, map_to_input


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
                 sigma: float = 1.0) -> None:
        super().__init__()
        if sigma <= 0:
            raise ValueError(f'sigma must be > 0, got {sigma}')
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
        """Arg-max location of each map, in input pixels.

        Args:
            encoded: (K, h, w) affinity maps of one person.

        Returns:
            keypoints (1, K, 2) input pixels and scores (1, K) (the maps' maxima).
        """
        maps = np.asarray(encoded, dtype=np.float32)
        if maps.ndim != 3:
            raise ValueError(f'affinity maps must be (K, h, w), got {maps.shape}')
        k, h, w = maps.shape
        flat = maps.reshape(k, -1)
        idx = flat.argmax(axis=1)
        cells = np.stack([idx % w, idx // w], axis=-1).astype(np.float32)
        pts = map_to_input(cells, self.input_size, self.heatmap_size)
        return pts[None].astype(np.float32), flat.max(axis=1)[None]
