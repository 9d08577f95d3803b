"""Refinement of one person's affinity maps from both images' features."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class AffinityRefinement(BaseModule):
    """Refines the Siamese affinity maps of a person, batched over persons.

    The input of one person is the source features, the target features and the person's K
    Siamese affinity maps as log-probabilities, concatenated (2C + K channels); a backbone (the
    paper: BN-Inception layers 3-17, ``in_channels`` = 2C + K) processes it, a 1x1 convolution
    predicts K maps that are brought back to the map grid and added to a per-keypoint affine
    function of the input log-affinity (a residual path). Back to the map grid: bilinear
    upsampling of the K predicted maps (``deconv_out_channels=()``, the stride-16 models whose
    24 x 24 maps the trunk squeezes to 6 x 6), or the module's own decoder of stride-2
    transposed convolutions on the trunk's features (``deconv_out_channels``, e.g. ``(128, 64)``
    for layers 3-17, which down-sample by 4), used by the stride-4 models so the refinement
    works at the full 128 x 128 resolution. The output is logits; ``sigmoid``
    gives refined affinity maps in [0, 1]. At initialisation the residual path is the identity
    and the prediction zero, so the refined map starts as ``sigmoid(log p) = p / (1 + p)``,
    i.e. close to the Siamese affinity ``p``.

    Args:
        backbone: mmpose backbone config whose input has ``2 * feat_channels + num_keypoints``
            channels.
        feat_channels: channels C of the Siamese features.
        num_keypoints: K.
        feat_index: which backbone output to use (default: the last one).
        deconv_out_channels: channels of the decoder's transposed convolutions (4x4, stride
            2, BN, ReLU), empty for bilinear upsampling of the prediction.
    """

    def __init__(self,
                 backbone: dict,
                 feat_channels: int,
                 num_keypoints: int,
                 feat_index: int = -1,
                 deconv_out_channels: Sequence[int] = (),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.feat_channels = int(feat_channels)
        self.num_keypoints = int(num_keypoints)
        expected = 2 * self.feat_channels + self.num_keypoints
        if backbone.get('in_channels', expected) != expected:
            raise ValueError(f'refinement backbone in_channels must be 2 * feat_channels + '
                             f'num_keypoints = {expected}, got {backbone.get("in_channels")}')
        backbone = dict(backbone, in_channels=expected)
        self.backbone = MODELS.build(backbone)
        self.feat_index = int(feat_index)
        out_channels = self._probe_out_channels(expected)
        ups = []
        for out in deconv_out_channels:
            ups += [nn.ConvTranspose2d(out_channels, int(out), 4, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(int(out)), nn.ReLU(inplace=True)]
            out_channels = int(out)
        self.decoder = nn.Sequential(*ups)
        self.predict_layer = nn.Conv2d(out_channels, self.num_keypoints, 1)
        # per-keypoint scale and bias of the input log-affinity (a residual path)
        self.skip = nn.Conv2d(self.num_keypoints, self.num_keypoints, 1,
                              groups=self.num_keypoints)
        nn.init.constant_(self.skip.weight, 1.0)
        nn.init.constant_(self.skip.bias, 0.0)
        nn.init.zeros_(self.predict_layer.weight)
        nn.init.zeros_(self.predict_layer.bias)

    def _probe_out_channels(self, in_channels: int) -> int:
        """Output channels of the backbone, from a forward pass in eval mode."""
        self.backbone.eval()
        with torch.no_grad():
            probe = self.backbone(torch.zeros(1, in_channels, 32, 32))
        self.backbone.train()
        return (probe[self.feat_index] if isinstance(probe, (tuple, list)) else probe).shape[1]

    def forward(self, feats_src: Tensor, feats_dst: Tensor, log_affinity: Tensor) -> Tensor:
        """Refine the correlation maps of every person.

        Args:
            feats_src: (B, C, h, w) source features.
            feats_dst: (B, C, h, w) target features.
            log_affinity: (B, N, K, h, w) Siamese log-affinity maps of N persons per image.

        Returns:
            (B, N, K, h, w) refined logits.
        """
        corr = log_affinity
        b, n, k, h, w = corr.shape
        if k != self.num_keypoints or feats_src.shape[1] != self.feat_channels:
            raise ValueError(f'expected {self.num_keypoints} keypoints and '
                             f'{self.feat_channels} feature channels, got maps {tuple(corr.shape)}'
                             f' and features {tuple(feats_src.shape)}')
        if n == 0:
            return corr.new_zeros(corr.shape)
        c = self.feat_channels
        x = torch.cat([
            feats_src[:, None].expand(b, n, c, h, w),
            feats_dst[:, None].expand(b, n, c, h, w), corr
        ], dim=2).reshape(b * n, 2 * c + k, h, w)
        y = self.backbone(x)
        if isinstance(y, (tuple, list)):
            y = y[self.feat_index]
        y = self.predict_layer(self.decoder(y))
        if y.shape[-2:] != (h, w):
            y = F.interpolate(y, size=(h, w), mode='bilinear', align_corners=False)
        out = y + self.skip(corr.reshape(b * n, k, h, w))
        return out.reshape(b, n, k, h, w)
