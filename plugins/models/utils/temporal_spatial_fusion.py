"""Spatial fusion layers of Flowing ConvNets: an implicit spatial model over per-frame heatmaps."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmpose.registry import MODELS


@MODELS.register_module()
class SpatialFusionLayers(BaseModule):
    """Convolutions with large receptive fields that refine heatmaps from all joints' evidence.

    The layers see all ``K`` heatmaps (and optionally backbone features) at once, so each joint's
    output can learn from the positions of the others ("spatial fusion layers", Pfister et al.,
    ICCV 2015). They predict a residual added to the input heatmaps; the last convolution is
    zero-initialised so that, at initialisation, the layers are the identity.

    Args:
        num_keypoints (int): ``K``, heatmap channels in and out.
        feat_channels (int): channels of the backbone features concatenated to the heatmaps
            (resized to the heatmap size); 0 to use heatmaps only.
        mid_channels (int): channels of the hidden layers.
        kernel_size (int): kernel of the hidden layers.
        dilations (Sequence[int]): one hidden layer per entry, with that dilation (receptive
            field grows without the cost of 13x13 kernels).
        init_cfg (dict, optional): mmengine init config of the hidden layers.
    """

    def __init__(self,
                 num_keypoints: int,
                 feat_channels: int = 0,
                 mid_channels: int = 32,
                 kernel_size: int = 7,
                 dilations: Sequence[int] = (1, 2, 3),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if kernel_size % 2 != 1:
            raise ValueError(f'SpatialFusionLayers: kernel_size must be odd, got {kernel_size}')
        if len(dilations) < 1:
            raise ValueError('SpatialFusionLayers: dilations must name at least one layer')
        self.num_keypoints = num_keypoints
        self.feat_channels = feat_channels
        layers = []
        in_channels = num_keypoints + feat_channels
        for dilation in dilations:
            layers += [
                nn.Conv2d(in_channels, mid_channels, kernel_size,
                          padding=dilation * (kernel_size // 2), dilation=dilation),
                nn.ReLU(inplace=True)
            ]
            in_channels = mid_channels
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Conv2d(mid_channels, num_keypoints, kernel_size=1)
        self.zero_output_layer()

    @torch.no_grad()
    def zero_output_layer(self) -> None:
        """Zero the last convolution: the layers become the identity on the heatmaps."""
        self.out.weight.zero_()
        self.out.bias.zero_()

    def init_weights(self) -> None:
        """Initialise the hidden layers (``init_cfg``) and zero the output layer."""
        super().init_weights()
        self.zero_output_layer()

    def forward(self, heatmaps: Tensor, feats: Optional[Tensor] = None) -> Tensor:
        """Refine heatmaps.

        Args:
            heatmaps (Tensor): ``(N, K, H, W)``.
            feats (Tensor, optional): ``(N, C, H', W')`` features with ``C = feat_channels``;
                required iff ``feat_channels > 0``.

        Returns:
            Tensor: ``(N, K, H, W)`` refined heatmaps.
        """
        if heatmaps.dim() != 4 or heatmaps.shape[1] != self.num_keypoints:
            raise ValueError(f'SpatialFusionLayers expects (N, K={self.num_keypoints}, H, W) '
                             f'heatmaps, got {tuple(heatmaps.shape)}')
        x = heatmaps
        if self.feat_channels:
            if feats is None or feats.shape[1] != self.feat_channels:
                got = None if feats is None else tuple(feats.shape)
                raise ValueError(f'SpatialFusionLayers needs features with '
                                 f'{self.feat_channels} channels, got {got}')
            if feats.shape[2:] != heatmaps.shape[2:]:
                feats = F.interpolate(
                    feats, size=heatmaps.shape[2:], mode='bilinear', align_corners=False)
            x = torch.cat([heatmaps, feats], dim=1)
        return heatmaps + self.out(self.hidden(x))
