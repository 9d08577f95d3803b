"""Batch-normalised GoogLeNet (BN-Inception, Ioffe & Szegedy 2015), truncatable by layer.

Layers are counted as in the GoogLeNet paper, an inception module being two layers deep::

    1 conv1 (7x7/2) + max pool     2 conv2_reduce (1x1)      3 conv2 (3x3) + max pool
    4-5 inception_3a   6-7 3b   8-9 3c (stride 2)   10-11 4a   12-13 4b   14-15 4c
    16-17 4d   18-19 4e (stride 2)   20-21 5a   22-23 5b

so "layers 1-17" (the Siamese branch of the keypoint-correspondence network) runs conv1 to
inception_4d (output stride 16) and "layers 3-17" (its refinement module) runs conv2 to
inception_4d on an input of ``in_channels`` channels (output stride 4). A range must start and
end on a block boundary.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpose.models.backbones.base_backbone import BaseBackbone
from mmpose.registry import MODELS
from torch import Tensor

# name -> (kind, spec). conv: (out, kernel, stride, max-pool after?).
# inception: (1x1, 3x3 reduce, 3x3, double 3x3 reduce, double 3x3, pool type, pool proj, stride);
# pool proj 0 = pass-through of the pooled input. Widths follow the released Caffe model.
BN_INCEPTION_ARCH: List[Tuple[str, str, tuple]] = [
    ('conv1', 'conv', (64, 7, 2, True)),
    ('conv2_reduce', 'conv', (64, 1, 1, False)),
    ('conv2', 'conv', (192, 3, 1, True)),
    ('inception_3a', 'inception', (64, 64, 64, 64, 96, 'avg', 32, 1)),
    ('inception_3b', 'inception', (64, 64, 96, 64, 96, 'avg', 64, 1)),
    ('inception_3c', 'inception', (0, 128, 160, 64, 96, 'max', 0, 2)),
    ('inception_4a', 'inception', (224, 64, 96, 96, 128, 'avg', 128, 1)),
    ('inception_4b', 'inception', (192, 96, 128, 96, 128, 'avg', 128, 1)),
    ('inception_4c', 'inception', (160, 128, 160, 128, 160, 'avg', 96, 1)),
    ('inception_4d', 'inception', (96, 128, 192, 160, 192, 'avg', 96, 1)),
    ('inception_4e', 'inception', (0, 128, 192, 192, 256, 'max', 0, 2)),
    ('inception_5a', 'inception', (352, 192, 320, 160, 224, 'avg', 128, 1)),
    ('inception_5b', 'inception', (352, 192, 320, 192, 224, 'max', 128, 1)),
]


def _layer_ranges() -> Dict[str, Tuple[int, int]]:
    """First and last (1-based) layer index of every block."""
    ranges, depth = {}, 0
    for name, kind, _ in BN_INCEPTION_ARCH:
        n = 1 if kind == 'conv' else 2
        ranges[name] = (depth + 1, depth + n)
        depth += n
    return ranges


LAYER_RANGES = _layer_ranges()
NUM_LAYERS = max(last for _, last in LAYER_RANGES.values())


class InceptionModule(BaseModule):
    """One BN-Inception module: 1x1, 3x3, double 3x3 and pooling branches, concatenated.

    Args:
        in_channels: input channels.
        ch1x1: channels of the 1x1 branch (0 = no branch, as in the stride-2 modules).
        ch3x3_reduce, ch3x3: the 1x1 -> 3x3 branch.
        dbl3x3_reduce, dbl3x3: the 1x1 -> 3x3 -> 3x3 branch.
        pool_type: ``'avg'`` or ``'max'``.
        pool_proj: 1x1 projection after pooling (0 = the pooled input passes through).
        stride: 1, or 2 for the down-sampling modules.
        norm_cfg, act_cfg: normalisation / activation of every convolution.
    """

    def __init__(self,
                 in_channels: int,
                 ch1x1: int,
                 ch3x3_reduce: int,
                 ch3x3: int,
                 dbl3x3_reduce: int,
                 dbl3x3: int,
                 pool_type: str,
                 pool_proj: int,
                 stride: int = 1,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pool_type not in ('avg', 'max'):
            raise ValueError(f'pool_type must be "avg" or "max", got {pool_type!r}')
        if ch1x1 and stride != 1:
            raise ValueError('a stride-2 inception module has no 1x1 branch (ch1x1 must be 0)')
        cfg = dict(norm_cfg=norm_cfg or dict(type='BN'), act_cfg=act_cfg or dict(type='ReLU'))
        self.branch1x1 = ConvModule(in_channels, ch1x1, 1, **cfg) if ch1x1 else None
        self.branch3x3 = nn.Sequential(
            ConvModule(in_channels, ch3x3_reduce, 1, **cfg),
            ConvModule(ch3x3_reduce, ch3x3, 3, stride=stride, padding=1, **cfg))
        self.branch_dbl3x3 = nn.Sequential(
            ConvModule(in_channels, dbl3x3_reduce, 1, **cfg),
            ConvModule(dbl3x3_reduce, dbl3x3, 3, padding=1, **cfg),
            ConvModule(dbl3x3, dbl3x3, 3, stride=stride, padding=1, **cfg))
        pool = (nn.AvgPool2d(3, stride, 1, count_include_pad=False)
                if pool_type == 'avg' else nn.MaxPool2d(3, stride, 1))
        proj = ConvModule(in_channels, pool_proj, 1, **cfg) if pool_proj else nn.Identity()
        self.branch_pool = nn.Sequential(pool, proj)
        self.out_channels = (ch1x1 + ch3x3 + dbl3x3 + (pool_proj if pool_proj else in_channels))

    def forward(self, x: Tensor) -> Tensor:
        outs = [self.branch3x3(x), self.branch_dbl3x3(x), self.branch_pool(x)]
        if self.branch1x1 is not None:
            outs.insert(0, self.branch1x1(x))
        return torch.cat(outs, dim=1)


@MODELS.register_module()
class BNInception(BaseBackbone):
    """BN-Inception (GoogLeNet with batch normalisation) running layers ``first_layer`` to
    ``last_layer`` only.

    Args:
        first_layer: first layer to build (1-based, the first layer of a block).
        last_layer: last layer to build (the last layer of a block), 17 = inception_4d.
        in_channels: channels of the input of ``first_layer`` (3 for images; the refinement
            module feeds feature and affinity maps into layer 3).
        widen_factor: multiplies every width (e.g. 1/16 for tiny test models).
        out_layers: block-end layers whose outputs are returned (default: ``(last_layer,)``).
        norm_cfg, act_cfg: of every convolution.
        norm_eval: keep BatchNorm layers in eval mode during training.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint=...)``.

    Returns (forward):
        Tuple of feature maps, one per ``out_layers`` entry.
    """

    def __init__(self,
                 first_layer: int = 1,
                 last_layer: int = 17,
                 in_channels: int = 3,
                 widen_factor: float = 1.0,
                 out_layers: Optional[Sequence[int]] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg or [
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ])
        starts = {first: name for name, (first, _) in LAYER_RANGES.items()}
        ends = {last: name for name, (_, last) in LAYER_RANGES.items()}
        if first_layer not in starts:
            raise ValueError(f'first_layer={first_layer} is not the first layer of a block; '
                             f'valid: {sorted(starts)}')
        if last_layer not in ends:
            raise ValueError(f'last_layer={last_layer} is not the last layer of a block; '
                             f'valid: {sorted(ends)}')
        if last_layer < first_layer:
            raise ValueError(f'last_layer ({last_layer}) < first_layer ({first_layer})')
        if widen_factor <= 0:
            raise ValueError(f'widen_factor must be > 0, got {widen_factor}')
        out_layers = tuple(out_layers) if out_layers is not None else (last_layer,)
        for layer in out_layers:
            if layer not in ends or not first_layer <= layer <= last_layer:
                raise ValueError(f'out_layers entry {layer} is not a block end within '
                                 f'[{first_layer}, {last_layer}]')
        self.first_layer, self.last_layer = first_layer, last_layer
        self.norm_eval = norm_eval
        cfg = dict(norm_cfg=norm_cfg or dict(type='BN'), act_cfg=act_cfg or dict(type='ReLU'))

        def width(c: int) -> int:
            return max(1, int(round(c * widen_factor))) if c else 0

        self.block_names: List[str] = []
        self.out_names = [ends[layer] for layer in out_layers]
        channels = in_channels
        for name, kind, spec in BN_INCEPTION_ARCH:
            first, last = LAYER_RANGES[name]
            if first < first_layer or last > last_layer:
                continue
            if kind == 'conv':
                out, kernel, stride, pool = spec
                layers = [ConvModule(channels, width(out), kernel, stride=stride,
                                     padding=kernel // 2, **cfg)]
                if pool:
                    layers.append(nn.MaxPool2d(3, 2, 1))
                block = nn.Sequential(*layers)
                channels = width(out)
            else:
                c1, c3r, c3, d3r, d3, pool_type, proj, stride = spec
                block = InceptionModule(channels, width(c1), width(c3r), width(c3), width(d3r),
                                        width(d3), pool_type, width(proj), stride, **cfg)
                channels = block.out_channels
            self.add_module(name, block)
            self.block_names.append(name)
        self.out_channels = channels

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the blocks; returns the outputs named by ``out_layers``."""
        outs = []
        for name in self.block_names:
            x = getattr(self, name)(x)
            if name in self.out_names:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'BNInception':
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self
