"""The correspondence network: losses of both stages, module-wise training, inference helpers."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample

import plugins  # noqa: F401
from plugins.codecs.correspondence_maps import CorrespondenceMaps
from plugins.models.correspondence.correspondence_net import AffinityMaps
from plugins.models.correspondence.geometry import map_to_input
from plugins.registry import MODELS

K = 4
INPUT = (64, 64)


def tiny_net(refine=True, **kwargs):
    cfg = dict(
        type='CorrespondenceNet', num_keypoints=K, input_size=INPUT,
        matcher=dict(type='SiameseMatcher', patch_size=3, temperature=0.1,
                     backbone=dict(type='BNInception', last_layer=3, widen_factor=1 / 16)),
        refinement=(dict(type='AffinityRefinement',
                         backbone=dict(type='BNInception', first_layer=3, last_layer=5,
                                       widen_factor=1 / 16)) if refine else None),
        data_preprocessor=dict(type='ImagePairDataPreprocessor', mean=[0, 0, 0],
                               std=[255, 255, 255]))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def sample(n, rng, drop=None):
    kpts = rng.uniform(4, 60, (n, K, 2)).astype(np.float32)
    pair = kpts + rng.uniform(-6, 6, kpts.shape).astype(np.float32)
    pair_vis = np.ones((n, K), np.float32)
    if drop is not None:
        pair_vis[drop] = 0
    enc = CorrespondenceMaps(INPUT, (8, 8)).encode(kpts, np.ones((n, K)), pair, pair_vis)
    ds = PoseDataSample()
    ds.gt_instances = InstanceData(keypoints=kpts, keypoints_visible=np.ones((n, K)))
    ds.gt_instance_labels = InstanceData(
        affinity_weights=torch.from_numpy(enc['affinity_weights']))
    ds.gt_fields = PixelData(affinity_maps=torch.from_numpy(enc['affinity_maps']))
    return ds


def test_loss_both_stages_and_padding_of_person_counts():
    torch.manual_seed(0)
    net = tiny_net().train()
    rng = np.random.default_rng(0)
    samples = [sample(2, rng, drop=(0, 1)), sample(0, rng), sample(3, rng)]
    losses = net(torch.rand(3, 6, *INPUT[::-1]), samples, mode='loss')
    assert set(losses) == {'loss_siamese', 'loss_refine', 'acc_corr'}
    total = losses['loss_siamese'] + losses['loss_refine']
    assert torch.isfinite(total)
    total.backward()
    assert net.matcher.backbone.conv1[0].conv.weight.grad is not None
    assert net.refinement.predict_layer.weight.grad is not None


def test_siamese_loss_is_bce_of_the_softmax_maps():
    """The Siamese loss equals BCE computed by hand on the valid queries only."""
    torch.manual_seed(0)
    net = tiny_net(refine=False).eval()
    rng = np.random.default_rng(1)
    samples = [sample(2, rng)]
    inputs = torch.rand(1, 6, 64, 64)
    losses = net(inputs, samples, mode='loss')
    aff, _ = net(inputs, samples, mode='tensor')
    target = samples[0].gt_fields.affinity_maps.reshape(1, 2, K, 8, 8)
    p = aff.clamp(1e-7, 1 - 1e-7)
    ref = -(target * p.log() + (1 - target) * (1 - p).log()).mean()
    assert torch.allclose(losses['loss_siamese'], ref, atol=1e-6)


def test_module_wise_training_freezes_siamese():
    torch.manual_seed(0)
    net = tiny_net(freeze_siamese=True).train()
    assert not net.matcher.training
    assert all(not p.requires_grad for p in net.matcher.parameters())
    bn = net.matcher.backbone.conv1[0].bn
    before = bn.running_mean.clone()
    rng = np.random.default_rng(0)
    losses = net(torch.rand(2, 6, 64, 64), [sample(2, rng), sample(1, rng)], mode='loss')
    assert 'loss_siamese' not in losses
    losses['loss_refine'].backward()
    assert torch.equal(bn.running_mean, before)
    assert net.refinement.predict_layer.weight.grad is not None
    with pytest.raises(ValueError, match='freeze_siamese'):
        tiny_net(refine=False, freeze_siamese=True)


def test_batch_without_persons_gives_zero_loss():
    net = tiny_net().train()
    rng = np.random.default_rng(0)
    losses = net(torch.rand(2, 6, 64, 64), [sample(0, rng), sample(0, rng)], mode='loss')
    assert float(losses['loss_siamese']) == 0 and float(losses['loss_refine']) == 0


def test_target_size_mismatch_is_reported():
    net = tiny_net()
    rng = np.random.default_rng(0)
    ds = sample(1, rng)
    ds.gt_fields = PixelData(affinity_maps=torch.zeros(K, 16, 16))
    with pytest.raises(ValueError, match='heatmap_size'):
        net(torch.rand(1, 6, 64, 64), [ds], mode='loss')


def test_tensor_mode_without_samples_and_predict():
    net = tiny_net().eval()
    with torch.no_grad():
        aff, refined = net(torch.rand(1, 6, 64, 64), None, mode='tensor')
        assert aff.shape == refined.shape == (1, 1, K, 8, 8)
        out = net(torch.rand(1, 6, 64, 64), [sample(2, np.random.default_rng(0))],
                  mode='predict')
    assert out[0].pred_instances.keypoints.shape == (2, K, 2)
    assert out[0].pred_fields.affinity_maps.shape == (2 * K, 8, 8)


def test_affinity_at_and_maps_to_points_read_the_maps():
    net = tiny_net(refine=False)
    maps = torch.zeros(2, K, 8, 8)
    maps[0, :, 3, 5] = 0.7  # peak at map cell (x=5, y=3) for every joint of pose 0
    maps[0, :, 3, 6] = 0.2
    maps[1, :, 0, 0] = 0.9
    am = AffinityMaps(maps, 'sum', INPUT)
    centre = map_to_input(np.array([5.0, 3.0]), INPUT, (8, 8))
    pts = np.tile(centre, (3, K, 1))
    pts[1] += (16, 8)  # cell (7, 4): its 3x3 window holds (6, 3) but not the peak (5, 3)
    pts[2] = -50  # outside the map
    vals = net.affinity_at(am, pts, window=1)
    assert vals.shape == (2, 3, K)
    np.testing.assert_allclose(vals[0, 0].numpy(), 0.9, atol=1e-6)  # 3x3 sum
    np.testing.assert_allclose(vals[0, 1].numpy(), 0.2, atol=1e-6)  # only (6, 3)
    assert float(vals[:, 2].abs().max()) == 0
    np.testing.assert_allclose(net.affinity_at(am, pts, window=0)[0, 0].numpy(), 0.7)
    # bilinear between the cells (5, 3) and (6, 3)
    half = map_to_input(np.array([[5.5, 3.0]]), INPUT, (8, 8))
    np.testing.assert_allclose(net.affinity_at(am, np.tile(half, (1, K, 1)))[0, 0].numpy(),
                               0.45, atol=1e-6)
    p, s = net.maps_to_points(am, window=1)
    # centroid of 0.7 at x=5 and 0.2 at x=6 -> 5 + 0.2/0.9
    expected = map_to_input(np.array([5 + 0.2 / 0.9, 3.0]), INPUT, (8, 8))
    np.testing.assert_allclose(p[0].numpy(), np.tile(expected, (K, 1)), atol=1e-5)
    np.testing.assert_allclose(s[0].numpy(), 0.9, atol=1e-6)
    mx = net.affinity_at(AffinityMaps(maps, 'max', INPUT), pts, window=1)
    np.testing.assert_allclose(mx[0, 0].numpy(), 0.7, atol=1e-6)


def test_propagate_handles_empty_and_masks_invalid():
    net = tiny_net().eval()
    frames = [np.random.default_rng(i).integers(0, 255, (40, 50, 3), dtype=np.uint8)
              for i in range(2)]
    imgs, mats = net.prepare_frames(frames)
    assert imgs.shape == (2, 3, 64, 64) and mats[0].shape == (2, 3)
    feats = net.extract_feat(imgs)
    empty = net.propagate(feats[0], feats[1], np.zeros((0, K, 2)))
    assert empty.maps.shape == (0, K, 8, 8)
    valid = np.ones((2, K), bool)
    valid[1, 2] = False
    maps = net.propagate(feats[0], feats[1], np.full((2, K, 2), 30.0), valid)
    assert maps.reduce == 'max' and maps.maps.shape == (2, K, 8, 8)
    assert float(maps.maps[1, 2].abs().max()) == 0 and float(maps.maps[0, 2].max()) > 0


def test_pair_preprocessor_normalises_each_image():
    pre = MODELS.build(dict(type='ImagePairDataPreprocessor', mean=[1.0, 2.0, 3.0],
                            std=[2.0, 4.0, 8.0], bgr_to_rgb=True))
    a = torch.randint(0, 255, (6, 4, 5), dtype=torch.uint8)
    b = torch.randint(0, 255, (6, 4, 5), dtype=torch.uint8)
    out = pre(dict(inputs=[a, b], data_samples=None))['inputs']
    mean = torch.tensor([1.0, 2.0, 3.0])[:, None, None]
    std = torch.tensor([2.0, 4.0, 8.0])[:, None, None]
    for i, x in enumerate((a, b)):
        for half in (0, 1):
            img = x[3 * half:3 * half + 3].float()[[2, 1, 0]]  # BGR -> RGB per image
            assert torch.allclose(out[i, 3 * half:3 * half + 3], (img - mean) / std)
    with pytest.raises(ValueError, match='pairs'):
        pre(dict(inputs=[torch.zeros(3, 4, 5)], data_samples=None))


def test_refinement_starts_from_the_siamese_affinity():
    """At initialisation the refined map is sigmoid(log p) = p / (1 + p) of the Siamese p."""
    torch.manual_seed(0)
    net = tiny_net()
    net.init_weights()
    net.eval()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        aff, refined_logits = net(torch.rand(1, 6, 64, 64), [sample(2, rng)], mode='tensor')
    p = aff.clamp_min(np.exp(-30))
    assert torch.allclose(torch.sigmoid(refined_logits), p / (1 + p), atol=1e-6)


# ---------------------------------------------------------------- one decoder, one propagation
def test_codec_decodes_like_inference():
    """CorrespondenceMaps.decode and CorrespondenceNet.maps_to_points are one decoder:
    arg-max refined by the 3x3 centroid (hand-computed), score read the same way."""
    net = tiny_net(refine=False)
    maps = np.zeros((K, 8, 8), np.float32)
    maps[:, 3, 5] = 0.6
    maps[:, 3, 4] = 0.2  # pulls the centroid left by 0.2 of the 1.0 mass
    maps[:, 4, 5] = 0.2  # and down by as much
    for reduce, window in (('max', 0), ('sum', 1), ('max', 1)):
        codec = CorrespondenceMaps(INPUT, (8, 8), decode_reduce=reduce, decode_window=window)
        pts, scores = codec.decode(maps)
        ref_pts, ref_scores = net.maps_to_points(
            AffinityMaps(torch.from_numpy(maps)[None], reduce, INPUT), window)
        np.testing.assert_allclose(pts, ref_pts.numpy(), atol=1e-6)
        np.testing.assert_allclose(scores, ref_scores.numpy(), atol=1e-6)
        expected = map_to_input(np.array([5 - 0.2 / 1.0, 3 + 0.2 / 1.0]), INPUT, (8, 8))
        np.testing.assert_allclose(pts[0], np.tile(expected, (K, 1)), atol=1e-5)
        np.testing.assert_allclose(scores[0], {'max': 0.6, 'sum': 1.0}[reduce], atol=1e-6)
    with pytest.raises(ValueError, match='heatmap_size'):
        CorrespondenceMaps(INPUT, (8, 8)).decode(np.zeros((K, 4, 4)))
    with pytest.raises(ValueError, match='decode_reduce'):
        CorrespondenceMaps(INPUT, (8, 8), decode_reduce='mean')


def _colour_net(refine=False):
    import scene
    return MODELS.build(scene.colour_model(refine)).eval(), scene


def test_propagate_keypoints_maps_back_to_image_pixels():
    """A person moved by a known shift on frames twice the network input: the propagated
    joints land on the moved person, in the frames' own pixels (letter-box undone)."""
    from plugins.models.correspondence import FrameFeatures, propagate_keypoints
    net, scene = _colour_net()
    pose_a, pose_b = scene.pose_at((30, 30)), scene.pose_at((42, 34))
    frames = [cv2.resize(scene.render({0: p}, [0]), None, fx=2, fy=2,
                         interpolation=cv2.INTER_NEAREST) for p in (pose_a, pose_b)]
    kpts = (pose_a[None] + 0.5) * 2 - 0.5  # pixel centres scale about the corner
    truth = (pose_b + 0.5) * 2 - 0.5
    valid = np.ones((1, scene.K), bool)
    valid[0, 4] = False
    prop = propagate_keypoints(net, frames[0], frames[1], kpts, valid, return_maps=True)
    assert prop.keypoints.shape == (1, scene.K, 2) and prop.scores.shape == (1, scene.K)
    assert isinstance(prop.source, FrameFeatures) and prop.target.image_size == (192, 128)
    # colour pooling at stride 4 of the input = 8 image pixels: every propagated joint within
    # one cell of a joint of the moved person (similar shades may swap), the pose centred on it
    dist = np.linalg.norm(prop.keypoints[0, :4, None] - truth[None], axis=-1)
    assert dist.min(axis=1).max() <= 8.0, dist
    assert np.linalg.norm(prop.keypoints[0, :4].mean(0) - truth[:4].mean(0)) <= 6.0
    assert prop.scores[0, 4] == 0 and (prop.scores[0, :4] > 0).all()
    # cached features give the same answer; the method is the same function
    again = net.propagate_keypoints(prop.source, prop.target, kpts, valid)
    np.testing.assert_allclose(again.keypoints, prop.keypoints, atol=1e-5)
    assert again.maps is None
    # the maps read at the true pose (B's pixels) beat the maps read at the old pose
    at_truth = prop.affinity_at(truth[None])
    at_old = prop.affinity_at(kpts)
    assert at_truth.shape == (1, 1, scene.K)
    assert at_truth[0, 0, :4].mean() > 2 * at_old[0, 0, :4].mean()
    with pytest.raises(ValueError, match='return_maps'):
        again.affinity_at(truth[None])
    with pytest.raises(ValueError, match=r'\(N, 5, 2\)'):
        propagate_keypoints(net, prop.source, prop.target, kpts[0])
    empty = propagate_keypoints(net, prop.source, prop.target, np.zeros((0, scene.K, 2)))
    assert empty.keypoints.shape == (0, scene.K, 2)


def test_letterbox_function_is_the_online_path():
    from plugins.datasets.transforms.letterbox import letterbox_frames, letterbox_image
    net = tiny_net(refine=False)
    frame = np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    img, m = letterbox_image(frame, INPUT)
    imgs, mats = net.prepare_frames([frame])
    expected = net.data_preprocessor.normalize_images(
        torch.from_numpy(img).permute(2, 0, 1)[None].float())
    torch.testing.assert_close(imgs, expected)
    np.testing.assert_allclose(mats[0], m)
    # 50 x 40 -> 64 x 51.2: scale 1.28, centred vertically
    np.testing.assert_allclose(m[:, :2], np.eye(2) * 1.28)
    with pytest.raises(ValueError, match='frame 1'):
        letterbox_frames([frame, frame[..., 0]], INPUT)


def test_propagate_keypoints_equals_the_former_tracker_and_recovery_path():
    """The one function reproduces what CorrespondenceRecovery.propagate and the tracker
    computed inline (letter-box, features, maps, decoder, inverse letter-box), refined maps."""
    from plugins.models.correspondence import propagate_keypoints
    from plugins.utils.affine import apply_affine, invert_affine
    net, scene = _colour_net(refine=True)
    frames = [scene.render({0: scene.pose_at((30 + 5 * t, 30))}, [0]) for t in range(2)]
    frames = [cv2.resize(f, (150, 100)) for f in frames]  # another aspect ratio: letter-box pads
    kpts = np.random.default_rng(1).uniform(10, 90, (3, scene.K, 2))
    valid = np.random.default_rng(2).uniform(size=(3, scene.K)) > 0.3
    imgs, mats = net.prepare_frames(frames)
    feats = net.extract_feat(imgs)
    maps = net.propagate(feats[0], feats[1], apply_affine(kpts, mats[0]), valid)
    pts, scores = net.maps_to_points(maps, 1)
    old = apply_affine(pts.numpy(), invert_affine(mats[1]))
    new = propagate_keypoints(net, frames[0], frames[1], kpts, valid, window=1,
                              return_maps=True)
    np.testing.assert_allclose(new.keypoints, old, atol=1e-4)
    np.testing.assert_allclose(new.scores, scores.numpy() * valid, atol=1e-6)
    det = np.random.default_rng(3).uniform(0, 100, (2, scene.K, 2))
    np.testing.assert_allclose(new.affinity_at(det, 1),
                               net.affinity_at(maps, apply_affine(det, mats[1]), 1).numpy(),
                               atol=1e-6)
