"""Heatmap + joint-offset codec (G-RMI style) decoded from an upsampled heatmap."""
from typing import Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmpose.codecs import UDPHeatmap
from mmpose.registry import KEYPOINT_CODECS


@KEYPOINT_CODECS.register_module()
class HeatmapOffset(UDPHeatmap):
    """Binary disk heatmaps plus x/y offset maps per joint.

    Encoding is mmpose's :class:`UDPHeatmap` with ``heatmap_type='combined'``: per joint three
    maps ``[label, x_offset, y_offset]`` (3K channels interleaved), the label 1 within
    ``radius = radius_factor * max(W, H)`` of the joint, the offsets ``(joint - pixel) /
    radius`` everywhere. What mmpose lacks is the decoding used by the two-stage estimator of
    the keypoint-correspondence paper: the label map is upsampled by ``upsample_factor``
    (bilinear), its arg-max taken, and the offset there (bilinear) added. Decoding is the exact
    inverse of encoding (``keypoints / scale_factor``).

    Args:
        input_size: (w, h) of the network input.
        heatmap_size: (W, H) of the maps.
        radius_factor: disk radius as a fraction of ``max(W, H)``.
        upsample_factor: integer upsampling of the label map before the arg-max.
    """

    def __init__(self,
                 input_size: Sequence[int],
                 heatmap_size: Sequence[int],
                 radius_factor: float = 0.0546875,
                 upsample_factor: int = 4) -> None:
        super().__init__(input_size=tuple(input_size), heatmap_size=tuple(heatmap_size),
                         heatmap_type='combined', radius_factor=radius_factor)
        if int(upsample_factor) < 1:
            raise ValueError(f'upsample_factor must be >= 1, got {upsample_factor}')
        self.upsample_factor = int(upsample_factor)

    @property
    def radius(self) -> float:
        """Offset unit (heatmap pixels)."""
        return self.radius_factor * max(self.heatmap_size)

    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Keypoints from label probabilities and offsets.

        Args:
            encoded: (3K, H, W) maps ``[label probability, x_offset, y_offset]`` per joint.

        Returns:
            keypoints (1, K, 2) in input pixels and scores (1, K) (upsampled label maxima).
        """
        maps = np.asarray(encoded, dtype=np.float32)
        if maps.ndim != 3 or maps.shape[0] % 3:
            raise ValueError(f'heatmap+offset maps must be (3K, H, W), got {maps.shape}')
        k = maps.shape[0] // 3
        h, w = maps.shape[1:]
        labels, offsets = maps[0::3], np.stack([maps[1::3], maps[2::3]], axis=1)  # (K,2,H,W)
        s = self.upsample_factor
        up = torch.from_numpy(np.ascontiguousarray(labels))[None]
        if s > 1 and h > 1 and w > 1:
            up = F.interpolate(up, size=(s * (h - 1) + 1, s * (w - 1) + 1), mode='bilinear',
                               align_corners=True)
            step = 1.0 / s
        else:
            step = 1.0
        up = up[0].reshape(k, -1).numpy()
        width_up = s * (w - 1) + 1 if step < 1 else w
        idx = up.argmax(axis=1)
        scores = up[np.arange(k), idx]
        x = (idx % width_up) * step
        y = (idx // width_up) * step
        off = _bilinear(offsets, x, y)  # (K, 2)
        kpts = np.stack([x, y], axis=-1) + off * self.radius
        kpts = kpts * self.scale_factor
        return kpts[None].astype(np.float32), scores[None].astype(np.float32)


def _bilinear(maps: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample (K, C, H, W) maps at one point per joint (K,) -> (K, C)."""
    k, _, h, w = maps.shape
    x0 = np.clip(np.floor(x).astype(int), 0, w - 1)
    y0 = np.clip(np.floor(y).astype(int), 0, h - 1)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    ax, ay = (x - x0)[:, None], (y - y0)[:, None]
    j = np.arange(k)
    top = maps[j, :, y0, x0] * (1 - ax) + maps[j, :, y0, x1] * ax
    bottom = maps[j, :, y1, x0] * (1 - ax) + maps[j, :, y1, x1] * ax
    return top * (1 - ay) + bottom * ay
