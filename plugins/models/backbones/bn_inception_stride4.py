"""BN-Inception to its last layer, decoded back to stride 4 into a low-dimensional embedding."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmpose.models.backbones.base_backbone import BaseBackbone
from mmpose.registry import MODELS
from torch import Tensor

from .bn_inception import NUM_LAYERS, BNInception


@MODELS.register_module()
class BNInceptionStride4(BaseBackbone):
    """Dense features at stride 4 for fine correspondence maps.

    BN-Inception runs to its end (layer 23 = ``inception_5b``, stride 32); a decoder of
    transposed convolutions (each x2) brings it back to stride 4: the first one to stride 16,
    where the stride-16 features (layer 17 = ``inception_4d``) join through a skip
    (concatenation, then a 3x3 convolution), then to stride 8 and stride 4; a final 1x1
    convolution gives ``embed_channels`` channels (no normalisation or activation: the
    Siamese matcher L2-normalises per pixel). At a 512 x 512 input the maps are 128 x 128.

    Args:
        widen_factor: width multiplier of the BN-Inception trunk.
        skip_layer: the trunk layer whose output joins at stride 16 (17 = inception_4d).
        decoder_channels: output channels of the three transposed convolutions
            (stride 32 -> 16 -> 8 -> 4).
        embed_channels: channels of the output embedding.
        in_channels: image channels.
        norm_cfg: of the decoder's convolutions.
        norm_eval: BatchNorm layers of the trunk in eval mode during training.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint=...)``.

    Returns (forward):
        A 1-tuple with the (B, embed_channels, H / 4, W / 4) embedding (H, W divisible by 16;
        the stride-32 map is resized to the skip's size when H / 16 or W / 16 is odd).
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 skip_layer: int = 17,
                 decoder_channels: Sequence[int] = (256, 128, 64),
                 embed_channels: int = 32,
                 in_channels: int = 3,
                 norm_cfg: Optional[dict] = None,
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg or [
            dict(type='Kaiming', layer=['Conv2d', 'ConvTranspose2d']),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ])
        if len(decoder_channels) != 3:
            raise ValueError('decoder_channels must give the three transposed convolutions '
                             f'(stride 32 -> 16 -> 8 -> 4), got {decoder_channels}')
        if embed_channels < 1:
            raise ValueError(f'embed_channels must be >= 1, got {embed_channels}')
        self.trunk = BNInception(first_layer=1, last_layer=NUM_LAYERS, in_channels=in_channels,
                                 widen_factor=widen_factor, out_layers=(skip_layer, NUM_LAYERS),
                                 norm_eval=norm_eval)
        self.norm_eval = norm_eval
        skip_channels = self._probe_channels(in_channels)
        cfg = dict(norm_cfg=norm_cfg or dict(type='BN'), act_cfg=dict(type='ReLU'))
        c1, c2, c3 = (int(c) for c in decoder_channels)
        self.up32 = self._deconv(self.trunk.out_channels, c1)
        self.fuse16 = ConvModule(c1 + skip_channels, c1, 3, padding=1, **cfg)
        self.up16 = self._deconv(c1, c2)
        self.up8 = self._deconv(c2, c3)
        self.embed = nn.Conv2d(c3, int(embed_channels), 1)
        self.embed_channels = int(embed_channels)
        self.out_channels = self.embed_channels

    def _probe_channels(self, in_channels: int) -> int:
        self.trunk.eval()
        with torch.no_grad():
            skip, _ = self.trunk(torch.zeros(1, in_channels, 64, 64))
        self.trunk.train()
        return int(skip.shape[1])

    @staticmethod
    def _deconv(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """(B, C_in, H, W) images -> ((B, embed_channels, H / 4, W / 4), )."""
        skip, deep = self.trunk(x)
        y = self.up32(deep)
        if y.shape[-2:] != skip.shape[-2:]:
            y = F.interpolate(y, size=skip.shape[-2:], mode='bilinear', align_corners=False)
        y = self.fuse16(torch.cat([y, skip], dim=1))
        y = self.up8(self.up16(y))
        return (self.embed(y), )

    def train(self, mode: bool = True) -> 'BNInceptionStride4':
        super().train(mode)
        self.trunk.train(mode)
        return self
