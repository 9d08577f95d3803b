"""Two-stage heatmap + offset head: stage 2 refines stage 1 from image features and its outputs."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_upsample_layer
from mmpose.registry import MODELS
from torch import Tensor

from .heatmap_offset_head import HeatmapOffsetHead

#: stage-2 variants: the paper's BN-Inception trunk, or two small 3x3 convolutions
STAGE2_TYPES = ('bn_inception', 'light')


@MODELS.register_module()
class TwoStageHeatmapOffsetHead(HeatmapOffsetHead):
    """The two-stage top-down estimator of the keypoint-correspondence paper as an mmpose head.

    Stage 1 is a :class:`HeatmapOffsetHead` on the last backbone output (BN-Inception layer 17,
    stride 16, deconvolved to the map size): per joint a heatmap logit and x/y offsets.

    Stage 2 (``stage2='bn_inception'``, the paper's supplementary): BN-Inception **layers 3-17**
    on the concatenation of backbone features at the map resolution (by default the backbone's
    output ``stage2_feat_index=0``, e.g. BN-Inception layer 2 = ``conv2_reduce`` at stride 4,
    i.e. exactly the map size of a stride-4 head; any other size is resized bilinearly), stage
    1's heatmaps (as probabilities) and its offsets (``stage2_feat_channels + 3K`` channels).
    Layers 3-17 down-sample by 4, so stage 2 has its own deconvolutions
    (``stage2_deconv_out_channels``) back to the map size and a 1x1 layer to 3K maps.

    ``stage2='light'`` (a named cheaper option, not the paper's): ``stage2_channels`` 3x3
    convolutions on stage 1's head features + heatmaps + offsets.

    Both stages are supervised (BCE on heatmaps, L1 on offsets; loss keys ``*_s1`` and
    ``*_s2``); keypoints are decoded from stage 2 (upsampled heatmap arg-max + offset,
    :class:`HeatmapOffset`).

    Args:
        stage2: ``'bn_inception'`` or ``'light'``.
        stage2_backbone: the BN-Inception trunk of stage 2 (default
            ``dict(type='BNInception', first_layer=3, last_layer=17)``; ``in_channels`` is set
            here).
        stage2_feat_index: which backbone output feeds stage 2 (``'bn_inception'``).
        stage2_feat_channels: its channels (BN-Inception layer 2 at full width: 64).
        stage2_deconv_out_channels, stage2_deconv_kernel_sizes: stage 2's up-sampling
            (stride-2 transposed convolutions; two undo the stride 4 of layers 3-17).
        stage2_channels: the 3x3 convolutions of ``'light'``.
        Others: as :class:`HeatmapOffsetHead`.

    Input (forward): the backbone's outputs, a tuple; stage 1 reads the last one.
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int,
                 stage2: str = 'bn_inception',
                 stage2_backbone: Optional[dict] = None,
                 stage2_feat_index: int = 0,
                 stage2_feat_channels: int = 64,
                 stage2_deconv_out_channels: Sequence[int] = (256, 256),
                 stage2_deconv_kernel_sizes: Sequence[int] = (4, 4),
                 stage2_channels: Sequence[int] = (256, 256),
                 deconv_out_channels: Optional[Sequence[int]] = (256, 256, 256),
                 deconv_kernel_sizes: Optional[Sequence[int]] = (4, 4, 4),
                 conv_out_channels: Optional[Sequence[int]] = None,
                 conv_kernel_sizes: Optional[Sequence[int]] = None,
                 loss: Optional[dict] = None,
                 loss_offset: Optional[dict] = None,
                 heatmap_prior: float = 0.01,
                 decoder: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels=in_channels,
            num_keypoints=num_keypoints,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            conv_out_channels=conv_out_channels,
            conv_kernel_sizes=conv_kernel_sizes,
            loss=loss,
            loss_offset=loss_offset,
            heatmap_prior=heatmap_prior,
            decoder=decoder,
            init_cfg=init_cfg)
        if stage2 not in STAGE2_TYPES:
            raise ValueError(f'stage2 must be one of {STAGE2_TYPES}, got {stage2!r}')
        self.stage2 = stage2
        k3 = 3 * num_keypoints
        if stage2 == 'light':
            if not stage2_channels:
                raise ValueError('stage2="light" needs stage2_channels (at least one layer)')
            layers = []
            channels = self.feat_channels + k3
            for out in stage2_channels:
                layers.append(ConvModule(channels, out, 3, padding=1, norm_cfg=dict(type='BN')))
                channels = out
            self.stage2_layers = nn.Sequential(*layers)
        else:
            if len(stage2_deconv_out_channels) != len(stage2_deconv_kernel_sizes):
                raise ValueError('stage2_deconv_out_channels and stage2_deconv_kernel_sizes '
                                 f'differ in length: {stage2_deconv_out_channels} vs '
                                 f'{stage2_deconv_kernel_sizes}')
            self.stage2_feat_index = int(stage2_feat_index)
            self.stage2_feat_channels = int(stage2_feat_channels)
            trunk = dict(stage2_backbone or dict(type='BNInception', first_layer=3,
                                                 last_layer=17))
            trunk['in_channels'] = self.stage2_feat_channels + k3
            self.stage2_trunk = MODELS.build(trunk)
            channels = self.stage2_trunk.out_channels
            ups = []
            for out, kernel in zip(stage2_deconv_out_channels, stage2_deconv_kernel_sizes):
                padding, output_padding = self._deconv_padding(kernel)
                ups += [build_upsample_layer(dict(type='deconv'), in_channels=channels,
                                             out_channels=out, kernel_size=kernel, stride=2,
                                             padding=padding, output_padding=output_padding,
                                             bias=False),
                        nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
                channels = out
            self.stage2_layers = nn.Sequential(*ups)
        self.stage2_final = nn.Conv2d(channels, k3, 1)

    @staticmethod
    def _deconv_padding(kernel: int) -> Tuple[int, int]:
        if kernel == 4:
            return 1, 0
        if kernel == 3:
            return 1, 1
        if kernel == 2:
            return 0, 0
        raise ValueError(f'deconvolution kernel must be 2, 3 or 4, got {kernel}')

    def init_weights(self) -> None:
        super().init_weights()
        self._init_final(self.stage2_final)

    def forward_stages(self, feats: Tuple[Tensor]) -> Sequence[Tensor]:
        """``[stage-1 maps, stage-2 maps]``, each (B, 3K, H, W) logits/offsets."""
        x = self.head_features(feats)
        out1 = self.final_layer(x)
        b, c, h, w = out1.shape
        parts = out1.reshape(b, c // 3, 3, h, w)
        stage1 = torch.cat([torch.sigmoid(parts[:, :, :1]), parts[:, :, 1:]], dim=2)
        stage1 = stage1.reshape(b, c, h, w)
        if self.stage2 == 'light':
            y = self.stage2_layers(torch.cat([x, stage1], dim=1))
        else:
            if not -len(feats) <= self.stage2_feat_index < len(feats):
                raise ValueError(f'stage2_feat_index={self.stage2_feat_index} but the backbone '
                                 f'returns {len(feats)} outputs: set the backbone out_layers '
                                 '(e.g. BNInception out_layers=(2, 17))')
            f = feats[self.stage2_feat_index]
            if f.shape[1] != self.stage2_feat_channels:
                raise ValueError(f'stage-2 features have {f.shape[1]} channels, '
                                 f'stage2_feat_channels={self.stage2_feat_channels}')
            if f.shape[-2:] != (h, w):
                f = F.interpolate(f, size=(h, w), mode='bilinear', align_corners=False)
            y = self.stage2_layers(self.stage2_trunk(torch.cat([f, stage1], dim=1))[-1])
            if y.shape[-2:] != (h, w):
                raise ValueError(f'stage 2 returns {tuple(y.shape[-2:])} maps but stage 1 '
                                 f'{(h, w)}: the map size must be divisible by 4 and the '
                                 'stage-2 deconvolutions must undo layers 3-17 (two of stride 2)')
        return [out1, self.stage2_final(y)]

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Stage-2 maps (B, 3K, H, W), contiguous (mmpose's ``flip_heatmaps`` views them;
        channels-last inference would otherwise hand it a strided tensor)."""
        return self.forward_stages(feats)[-1].contiguous()
