"""Inference rewrites of the model stages (plugins/apis/fast_inference.py)."""
import cv2
import numpy as np
import pytest
import torch

from plugins.apis import MMDetPersonDetector
from plugins.apis.fast_inference import (TracedFunction, fuse_deconv_bn, optimize_for_inference,
                                         unshare_convolutions)

DET_CFG = 'configs/demo/rtmdet-tiny_synthetic-person-192x144.py'


@pytest.fixture(scope='module')
def det_checkpoint(tmp_path_factory, repo_root):
    from plugins.apis.person_detector import init_mmdet_detector
    torch.manual_seed(0)
    model = init_mmdet_detector(str(repo_root / DET_CFG))[0]
    with torch.no_grad():  # random boxes with a size (random regressions are often negative)
        for name, p in model.named_parameters():
            if 'rtm_reg' in name and name.endswith('bias'):
                p.fill_(1.0)
        # batch norms with statistics of their own, as after training (fresh ones fold into
        # nothing: a fusion that folds them wrongly would still pass)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.7, 1.3)
                m.bias.normal_(0, 0.1)
    path = tmp_path_factory.mktemp('det') / 'det.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


@pytest.fixture(scope='module')
def frame():
    rng = np.random.default_rng(1)
    return cv2.GaussianBlur(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), (0, 0), 2)


def detector(repo_root, ckpt, **kw):
    return MMDetPersonDetector(str(repo_root / DET_CFG), ckpt, score_thr=0.0,
                               cfg_options=dict(model=dict(test_cfg=dict(score_thr=0.0))),
                               **kw)


def test_tracing_the_detector_is_bit_identical(repo_root, det_checkpoint, frame):
    plain = detector(repo_root, det_checkpoint, channels_last=False, fuse_conv_bn=False,
                     trace=False)
    traced = detector(repo_root, det_checkpoint, channels_last=False, fuse_conv_bn=False,
                      trace=True)
    assert isinstance(traced.model.extract_feat, TracedFunction)
    assert isinstance(traced.model.bbox_head.forward, TracedFunction)
    for image in (frame, frame[:90]):  # a second input shape gets its own trace
        ref, got = plain.detect(image), traced.detect(image)
        assert len(ref[0]) > 10
        for r, g in zip(ref, got):
            np.testing.assert_array_equal(r, g)
    assert len(traced.model.extract_feat._traces) == 2


def test_fast_detector_equals_plain_up_to_rounding(repo_root, det_checkpoint, frame):
    plain = detector(repo_root, det_checkpoint, channels_last=False, fuse_conv_bn=False,
                     trace=False)
    fast = detector(repo_root, det_checkpoint)  # the defaults: fused, channels-last, traced
    x = torch.from_numpy(frame[:96]).permute(2, 0, 1)[None].float()  # sides divisible by 32
    with torch.no_grad():
        ref = plain.model.bbox_head(plain.model.extract_feat(x))
        got = fast.model.bbox_head(fast.model.extract_feat(x))
    for ref_level, got_level in zip(sum(ref, ()), sum(got, ())):
        scale = float(ref_level.abs().max())
        assert (ref_level - got_level).abs().max() <= 1e-4 * max(scale, 1.0)


def test_traced_function_falls_back_to_eager_with_gradients():
    conv = torch.nn.Conv2d(3, 4, 3).eval()
    fn = TracedFunction(conv.forward, max_traces=2)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(fn(x), conv(x))
        fn(torch.randn(1, 3, 9, 9))
        fn(torch.randn(1, 3, 10, 10))
    assert len(fn._traces) == 2  # bounded: the oldest layout was dropped
    y = fn(x.requires_grad_())  # gradients: the eager function, gradients flow
    y.sum().backward()
    assert x.grad is not None


def test_fuse_deconv_bn_matches_deconv_then_bn():
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.ConvTranspose2d(8, 6, 4, 2, 1, bias=False),
                              torch.nn.BatchNorm2d(6), torch.nn.ReLU(),
                              torch.nn.ConvTranspose2d(6, 5, 4, 2, 1), torch.nn.BatchNorm2d(5))
    for m in seq:
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    seq.eval()
    x = torch.randn(3, 8, 5, 4)
    with torch.no_grad():
        ref = seq(x)
        fuse_deconv_bn(seq)
        got = seq(x)
    assert isinstance(seq[1], torch.nn.Identity) and isinstance(seq[4], torch.nn.Identity)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-5)


def test_optimize_refuses_training_mode():
    with pytest.raises(ValueError, match='training mode'):
        optimize_for_inference(torch.nn.Conv2d(3, 3, 1).train())


def test_a_convolution_shared_by_several_batch_norms_is_fused_per_batch_norm():
    """RTMDet's head shares one convolution between feature levels, each with its own batch
    norm: fusion must give each level its own copy (mmcv folds in place)."""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    net = torch.nn.ModuleList([torch.nn.Sequential(conv, torch.nn.BatchNorm2d(4)),
                               torch.nn.Sequential(conv, torch.nn.BatchNorm2d(4))]).eval()
    for seq in net:
        seq[1].running_mean.normal_()
        seq[1].running_var.uniform_(0.5, 2)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        ref = [seq(x) for seq in net]
        optimize_for_inference(net, channels_last=False)
        got = [seq(x) for seq in net]
    assert net[0][0] is not net[1][0]
    for r, g in zip(ref, got):
        torch.testing.assert_close(g, r, atol=1e-5, rtol=1e-5)
    again = torch.nn.Sequential(conv, conv)
    unshare_convolutions(again)
    assert again[0] is conv and again[1] is not conv
    assert torch.equal(again[1].weight, conv.weight)
