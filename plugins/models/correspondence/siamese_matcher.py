"""Siamese keypoint matching: descriptor patches correlated with the other image's features."""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class SiameseMatcher(BaseModule):
    """Shared backbone on two images, per-pixel L2-normalised features, and for every query
    point a descriptor (the ``patch_size`` x ``patch_size`` feature patch around it) correlated
    with the second image's features; a softmax over all pixels gives the affinity map.

    All queries of all images are matched in one grouped convolution (no loop over keypoints).

    Args:
        backbone: any mmpose backbone config (e.g. ``BNInception`` up to layer 17).
        patch_size: odd side of the descriptor patch in map cells.
        temperature: the correlation (a mean cosine similarity in [-1, 1]) is divided by it
            before the softmax.
        learn_temperature: make the temperature a trained parameter (log-parametrised).
        feat_index: which backbone output to use (default: the last one).
    """

    def __init__(self,
                 backbone: dict,
                 patch_size: int = 3,
                 temperature: float = 0.05,
                 learn_temperature: bool = False,
                 feat_index: int = -1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if patch_size < 1 or patch_size % 2 == 0:
            raise ValueError(f'patch_size must be a positive odd number, got {patch_size}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.backbone = MODELS.build(backbone)
        self.patch_size = int(patch_size)
        self.feat_index = int(feat_index)
        log_t = torch.tensor(math.log(temperature), dtype=torch.float32)
        if learn_temperature:
            self.log_temperature = nn.Parameter(log_t)
        else:
            self.register_buffer('log_temperature', log_t)

    def extract(self, imgs: Tensor) -> Tensor:
        """Per-pixel L2-normalised features.

        Args:
            imgs: (B, C_in, H, W) images.

        Returns:
            (B, C, h, w) features with unit norm at every pixel.
        """
        feats = self.backbone(imgs)
        if isinstance(feats, (tuple, list)):
            feats = feats[self.feat_index]
        return F.normalize(feats, p=2, dim=1)

    def descriptors(self, feats: Tensor, cells: Tensor) -> Tensor:
        """Feature patches around integer map cells.

        Args:
            feats: (B, C, h, w) normalised features of the source image.
            cells: (B, Q, 2) long ``(x, y)`` map cells (clamped to the map).

        Returns:
            (B, Q, C, p, p) patches (zero outside the map).
        """
        b, c, h, w = feats.shape
        p = self.patch_size
        r = p // 2
        q = cells.shape[1]
        x = cells[..., 0].clamp(0, w - 1)
        y = cells[..., 1].clamp(0, h - 1)
        # only the Q patches are read (unfolding the whole map costs C p^2 h w per call)
        padded = F.pad(feats, (r, r, r, r))  # zeros outside the map, as unfold's padding
        wp = w + 2 * r
        offs = torch.arange(p, device=feats.device)
        rows = y[..., None, None] + offs[:, None]  # (B, Q, p, 1): top-left = cell - r + r
        cols = x[..., None, None] + offs[None, :]  # (B, Q, 1, p)
        index = (rows * wp + cols).reshape(b, 1, q * p * p).expand(b, c, -1)
        patches = torch.gather(padded.reshape(b, c, -1), 2, index)  # (B, C, Q*p*p)
        return patches.reshape(b, c, q, p, p).permute(0, 2, 1, 3, 4)

    def correlate(self, desc: Tensor, feats: Tensor) -> Tensor:
        """Correlation of every descriptor with every position of the target features.

        Args:
            desc: (B, Q, C, p, p) descriptors.
            feats: (B, C, h, w) normalised target features.

        Returns:
            (B, Q, h, w) mean cosine similarity over the patch, in [-1, 1].
        """
        b, q, c, p, _ = desc.shape
        _, _, h, w = feats.shape
        if q == 0:
            return feats.new_zeros((b, 0, h, w))
        out = F.conv2d(feats.reshape(1, b * c, h, w), desc.reshape(b * q, c, p, p),
                       padding=p // 2, groups=b)
        return out.reshape(b, q, h, w) / float(p * p)

    def affinity_logits(self, feats_src: Tensor, feats_dst: Tensor,
                        points: Tensor) -> Tensor:
        """Correlation maps (before the softmax) of query points of the source map.

        Args:
            feats_src: (B, C, h, w) source features.
            feats_dst: (B, C, h, w) target features.
            points: (B, Q, 2) continuous map coordinates of the queries.

        Returns:
            (B, Q, h, w) correlation in [-1, 1].
        """
        cells = torch.round(points).long()
        return self.correlate(self.descriptors(feats_src, cells), feats_dst)

    @property
    def temperature(self) -> Tensor:
        return self.log_temperature.exp()

    def softmax(self, corr: Tensor) -> Tensor:
        """Spatial softmax of correlation maps (..., h, w) at the temperature."""
        shape = corr.shape
        logits = corr.reshape(*shape[:-2], -1) / self.temperature
        return logits.softmax(dim=-1).reshape(shape)

    def log_softmax(self, corr: Tensor, min_value: float = -30.0) -> Tensor:
        """Log of :meth:`softmax` (clamped below at ``min_value``), same shape."""
        shape = corr.shape
        logits = corr.reshape(*shape[:-2], -1) / self.temperature
        return logits.log_softmax(dim=-1).clamp_min(min_value).reshape(shape)

    def forward(self, imgs_src: Tensor, imgs_dst: Tensor,
                points: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Match query points of the source images in the target images.

        Args:
            imgs_src, imgs_dst: (B, C_in, H, W).
            points: (B, Q, 2) map coordinates of the queries.

        Returns:
            ``(affinity, corr, feats_src, feats_dst)``: (B, Q, h, w) softmax affinity maps,
            their correlation maps, and the two feature maps.
        """
        feats = self.extract(torch.cat([imgs_src, imgs_dst], dim=0))
        feats_src, feats_dst = feats.chunk(2, dim=0)
        corr = self.affinity_logits(feats_src, feats_dst, points)
        return self.softmax(corr), corr, feats_src, feats_dst
