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


def test_stride4_variant_runs_to_the_end_and_decodes_to_stride_4():
    """BNInceptionStride4: the whole BN-Inception (layer 23, stride 32), three x2 transposed
    convolutions back to stride 4 with the stride-16 features joining, a 32-channel output;
    the skip carries gradient to the stride-16 block directly."""
    from plugins.models.backbones.bn_inception_stride4 import BNInceptionStride4
    torch.manual_seed(0)
    net = MODELS.build(dict(type='BNInceptionStride4', widen_factor=1 / 16,
                            decoder_channels=(16, 8, 8), embed_channels=32))
    assert isinstance(net, BNInceptionStride4)
    assert net.trunk.block_names[-1] == 'inception_5b' and net.trunk.last_layer == NUM_LAYERS
    seen = {}

    def keep(module, inputs, output):
        seen['skip'], seen['deep'] = output

    net.trunk.register_forward_hook(keep)
    x = torch.rand(2, 3, 128, 96)
    (out, ) = net(x)
    assert out.shape == (2, 32, 32, 24)  # stride 4
    assert seen['skip'].shape[-2:] == (8, 6) and seen['deep'].shape[-2:] == (4, 3)  # 16, 32
    out.square().mean().backward()
    w17 = net.trunk.inception_4d.branch1x1.conv.weight
    assert w17.grad is not None and w17.grad.abs().sum() > 0
    assert net.trunk.inception_5b.branch1x1.conv.weight.grad.abs().sum() > 0
    # a stride-32 size that does not double back onto the stride-16 one (144 / 16 = 9 rows)
    (odd, ) = net.eval()(torch.rand(1, 3, 144, 192))
    assert odd.shape == (1, 32, 36, 48)
    with pytest.raises(ValueError, match='decoder_channels'):
        BNInceptionStride4(decoder_channels=(8, 8))


def test_refinement_with_its_own_decoder_keeps_the_map_resolution():
    """AffinityRefinement(deconv_out_channels=...): layers 3-9 squeeze by 4 (conv2's pool and
    inception_3c), two transposed convolutions bring the features back, no bilinear upsampling needed; the identity start
    (refined = sigmoid(log p)) holds as for the stride-16 module."""
    k, c = 3, 4
    ref = MODELS.build(dict(type='AffinityRefinement', feat_channels=c, num_keypoints=k,
                            backbone=dict(type='BNInception', first_layer=3, last_layer=9,
                                          widen_factor=1 / 16),
                            deconv_out_channels=(8, 8)))
    assert len(ref.decoder) == 6  # two (deconv, BN, ReLU)
    fs, fd = torch.rand(1, c, 32, 24), torch.rand(1, c, 32, 24)
    log_aff = torch.log_softmax(torch.rand(1, 2, k, 32 * 24), -1).reshape(1, 2, k, 32, 24)
    seen = {}
    ref.predict_layer.register_forward_hook(lambda m, i, o: seen.update(shape=o.shape))
    out = ref(fs, fd, log_aff)
    assert out.shape == (1, 2, k, 32, 24) and seen['shape'][-2:] == (32, 24)
    torch.testing.assert_close(out, log_aff)  # zero prediction + identity skip at init
