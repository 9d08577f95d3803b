"""Two-stage heatmap + offset estimator: codec round trip, losses of both stages, decoding."""
import numpy as np
import pytest
import torch
from mmpose.codecs import UDPHeatmap
from mmengine.registry import init_default_scope
from mmpose.datasets.transforms import GenerateTarget, PackPoseInputs

import plugins  # noqa: F401
from plugins.codecs.heatmap_offset import HeatmapOffset
from plugins.registry import MODELS

INPUT, HEATMAP = (48, 64), (12, 16)
K = 3
CODEC = dict(type='HeatmapOffset', input_size=INPUT, heatmap_size=HEATMAP, upsample_factor=4)


def test_encoding_is_mmpose_udp_combined():
    kpts = np.array([[[10.3, 20.7], [30.0, 50.2], [5.5, 60.1]]], np.float32)
    vis = np.array([[1, 1, 0]], np.float32)
    ours = HeatmapOffset(INPUT, HEATMAP).encode(kpts, vis)
    ref = UDPHeatmap(INPUT, HEATMAP, heatmap_type='combined').encode(kpts, vis)
    np.testing.assert_array_equal(ours['heatmaps'], ref['heatmaps'])


@pytest.mark.parametrize('upsample', [1, 4])
def test_decode_inverts_encode(upsample):
    codec = HeatmapOffset(INPUT, HEATMAP, upsample_factor=upsample)
    kpts = np.array([[[10.3, 20.7], [30.0, 50.2], [5.5, 60.1]]], np.float32)
    enc = codec.encode(kpts, np.ones((1, K)))['heatmaps']
    dec, scores = codec.decode(enc)
    np.testing.assert_allclose(dec, kpts, atol=1e-3)
    assert np.all(scores > 0.99)


def test_upsampled_argmax_picks_the_interpolated_peak():
    """Upsampling locates the heatmap peak between cells; the offset there is added."""
    codec = HeatmapOffset(INPUT, HEATMAP, upsample_factor=4)
    maps = np.zeros((3 * K, HEATMAP[1], HEATMAP[0]), np.float32)
    maps[0::3, 5, 4] = 1.0
    maps[0::3, 5, 5] = 1.0  # plateau between x=4 and x=5 -> first max of the bilinear map
    maps[0::3, 6, 4] = 0.9
    maps[0::3, 6, 5] = 0.9
    dec, _ = codec.decode(maps)  # zero offsets: the arg-max itself
    # bilinear map along y between rows 5 and 6 decreases: peak row 5; along x: flat -> x=4
    np.testing.assert_allclose(dec[0, 0], np.array([4.0, 5.0]) * codec.scale_factor, atol=1e-5)
    maps[1::3] = 0.5  # x offset of half a radius everywhere
    dec2, _ = codec.decode(maps)
    np.testing.assert_allclose(dec2[0, 0, 0] - dec[0, 0, 0],
                               0.5 * codec.radius * codec.scale_factor[0], atol=1e-5)


def _model(two_stage=True, stage2='light'):
    head = dict(type='TwoStageHeatmapOffsetHead' if two_stage else 'HeatmapOffsetHead',
                in_channels=32, num_keypoints=K, deconv_out_channels=(16, ),
                deconv_kernel_sizes=(4, ), decoder=CODEC)
    backbone = dict(type='BNInception', last_layer=5, widen_factor=1 / 8)
    if two_stage and stage2 == 'light':
        head.update(stage2='light', stage2_channels=(16, ))
    elif two_stage:
        # BN-Inception layers 3-17 on layer 2's features (stride 4 = the map size here) +
        # stage 1's heatmaps and offsets, its own two deconvolutions back to the map
        backbone['out_layers'] = (2, 5)
        head.update(stage2='bn_inception', stage2_feat_index=0, stage2_feat_channels=8,
                    stage2_backbone=dict(type='BNInception', first_layer=3, last_layer=17,
                                         widen_factor=1 / 16),
                    stage2_deconv_out_channels=(16, 16), stage2_deconv_kernel_sizes=(4, 4))
    init_default_scope('mmpose')
    return MODELS.build(dict(
        type='TopdownPoseEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=backbone, head=head, test_cfg=dict(flip_test=False)))


def _batch(rng):
    data = []
    for _ in range(2):
        kpts = rng.uniform(4, 44, (1, K, 2)).astype(np.float32)
        results = dict(img=rng.integers(0, 255, (64, 48, 3), dtype=np.uint8),
                       keypoints=kpts, keypoints_visible=np.ones((1, K), np.float32),
                       input_size=INPUT, input_center=np.array([24.0, 32.0]),
                       input_scale=np.array([48.0, 64.0]), img_shape=(64, 48),
                       bbox=np.array([[0, 0, 48, 64]], np.float32),
                       bbox_score=np.ones(1, np.float32))
        results = GenerateTarget(encoder=CODEC)(results)
        data.append(PackPoseInputs(meta_keys=('input_size', 'input_center', 'input_scale',
                                              'img_shape'))(results))
    return dict(inputs=[d['inputs'] for d in data],
                data_samples=[d['data_samples'] for d in data])


@pytest.mark.parametrize('stage2', ['light', 'bn_inception'])
def test_two_stage_losses_and_gradient_through_stage1(stage2):
    torch.manual_seed(0)
    model = _model(stage2=stage2)
    model.init_weights()
    batch = model.data_preprocessor(_batch(np.random.default_rng(0)), training=True)
    losses = model(**batch, mode='loss')
    assert {'loss_heatmap_s1', 'loss_offset_s1', 'loss_heatmap_s2', 'loss_offset_s2',
            'acc_pose'} <= set(losses)
    # stage 2 consumes stage 1's outputs: its loss alone reaches stage 1's output layer
    losses['loss_heatmap_s2'].backward()
    assert model.head.final_layer.weight.grad.abs().sum() > 0
    # initial heatmap probability = prior (bias init), offsets start at 0
    feats = model.extract_feat(batch['inputs'])
    s1, s2 = model.head.forward_stages(feats)
    assert s1.shape == s2.shape == (2, 3 * K, 16, 12)


def test_heatmap_loss_is_bce_and_offset_loss_is_masked_l1():
    torch.manual_seed(0)
    model = _model(two_stage=False)
    model.init_weights()
    batch = model.data_preprocessor(_batch(np.random.default_rng(1)), training=True)
    losses = model(**batch, mode='loss')
    out = model.head.forward(model.extract_feat(batch['inputs'])).view(2, K, 3, 16, 12)
    tgt = torch.stack([d.gt_fields.heatmaps for d in batch['data_samples']]).view(2, K, 3, 16, 12)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(out[:, :, 0], tgt[:, :, 0])
    mask = tgt[:, :, 0:1]
    l1 = (out[:, :, 1:] * mask - tgt[:, :, 1:] * mask).abs().mean()
    assert torch.allclose(losses['loss_heatmap'], bce, atol=1e-6)
    assert torch.allclose(losses['loss_offset'], l1, atol=1e-6)


@pytest.mark.parametrize('stage2', ['light', 'bn_inception'])
def test_predict_decodes_keypoints_in_image_space(stage2):
    model = _model(stage2=stage2).eval()
    batch = model.data_preprocessor(_batch(np.random.default_rng(2)), training=False)
    with torch.no_grad():
        out = model(**batch, mode='predict')
        feats = model.extract_feat(batch['inputs'])
        maps = model.head.forward(feats)
    pred = out[0].pred_instances
    assert pred.keypoints.shape == (1, K, 2) and pred.keypoint_scores.shape == (1, K)
    # same as decoding the stage-2 maps with the codec (input == image space here)
    m = maps[0].view(K, 3, 16, 12).clone()
    m[:, 0] = torch.sigmoid(m[:, 0])
    ref, _ = HeatmapOffset(INPUT, HEATMAP).decode(m.view(3 * K, 16, 12).numpy())
    np.testing.assert_allclose(pred.keypoints, ref, atol=1e-4)
    with torch.no_grad():
        tensor_out = model(batch['inputs'], None, mode='tensor')
    assert tensor_out.shape == (2, 3 * K, 16, 12)


@pytest.mark.parametrize('stage2', ['light', 'bn_inception'])
def test_flip_test_runs(stage2):
    model = _model(stage2=stage2)
    model.test_cfg = dict(flip_test=True)
    model.eval()
    batch = model.data_preprocessor(_batch(np.random.default_rng(3)), training=False)
    for ds in batch['data_samples']:
        ds.set_metainfo(dict(flip_indices=[0, 2, 1]))
    with torch.no_grad():
        out = model(**batch, mode='predict')
    assert np.isfinite(out[0].pred_instances.keypoints).all()


def test_paper_stage2_is_bn_inception_3_to_17_on_features_and_stage1_outputs():
    """Stage 2 = BN-Inception layers 3-17 whose input is backbone features (layer 2, stride 4)
    + stage-1 heatmap probabilities + offsets; its gradient reaches the backbone's early
    features directly (not only through stage 1)."""
    from plugins.models.backbones.bn_inception import LAYER_RANGES
    torch.manual_seed(0)
    model = _model(stage2='bn_inception')
    model.init_weights()
    trunk = model.head.stage2_trunk
    names = [n for n, (first, last) in LAYER_RANGES.items() if first >= 3 and last <= 17]
    assert trunk.block_names == names and names[0] == 'conv2' and names[-1] == 'inception_4d'
    assert trunk.conv2[0].conv.in_channels == 8 + 3 * K
    seen = {}

    def keep_input(module, inputs, output):
        seen['x'] = inputs[0]

    hook = trunk.register_forward_hook(keep_input)
    feats = model.extract_feat(torch.rand(2, 3, 64, 48))
    s1, s2 = model.head.forward_stages(feats)
    hook.remove()
    x = seen['x']
    assert x.shape == (2, 8 + 3 * K, 16, 12) and s2.shape == s1.shape == (2, 3 * K, 16, 12)
    torch.testing.assert_close(x[:, :8], feats[0])  # the layer-2 features, same resolution
    probs = torch.sigmoid(s1.view(2, K, 3, 16, 12)[:, :, 0])
    torch.testing.assert_close(x[:, 8:].view(2, K, 3, 16, 12)[:, :, 0], probs)
    torch.testing.assert_close(x[:, 8:].view(2, K, 3, 16, 12)[:, :, 1:],
                               s1.view(2, K, 3, 16, 12)[:, :, 1:])
    model.zero_grad()
    s2.sum().backward()
    assert model.backbone.conv2_reduce[0].conv.weight.grad.abs().sum() > 0
    assert model.head.final_layer.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='stage2 must be'):
        MODELS.build(dict(type='TwoStageHeatmapOffsetHead', in_channels=32, num_keypoints=K,
                          stage2='two_convs'))


def test_paper_stage2_tiny_overfit():
    """Both variants fit one batch (loss drops several-fold, stage-2 keypoints near the
    targets): the stage-2 path learns."""
    for stage2 in ('bn_inception', 'light'):
        torch.manual_seed(0)
        model = _model(stage2=stage2)
        model.init_weights()
        batch = model.data_preprocessor(_batch(np.random.default_rng(4)), training=True)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        first = None
        for _ in range(150):
            losses = model(**batch, mode='loss')
            loss = sum(v for k, v in losses.items() if k.startswith('loss'))
            first = float(loss) if first is None else first
            opt.zero_grad()
            loss.backward()
            opt.step()
        s2 = float(losses['loss_heatmap_s2'] + losses['loss_offset_s2'])
        assert float(loss) < first / 3, (stage2, first, float(loss))
        model.eval()
        with torch.no_grad():
            out = model(**model.data_preprocessor(_batch(np.random.default_rng(4)),
                                                  training=False), mode='predict')
        for ds in out:
            err = np.linalg.norm(ds.pred_instances.keypoints - ds.gt_instances.keypoints, axis=-1)
            assert np.median(err) < 4.0, (stage2, s2, err)
