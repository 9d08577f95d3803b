"""Learned temporal pooling, spatial fusion layers, and the fusion inside FlowingConvNet."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from plugins.models.pose_estimators.flowing_convnet import flip_flows
from plugins.models.utils.temporal_pooling import TemporalPooling
from plugins.models.utils.temporal_spatial_fusion import SpatialFusionLayers

K = 17
CODEC = dict(type='MSRAHeatmap', input_size=(48, 64), heatmap_size=(12, 16), sigma=1)
BACKBONE = dict(type='ResNet', depth=18, stem_channels=16, base_channels=16, num_stages=3,
                strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ))
HEAD = dict(type='HeatmapHead', in_channels=64, out_channels=K, deconv_out_channels=(32, 32),
            deconv_kernel_sizes=(4, 4), loss=dict(type='KeypointMSELoss', use_target_weight=True),
            decoder=CODEC)
PREPROCESSOR = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True)


def test_current_init_selects_the_current_frame_exactly():
    stack = torch.rand(2, 5, K, 8, 6)
    pool = TemporalPooling(num_frames=5, num_keypoints=K, current_index=2)
    assert torch.equal(pool(stack), stack[:, 2])


def test_mean_init_averages_frames():
    stack = torch.rand(2, 3, K, 8, 6)
    pool = TemporalPooling(num_frames=3, num_keypoints=K, init='mean')
    assert torch.allclose(pool(stack), stack.mean(1), atol=1e-6)


def test_pooling_is_a_per_joint_1x1_conv_over_time():
    torch.manual_seed(0)
    stack = torch.rand(2, 3, 4, 5, 6)
    pool = TemporalPooling(num_frames=3, num_keypoints=4)
    with torch.no_grad():
        pool.pool.weight.normal_()
        pool.pool.bias.normal_()
    w = pool.frame_weights  # (K, T)
    ref = torch.einsum('btkhw,kt->bkhw', stack, w) + pool.pool.bias.view(1, 4, 1, 1)
    assert torch.allclose(pool(stack), ref, atol=1e-5)
    # init_weights (what the runner calls) restores the configured selection
    pool.init_weights()
    assert torch.equal(pool(stack), stack[:, 0])


def test_pooling_rejects_wrong_stacks():
    with pytest.raises(ValueError, match='T=3'):
        TemporalPooling(3, 4)(torch.rand(1, 2, 4, 5, 5))
    with pytest.raises(ValueError, match='current_index'):
        TemporalPooling(3, 4, current_index=3)


def test_spatial_fusion_starts_as_identity_and_learns_a_residual():
    torch.manual_seed(0)
    heatmaps = torch.rand(2, K, 16, 12)
    feats = torch.rand(2, 8, 4, 3)
    layers = SpatialFusionLayers(K, feat_channels=8, mid_channels=8, dilations=(1, 2))
    layers.init_weights()
    assert torch.equal(layers(heatmaps, feats), heatmaps)
    with torch.no_grad():
        layers.out.weight.normal_()
    assert not torch.allclose(layers(heatmaps, feats), heatmaps)
    with pytest.raises(ValueError, match='features with 8 channels'):
        layers(heatmaps)


def _models(spatial_fusion=None):
    init_default_scope('mmpose')
    torch.manual_seed(0)
    single = MODELS.build(dict(type='TopdownPoseEstimator', backbone=BACKBONE, head=HEAD,
                               data_preprocessor=dict(type='PoseDataPreprocessor',
                                                      **PREPROCESSOR)))
    flowing = MODELS.build(dict(
        type='FlowingConvNet', backbone=BACKBONE, head=HEAD, num_frames=3,
        spatial_fusion=spatial_fusion, flow_cfg=dict(source='data'),
        data_preprocessor=dict(type='VideoPoseDataPreprocessor', **PREPROCESSOR)))
    missing, unexpected = flowing.load_state_dict(single.state_dict(), strict=False)
    assert not unexpected
    assert all(k.startswith(('fusion.', 'spatial_fusion.')) for k in missing)
    return single.eval(), flowing.eval()


def _samples(b, flows):
    samples = []
    for i in range(b):
        s = PoseDataSample(metainfo=dict(
            flows=flows[i].numpy(), input_size=np.array([48, 64]),
            input_center=np.array([50.0, 60.0]),
            input_scale=np.array([48.0, 64.0]), flip_indices=list(range(K))))
        s.gt_instances = InstanceData(bboxes=torch.zeros(1, 4), bbox_scores=torch.ones(1))
        samples.append(s)
    return samples


@pytest.mark.parametrize('spatial_fusion', [None, dict(type='SpatialFusionLayers')])
def test_current_frame_fusion_reproduces_the_single_frame_heatmap(spatial_fusion):
    single, flowing = _models(spatial_fusion)
    torch.manual_seed(1)
    clip = torch.randn(2, 3, 3, 64, 48)  # neighbours differ from the current frame
    flows = torch.randn(2, 2, 2, 16, 12) * 2
    with torch.no_grad():
        fused, current = flowing.forward_heatmaps(clip, _samples(2, flows))
        ref = single(clip[:, 0], None, mode='tensor')
        pred_flowing = flowing.predict(clip, _samples(2, flows))
        pred_single = single.predict(clip[:, 0], _samples(2, flows))
    assert torch.allclose(fused, ref, atol=1e-6)
    assert torch.allclose(current, ref, atol=1e-6)
    for a, b in zip(pred_flowing, pred_single):
        assert (abs(a.pred_instances.keypoints - b.pred_instances.keypoints) < 1e-4).all()
    # a fusion that does use the neighbours changes the output (the test can fail)
    flowing.fusion.init = 'mean'
    flowing.fusion.reset_to_init()
    with torch.no_grad():
        fused_mean, _ = flowing.forward_heatmaps(clip, _samples(2, flows))
    assert not torch.allclose(fused_mean, ref, atol=1e-3)


def _gaussians(centres, h=16, w=12, sigma=1.0):
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                            torch.arange(w, dtype=torch.float32), indexing='ij')
    maps = [torch.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2))
            for cx, cy in centres]
    return torch.stack(maps)


def test_neighbour_heatmaps_are_warped_onto_the_current_frame():
    """Frame t has its joint at p, neighbour i at p + d_i; with the flow t -> i equal to d_i, the
    warped neighbour peaks at p, so the mean-pooled heatmap equals frame t's."""
    _, flowing = _models()
    flowing.fusion.init = 'mean'
    flowing.fusion.reset_to_init()
    p = (5.0, 7.0)
    shifts = [(2.0, -3.0), (-1.0, 2.0)]  # heatmap pixels, current -> neighbour
    per_frame = _gaussians([p] + [(p[0] + dx, p[1] + dy) for dx, dy in shifts])  # (3, h, w)
    heatmaps = per_frame[:, None].expand(3, K, 16, 12).contiguous()  # (T, K, h, w)
    flows = torch.stack([torch.stack([torch.full((16, 12), dx), torch.full((16, 12), dy)])
                         for dx, dy in shifts])[None]  # (1, T-1, 2, h, w)
    flowing.frame_heatmaps = lambda frames: heatmaps.clone()
    fused, current = flowing.forward_heatmaps(torch.zeros(1, 3, 3, 64, 48), _samples(1, flows))
    assert torch.allclose(fused, current, atol=1e-5)
    # with the opposite flow direction the peaks would not align
    fused_wrong, _ = flowing.forward_heatmaps(torch.zeros(1, 3, 3, 64, 48),
                                              _samples(1, -flows))
    assert not torch.allclose(fused_wrong, current, atol=1e-2)
    # flip test: flipped frames + flipped flows align the same way
    flipped = heatmaps.flip(-1)
    flowing.frame_heatmaps = lambda frames: flipped.clone()
    fused_f, current_f = flowing.forward_heatmaps(torch.zeros(1, 3, 3, 64, 48),
                                                  _samples(1, flows), flipped=True)
    assert torch.allclose(fused_f, current_f, atol=1e-5)


def test_flip_flows_mirrors_and_negates_dx():
    flows = torch.rand(2, 2, 4, 5)
    flipped = flip_flows(flows)
    assert torch.allclose(flipped[:, 0], -flows[:, 0].flip(-1))
    assert torch.allclose(flipped[:, 1], flows[:, 1].flip(-1))
    assert torch.allclose(flip_flows(flipped), flows)


def test_data_flow_source_requires_flows():
    _, flowing = _models()
    with pytest.raises(ValueError, match='metainfo\\["flows"\\]'):
        flowing.forward_heatmaps(torch.zeros(1, 3, 3, 64, 48), None)
    with pytest.raises(ValueError, match='T=3'):
        flowing.forward_heatmaps(torch.zeros(1, 2, 3, 64, 48), None)
