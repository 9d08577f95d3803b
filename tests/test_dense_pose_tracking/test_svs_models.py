"""SVS head and the 2-stack hourglass cascade: forward, loss, backward, predict, ablation flag."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

import plugins  # noqa: F401


@pytest.fixture(autouse=True)
def mmpose_scope():
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


K, C, H, W = 17, 28, 16, 16
META = dict(from_file='configs/_base_/datasets/posetrack18.py')


def make_samples(batch, with_svs=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch):
        s = PoseDataSample()
        fields = dict(heatmaps=torch.rand(K, H, W, generator=g))
        labels = dict(keypoint_weights=torch.ones(1, K))
        if with_svs:
            fields['svs_maps'] = torch.randn(C, H, W, generator=g)
            w = torch.ones(1, C)
            w[0, :3] = 0
            labels['svs_weights'] = w
        s.gt_fields = PixelData(**fields)
        s.gt_instance_labels = InstanceData(**labels)
        s.gt_instances = InstanceData(bboxes=np.array([[0, 0, 64, 64]], np.float32),
                                      bbox_scores=np.ones(1, np.float32))
        s.set_metainfo(dict(input_size=(64, 64), input_center=np.array([32., 32.]),
                            input_scale=np.array([64., 64.]), flip_indices=list(range(K))))
        samples.append(s)
    return samples


def cascade_cfg(svs_supervision=True):
    codec = dict(type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(W, H), sigma=1)
    return dict(
        type='SVSHourglassCascade',
        svs_supervision=svs_supervision,
        data_preprocessor=dict(type='PoseDataPreprocessor', mean=[128.] * 3, std=[64.] * 3),
        backbone=dict(type='ResNet', depth=18, stem_channels=16, base_channels=16,
                      num_stages=1, strides=(1, ), dilations=(1, ), out_indices=(0, )),
        in_channels=16, downsample_times=2, stage_channels=(16, 16, 16),
        stage_blocks=(1, 1, 1), feat_channels=16,
        svs_head=dict(type='SVSHead', in_channels=16, out_channels=C),
        head=dict(type='HeatmapHead', in_channels=16, out_channels=K, deconv_out_channels=None,
                  loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
        test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))


def test_svs_head_smooth_l1_loss_and_weights():
    head = MODELS.build(dict(type='SVSHead', in_channels=8, out_channels=C,
                             conv_out_channels=(8, ), conv_kernel_sizes=(3, )))
    feats = (torch.randn(2, 8, H, W), )
    pred = head.forward(feats)
    assert pred.shape == (2, C, H, W)
    samples = make_samples(2)
    target = torch.stack([s.gt_fields.svs_maps for s in samples])
    loss = head.loss_by_output(pred, samples)['loss_svs']
    # reference: pixel-wise smooth-L1 (beta 1) with zero-weight channels zeroed, mean
    w = torch.ones(2, C, 1, 1)
    w[:, :3] = 0
    d = (pred - target) * w
    ref = torch.where(d.abs() < 1, 0.5 * d**2, d.abs() - 0.5).mean()
    torch.testing.assert_close(loss, ref)
    # channels with weight 0 do not count; a perfect prediction has zero loss
    assert head.loss_by_output(target, samples)['loss_svs'].item() == 0
    moved = target.clone()
    moved[:, :3] += 5
    assert head.loss_by_output(moved, samples)['loss_svs'].item() == 0
    assert torch.equal(head.loss(feats, samples)['loss_svs'], loss)
    preds = head.predict(feats, samples)
    assert len(preds) == 2 and preds[0].svs_maps.shape == (C, H, W)
    with pytest.raises(ValueError, match='svs_maps'):
        head.loss(feats, make_samples(1, with_svs=False))
    with pytest.raises(ValueError, match='shape'):
        head.loss_by_output(pred[:, :5], samples)


def test_cascade_loss_backward_and_predict():
    torch.manual_seed(0)
    model = MODELS.build(cascade_cfg())
    model.init_weights()
    inputs = torch.rand(2, 3, 64, 64)
    losses = model(inputs, make_samples(2), mode='loss')
    assert set(losses) == {'loss_svs', 'loss_kpt', 'acc_pose'}
    assert all(torch.isfinite(v) for v in losses.values())
    model.zero_grad()
    losses['loss_kpt'].backward()
    # the keypoint loss reaches stack 1's SVS head only through the prediction remap
    assert model.stack1_head.final_layer.weight.grad.abs().sum() > 0
    assert model.remap_pred.conv.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        heatmaps = model(inputs, None, mode='tensor')
        results = model(inputs, make_samples(2), mode='predict')
    assert heatmaps.shape == (2, K, H, W)
    pred = results[0].pred_instances
    assert pred.keypoints.shape == (1, K, 2) and pred.keypoint_scores.shape == (1, K)
    assert 'pred_fields' not in results[0] or 'svs_maps' not in results[0].pred_fields
    # stack 2 depends on the SVS prediction
    with torch.no_grad():
        model.remap_pred.conv.weight.add_(1.0)
        assert not torch.allclose(model(inputs, None, mode='tensor'), heatmaps)


def test_cascade_without_svs_is_plain_two_stack_hourglass():
    model = MODELS.build(cascade_cfg(svs_supervision=False))
    assert type(model.stack1_head).__name__ == 'HeatmapHead'
    assert not any('svs' in n for n, _ in model.named_modules())
    losses = model(torch.rand(2, 3, 64, 64), make_samples(2, with_svs=False), mode='loss')
    assert set(losses) == {'loss_kpt_stack1', 'acc_pose_stack1', 'loss_kpt', 'acc_pose'}


def test_cascade_bad_configs_are_named():
    cfg = cascade_cfg()
    cfg['stage_channels'] = (16, 16)
    with pytest.raises(ValueError, match='downsample_times'):
        MODELS.build(cfg)
    model = MODELS.build(cascade_cfg())
    with pytest.raises(ValueError, match='divisible'):
        model(torch.rand(1, 3, 72, 72), None, mode='tensor')
    cfg = cascade_cfg()
    cfg['svs_head'] = None
    with pytest.raises(ValueError, match='svs_head'):
        MODELS.build(cfg)
