"""BN-Inception: layer counting, truncation, widths, strides."""
import pytest
import torch

import plugins  # noqa: F401
from plugins.models.backbones.bn_inception import LAYER_RANGES, NUM_LAYERS, BNInception
from plugins.registry import MODELS


def test_layer_ranges_follow_googlenet_counting():
    # inception modules are two layers deep; layer 17 ends inception_4d, 3 is conv2
    assert LAYER_RANGES['conv1'] == (1, 1)
    assert LAYER_RANGES['conv2'] == (3, 3)
    assert LAYER_RANGES['inception_3a'] == (4, 5)
    assert LAYER_RANGES['inception_4d'] == (16, 17)
    assert NUM_LAYERS == 23


def test_layers_1_to_17_full_width_channels_and_stride():
    net = BNInception(first_layer=1, last_layer=17).eval()
    assert net.block_names[0] == 'conv1' and net.block_names[-1] == 'inception_4d'
    # 4d of the released model: 96 (1x1) + 192 (3x3) + 192 (double 3x3) + 96 (pool proj)
    assert net.out_channels == 576
    with torch.no_grad():
        (out, ) = net(torch.rand(1, 3, 64, 96))
    assert out.shape == (1, 576, 4, 6)  # output stride 16


def test_layers_3_to_17_take_any_input_channels():
    net = MODELS.build(dict(type='BNInception', first_layer=3, last_layer=17, in_channels=11,
                            widen_factor=0.125)).eval()
    assert net.block_names[0] == 'conv2'
    with torch.no_grad():
        (out, ) = net(torch.rand(2, 11, 32, 32))
    assert out.shape == (2, net.out_channels, 8, 8)  # stride 4: pool2 and inception_3c


def test_multiple_outputs_and_widen_factor():
    net = BNInception(last_layer=23, widen_factor=1 / 16, out_layers=(9, 23)).eval()
    with torch.no_grad():
        a, b = net(torch.rand(1, 3, 64, 64))
    assert a.shape[-1] == 4 and b.shape[-1] == 2
    assert b.shape[1] == net.out_channels


@pytest.mark.parametrize('kwargs', [dict(first_layer=5), dict(last_layer=16),
                                    dict(first_layer=4, last_layer=3),
                                    dict(out_layers=(19, )), dict(widen_factor=0)])
def test_invalid_ranges_raise(kwargs):
    with pytest.raises(ValueError):
        BNInception(**kwargs)


def test_norm_eval_keeps_bn_in_eval():
    net = BNInception(last_layer=3, widen_factor=0.25, norm_eval=True)
    net.train()
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(not m.training for m in bns)
