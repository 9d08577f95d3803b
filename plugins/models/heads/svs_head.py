"""Head regressing Support Vector Shape (SVS) maps (an auxiliary, privileged target)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import ConvModule, build_conv_layer
from mmengine.structures import PixelData
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList
from torch import Tensor, nn


@MODELS.register_module()
class SVSHead(BaseHead):
    """Regress SVS maps (see :class:`plugins.codecs.svs.SVSCodec`) from a feature map.

    A few optional ``conv-BN-ReLU`` layers followed by a 1x1 convolution; pixel-wise
    smooth-L1 loss (mmpose ``SmoothL1Loss``) weighted per channel by ``svs_weights`` (channels
    of parts without visible joints do not count). It reads only ``gt_fields.svs_maps`` and
    ``gt_instance_labels.svs_weights``, so it can sit beside any keypoint head on the same
    features (as in :class:`plugins.models.pose_estimators.svs_hourglass_cascade.
    SVSHourglassCascade`). It has no decoder: :meth:`predict` returns the maps.

    Args:
        in_channels: channels of the input feature map (the last of ``feats``).
        out_channels: number of SVS channels (``SVSCodec.num_channels``).
        conv_out_channels: channels of the intermediate conv layers (None: none).
        conv_kernel_sizes: their kernel sizes.
        loss: loss config; called as ``loss(pred, target, weights (B, C))``.
        init_cfg: initialisation config (default: normal std 0.001 on convs, as mmpose's
            heatmap heads).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 conv_out_channels: Optional[Sequence[int]] = None,
                 conv_kernel_sizes: Optional[Sequence[int]] = None,
                 loss: ConfigType = dict(type='SmoothL1Loss', use_target_weight=True),
                 init_cfg: OptConfigType = None) -> None:
        if init_cfg is None:
            init_cfg = [dict(type='Normal', layer=['Conv2d'], std=0.001),
                        dict(type='Constant', layer='BatchNorm2d', val=1)]
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.loss_module = MODELS.build(loss)
        conv_out_channels = list(conv_out_channels or [])
        conv_kernel_sizes = list(conv_kernel_sizes or [3] * len(conv_out_channels))
        if len(conv_kernel_sizes) != len(conv_out_channels):
            raise ValueError('SVSHead: conv_out_channels and conv_kernel_sizes must have the same '
                             f'length, got {conv_out_channels} and {conv_kernel_sizes}')
        layers: List[nn.Module] = []
        channels = in_channels
        for out, k in zip(conv_out_channels, conv_kernel_sizes):
            layers.append(ConvModule(channels, out, k, padding=(k - 1) // 2,
                                     norm_cfg=dict(type='BN')))
            channels = out
        self.conv_layers = nn.Sequential(*layers)
        self.final_layer = build_conv_layer(
            dict(type='Conv2d'), channels, out_channels, kernel_size=1)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """SVS maps (B, C, H, W) from the last feature map of ``feats``."""
        return self.final_layer(self.conv_layers(feats[-1]))

    def loss_by_output(self, pred: Tensor, batch_data_samples: OptSampleList) -> dict:
        """Smooth-L1 loss of already computed SVS maps (lets a cascade reuse its forward).

        Args:
            pred: (B, C, H, W) predicted maps.
            batch_data_samples: samples with ``gt_fields.svs_maps`` (C, H, W) and
                ``gt_instance_labels.svs_weights`` (1, C).

        Returns:
            ``dict(loss_svs=...)``.
        """
        if not batch_data_samples or 'svs_maps' not in batch_data_samples[0].gt_fields:
            raise ValueError('SVSHead.loss: the data samples have no gt_fields.svs_maps; add '
                             'dict(type="GenerateSVSTarget", encoder=...) to the train pipeline')
        target = torch.stack([d.gt_fields.svs_maps for d in batch_data_samples]).to(pred)
        weights = torch.cat([d.gt_instance_labels.svs_weights
                             for d in batch_data_samples]).to(pred)
        if target.shape != pred.shape:
            raise ValueError(f'SVSHead.loss: target svs_maps have shape {tuple(target.shape)} but '
                             f'the prediction has {tuple(pred.shape)} (check the SVS codec\'s '
                             'heatmap_size, parts and c_values against out_channels)')
        if weights.shape != pred.shape[:2]:
            raise ValueError(f'SVSHead.loss: svs_weights have shape {tuple(weights.shape)}, '
                             f'expected {tuple(pred.shape[:2])}')
        return dict(loss_svs=self.loss_module(pred, target, weights))

    def loss(self,
             feats: Tuple[Tensor],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Smooth-L1 loss of the SVS maps predicted from ``feats``."""
        return self.loss_by_output(self.forward(feats), batch_data_samples)

    def predict(self,
                feats: Union[Tuple[Tensor], List[Tuple[Tensor]]],
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> List[PixelData]:
        """Predicted SVS maps, one ``PixelData(svs_maps=(C, H, W))`` per sample.

        With flip test (``feats`` a list ``[orig, flipped]``) only the original view is used:
        flipping would also require swapping left/right part channels.
        """
        if isinstance(feats, list):
            feats = feats[0]
        maps = self.forward(feats).detach()
        return [PixelData(svs_maps=m) for m in maps]
