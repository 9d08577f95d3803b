"""The SSTN wrapper: identity at init, gradients to the localisation net, parallel SPPE."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import plugins  # noqa: F401
from plugins.registry import MODELS

from .rmpe_test_utils import (HEATMAP_SIZE, INPUT_SIZE, make_batch, sstn_cfg, tiny_sppe_cfg)


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmpose')


def build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def plain_sppe_like(model):
    """A standalone SPPE with the wrapper's SPPE weights."""
    sppe = MODELS.build(tiny_sppe_cfg(flip_test=model.test_cfg.get('flip_test', False)))
    sppe.load_state_dict(model.sppe.state_dict())
    return sppe.eval()


@pytest.mark.parametrize('flip_test', [False, True])
def test_identity_theta_leaves_the_base_model_output_unchanged(flip_test):
    model = build(sstn_cfg(parallel=False, flip_test=flip_test)).eval()
    sppe = plain_sppe_like(model)
    inputs, samples = make_batch(3, seed=1)
    theta = model.localization_net(inputs)
    torch.testing.assert_close(theta, torch.eye(2, 3).expand(3, 2, 3))
    with torch.no_grad():
        torch.testing.assert_close(model(inputs, None, mode='tensor'),
                                   sppe(inputs, None, mode='tensor'), atol=1e-5, rtol=1e-4)
        _, samples_b = make_batch(3, seed=1)
        ours = model(inputs, samples, mode='predict')
        base = sppe(inputs, samples_b, mode='predict')
    for a, b in zip(ours, base):
        np.testing.assert_allclose(a.pred_instances.keypoints, b.pred_instances.keypoints,
                                   atol=1e-4)
        np.testing.assert_allclose(a.pred_instances.keypoint_scores,
                                   b.pred_instances.keypoint_scores, atol=1e-5)


def test_loss_is_in_the_crop_frame_and_its_gradient_reaches_the_localisation_net():
    model = build(sstn_cfg(parallel=False)).train()
    torch.nn.init.normal_(model.localization_net.theta_layer.weight, std=0.05)
    inputs, samples = make_batch(2, seed=2)
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    losses['loss_kpt'].backward()
    grad = model.localization_net.theta_layer.weight.grad
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    # the head saw heatmaps mapped back by the SDTN: recompute the loss by hand
    with torch.no_grad():
        warped, theta = model.stn(inputs)
        raw = model.sppe._forward(warped)  # heatmaps in the warped frame (no tag: no SDTN)
        back = model.sdtn(raw, theta, INPUT_SIZE)
        target = torch.stack([s.gt_fields.heatmaps for s in samples])
        weight = torch.stack([s.gt_instance_labels.keypoint_weights[0] for s in samples])
        expected = model.sppe.head.loss_module(back, target, weight)
    torch.testing.assert_close(losses['loss_kpt'].detach(), expected)
    assert not torch.allclose(back, raw)  # theta is not the identity here


def test_parallel_sppe_is_training_only_frozen_and_not_saved():
    model = build(sstn_cfg(parallel=True)).eval()
    inputs, samples = make_batch(2, seed=3)
    with torch.no_grad():
        model(inputs, samples, mode='predict')
        model(inputs, None, mode='tensor')
    assert model.parallel_sppe is None  # never built outside training

    model.train()
    losses = model(inputs, samples, mode='loss')
    assert 'loss_parallel_sppe' in losses and torch.isfinite(losses['loss_parallel_sppe'])
    branch = model.parallel_sppe
    assert branch is not None and not branch.training
    assert all(not p.requires_grad for p in branch.parameters())
    assert not any(k.startswith('_parallel') or 'parallel' in k for k in model.state_dict())
    own = {id(p) for p in model.parameters()}
    assert not any(id(p) in own for p in branch.parameters())
    # initialised from the SPPE (the paper's pretrained SPPE)
    for (k, a), b in zip(branch.state_dict().items(), model.sppe.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)

    # its loss trains the localisation net, never the branch
    before = {k: v.clone() for k, v in branch.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    opt.step()
    for k, v in branch.state_dict().items():
        torch.testing.assert_close(v, before[k], msg=k)

    # inference does not touch it
    calls = []
    hooks = [m.register_forward_hook(lambda *a: calls.append(1)) for m in branch.modules()]
    model.eval()
    with torch.no_grad():
        model(inputs, samples, mode='predict')
        model(inputs, None, mode='tensor')
    for h in hooks:
        h.remove()
    assert calls == []


def test_parallel_loss_pulls_theta_towards_centring():
    """Only the parallel branch's loss: its gradient w.r.t. theta is non-zero and finite."""
    model = build(sstn_cfg(parallel=True)).train()
    inputs, samples = make_batch(2, seed=4)
    loss = model(inputs, samples, mode='loss')['loss_parallel_sppe']
    loss.backward()
    grad = model.localization_net.theta_layer.bias.grad
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_centred_targets_move_the_pose_centre_to_the_crop_centre():
    model = build(sstn_cfg(parallel=True))
    _, samples = make_batch(2, seed=5)
    target, weight = model.centred_heatmap_targets(samples, HEATMAP_SIZE, INPUT_SIZE)
    checked = 0
    for b, s in enumerate(samples):
        kpt = s.gt_instances.transformed_keypoints[0]
        lab = s.gt_instance_labels.keypoint_weights[0].numpy() > 0
        centre_in = (kpt[lab].min(0) + kpt[lab].max(0)) / 2  # input pixels
        ratio = np.array(HEATMAP_SIZE) / np.array(INPUT_SIZE)  # MSRA: v = u * w / W
        shift_hm = (centre_in - (np.array(INPUT_SIZE) - 1) / 2) * ratio
        orig = s.gt_fields.heatmaps.numpy()
        new = target[b].numpy()
        ys, xs = np.mgrid[:HEATMAP_SIZE[1], :HEATMAP_SIZE[0]]
        for k in np.flatnonzero(lab):  # linear interpolation moves a centre of mass exactly
            com = lambda m: np.array([(m * xs).sum(), (m * ys).sum()]) / m.sum()  # noqa: E731
            if abs(new[k].sum() - orig[k].sum()) > 1e-6 * orig[k].sum():
                continue  # part of the blob left the map
            np.testing.assert_allclose(com(new[k]), com(orig[k]) - shift_hm, atol=1e-4)
            checked += 1
    assert checked >= 5
    torch.testing.assert_close(weight, torch.stack(
        [s.gt_instance_labels.keypoint_weights[0] for s in samples]))


def test_parallel_sppe_needs_crop_frame_keypoints():
    model = build(sstn_cfg(parallel=True)).train()
    inputs, samples = make_batch(1, seed=6)
    del samples[0].gt_instances.transformed_keypoints
    with pytest.raises(KeyError, match='pack_transformed'):
        model(inputs, samples, mode='loss')


def test_rejects_unknown_options():
    cfg = sstn_cfg(parallel=True)
    cfg['parallel_sppe']['bogus'] = 1
    with pytest.raises(ValueError, match='bogus'):
        MODELS.build(cfg)
    cfg = sstn_cfg(parallel=False)
    cfg['heatmap_alignment'] = 'nope'
    with pytest.raises(ValueError, match='heatmap_alignment'):
        MODELS.build(cfg)
