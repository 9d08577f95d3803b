"""Localisation network of RMPE's spatial transformer: crop -> 6 affine parameters."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from plugins.registry import MODELS


@MODELS.register_module()
class STNLocalizationNet(BaseModule):
    """Predict the affine transform ``theta`` (B, 2, 3) of the STN from the person crop.

    A small backbone, global average pooling, one hidden fully connected layer and a final
    linear layer to the 6 parameters. The final layer starts at zero weights and the identity as
    bias, so an untrained STN leaves the crop unchanged (RMPE trains the STN from the identity).

    Args:
        backbone: config of a registered backbone (e.g. ``dict(type='ResNet', depth=18)``); its
            last output is pooled. ``None`` builds a plain stack of stride-2 3x3 conv-BN-ReLU
            blocks with ``stage_channels``.
        in_channels: channels of the crop (3).
        feat_channels: channels of the backbone's last output (required with ``backbone``).
        stage_channels: channels of the built-in conv stack (used when ``backbone`` is None).
        hidden_channels: width of the hidden fully connected layer.
        input_scale: the crop is resized by this factor before the backbone (the paper's
            localisation net works on a reduced crop; 1 keeps it).
        init_cfg: mmengine init config (the final layer is always reset to the identity after
            it).
    """

    def __init__(self,
                 backbone: Optional[dict] = None,
                 in_channels: int = 3,
                 feat_channels: Optional[int] = None,
                 stage_channels: Sequence[int] = (16, 32, 64, 64),
                 hidden_channels: int = 64,
                 input_scale: float = 0.5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 < input_scale <= 1:
            raise ValueError(f'STNLocalizationNet: input_scale must be in (0, 1], '
                             f'got {input_scale}')
        self.input_scale = float(input_scale)
        if backbone is not None:
            if feat_channels is None:
                raise ValueError('STNLocalizationNet: feat_channels (channels of the '
                                 "backbone's last output) is required with a backbone config")
            self.backbone = MODELS.build(backbone)
        else:
            layers, c_in = [], in_channels
            for c_out in stage_channels:
                layers += [
                    nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True)
                ]
                c_in = c_out
            self.backbone = nn.Sequential(*layers)
            feat_channels = c_in
        self.fc = nn.Sequential(nn.Linear(feat_channels, hidden_channels), nn.ReLU(inplace=True))
        self.theta_layer = nn.Linear(hidden_channels, 6)
        self.reset_to_identity()

    def reset_to_identity(self) -> None:
        """Make the output the identity transform for every input."""
        nn.init.zeros_(self.theta_layer.weight)
        with torch.no_grad():
            self.theta_layer.bias.copy_(torch.tensor([1., 0., 0., 0., 1., 0.]))

    def init_weights(self) -> None:
        """Apply ``init_cfg``, then reset the final layer to the identity."""
        super().init_weights()
        self.reset_to_identity()

    def forward(self, x: Tensor) -> Tensor:
        """Predict ``theta``.

        Args:
            x: (B, C, H, W) the normalised crop.

        Returns:
            (B, 2, 3) affine transforms (``affine_grid`` convention, see
            :mod:`plugins.models.utils.stn_affine`).
        """
        if x.dim() != 4:
            raise ValueError(f'STNLocalizationNet expects (B, C, H, W) crops, got {tuple(x.shape)}')
        if self.input_scale != 1:
            x = F.interpolate(
                x, scale_factor=self.input_scale, mode='bilinear', align_corners=False)
        feats = self.backbone(x)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        pooled = F.adaptive_avg_pool2d(feats, 1).flatten(1)
        return self.theta_layer(self.fc(pooled)).view(-1, 2, 3)
