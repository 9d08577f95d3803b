"""Deep Proposals Generator: AlphaPose preset statistics, fitted DPG, schedule hook."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch.utils.data as torch_data
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from plugins.datasets.transforms.dpg_fitting import (fit_dpg_model, match_detections,
                                                     normalized_box_offsets)
from plugins.datasets.transforms.dpg_model import DPGModel, align_poses
from plugins.datasets.transforms.dpg_transform import (ALPHAPOSE_EDGE_MEAN, ALPHAPOSE_EDGE_STD,
                                                       DeepProposalsGenerator)
from plugins.engine.hooks.dpg_schedule_hook import DPGScheduleHook
from plugins.registry import HOOKS, TRANSFORMS

from .rmpe_test_utils import load_tool

K = 17
UPPER, LOWER = [5, 6], [11, 12]  # COCO shoulders, hips


def test_alphapose_preset_statistics():
    n = 20000
    boxes = np.tile([1000.0, 1000.0, 1100.0, 1300.0], (n, 1))  # w 100, h 300; far from borders
    dpg = TRANSFORMS.build(dict(type='DeepProposalsGenerator', seed=0))
    out = dpg.transform(dict(bbox=boxes.copy(), img_shape=(5000, 5000)))['bbox']
    wh = np.array([100.0, 300.0, 100.0, 300.0])
    inside = ((out[:, :2] >= boxes[:, :2]) & (out[:, 2:] <= boxes[:, 2:] + 1)).all(1)
    out_w, out_h = out[:, 2] - out[:, 0], out[:, 3] - out[:, 1]
    # sub-patches: same aspect ratio (+1 px), scale in [0.85, 1), inside the box
    patch = inside & np.isclose((out_w - 1) / 100.0, (out_h - 1) / 300.0, atol=1e-9)
    assert abs(patch.mean() - 0.15) < 0.015
    scale = (out_w[patch] - 1) / 100.0
    assert scale.min() >= 0.85 and scale.max() < 1.0
    # the rest: Gaussian edge jitter with AlphaPose's constants
    rel = (out[~patch] - boxes[~patch]) / wh
    np.testing.assert_allclose(rel.mean(0), ALPHAPOSE_EDGE_MEAN, atol=0.004)
    np.testing.assert_allclose(rel.std(0), ALPHAPOSE_EDGE_STD, rtol=0.05)


def test_preset_clips_to_the_image_like_alphapose():
    dpg = DeepProposalsGenerator(seed=1)
    boxes = np.tile([0.0, 0.0, 50.0, 80.0], (2000, 1))
    out = dpg.transform(dict(bbox=boxes, img_shape=(80, 50)))['bbox']
    assert out[:, :2].min() >= 1 and out[:, 2].max() <= 47 and out[:, 3].max() <= 77
    assert ((out[:, 2:] - out[:, :2]) >= 2).all()


def test_disabled_or_zero_probability_leaves_the_box():
    box = np.array([[10.0, 20.0, 60.0, 120.0]], np.float32)
    for dpg in (DeepProposalsGenerator(enabled=False), DeepProposalsGenerator(prob=0.0)):
        out = dpg.transform(dict(bbox=box.copy(), img_shape=(200, 200)))
        np.testing.assert_array_equal(out['bbox'], box)
    out = DeepProposalsGenerator(seed=0).transform(dict(bbox=box.copy(), img_shape=(200, 200)))
    assert out['bbox'].dtype == np.float32 and out['bbox'].shape == (1, 4)


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match='fit_dpg.py'):
        DeepProposalsGenerator(dpg_file=str(tmp_path / 'missing.json'))
    with pytest.raises(KeyError, match='img_shape'):
        DeepProposalsGenerator().transform(dict(bbox=np.zeros((1, 4))))
    with pytest.raises(KeyError, match='bbox'):
        DeepProposalsGenerator().transform(dict(img_shape=(5, 5)))


def template(kind: str) -> np.ndarray:
    """Two atomic poses: standing (joints spread vertically) and lying (horizontally)."""
    t = np.linspace(-1, 1, K)
    pose = np.stack([0.2 * np.sin(7 * t), 2.0 * t], 1)  # standing
    return pose if kind == 'standing' else pose[:, ::-1].copy()


def synthetic_dpg_data(n_per: int = 150, seed: int = 0):
    """People of two atomic poses whose detections deviate differently:
    standing -> box shifted right by 10% of w, lying -> box 20% taller at the bottom."""
    rng = np.random.default_rng(seed)
    kpts, boxes, dets, truth = [], [], [], []
    for kind, mean in (('standing', [0.1, 0.0, 0.1, 0.0]), ('lying', [0.0, 0.0, 0.0, 0.2])):
        for _ in range(n_per):
            size = rng.uniform(40, 80)
            p = template(kind) * size + rng.uniform(100, 400, 2) + rng.normal(0, 1.5, (K, 2))
            box = np.concatenate([p.min(0) - 5, p.max(0) + 5])
            wh = box[2:] - box[:2]
            off = np.asarray(mean) + rng.normal(0, 0.02, 4)
            kpts.append(p)
            boxes.append(box)
            dets.append(box + off * np.concatenate([wh, wh]))
            truth.append(mean)
    return np.stack(kpts), np.stack(boxes), np.stack(dets), np.asarray(truth)


def test_matching_and_offsets_by_hand():
    gt = np.array([[0, 0, 10, 20], [100, 100, 120, 140.0]])
    det = np.array([[101, 102, 121, 142], [50, 50, 60, 60], [1, 0, 11, 20.0]])
    gi, di = match_detections(gt, det, 0.5)
    assert sorted(zip(gi.tolist(), di.tolist())) == [(0, 2), (1, 0)]
    np.testing.assert_allclose(normalized_box_offsets(gt[gi], det[di])[np.argsort(gi)],
                               [[0.1, 0, 0.1, 0], [1 / 20, 2 / 40, 1 / 20, 2 / 40]])
    assert match_detections(gt, np.zeros((0, 4)))[0].shape == (0, )


def test_alignment_normalises_torso_length_and_centre():
    kpts, boxes, _, _ = synthetic_dpg_data(5)
    vis = np.ones(kpts.shape[:2], bool)
    aligned = align_poses(kpts, vis, boxes, UPPER, LOWER, 0.3)
    up, lo = aligned[:, UPPER].mean(1), aligned[:, LOWER].mean(1)
    np.testing.assert_allclose(np.linalg.norm(up - lo, axis=1), 1.0)
    np.testing.assert_allclose((up + lo) / 2, 0.0, atol=1e-12)


def test_fitted_dpg_learns_per_atomic_pose_offsets(tmp_path):
    kpts, boxes, dets, truth = synthetic_dpg_data()
    vis = np.ones(kpts.shape[:2], bool)
    matched = np.arange(len(kpts))
    model = fit_dpg_model(kpts, vis, boxes, matched, normalized_box_offsets(boxes, dets), UPPER,
                          LOWER, num_atomic_poses=2, num_components=1, seed=0)
    path = tmp_path / 'dpg.json'
    model.save(str(path))
    loaded = DPGModel.load(str(path))
    clusters = loaded.assign(kpts, vis, boxes)
    standing = clusters[:len(kpts) // 2]
    assert len(set(standing)) == 1 and len(set(clusters[len(kpts) // 2:])) == 1
    assert standing[0] != clusters[-1]  # the two atomic poses are found
    for c, mean in ((standing[0], truth[0]), (clusters[-1], truth[-1])):
        np.testing.assert_allclose(loaded.offset_models[c].means[0], mean, atol=0.01)

    # the transform samples boxes from the instance's atomic pose
    dpg = DeepProposalsGenerator(dpg_file=str(path), clip_to_image=False, seed=0)
    for idx, mean in ((0, truth[0]), (len(kpts) - 1, truth[-1])):
        n = 3000
        res = dpg.transform(dict(bbox=np.repeat(boxes[idx:idx + 1], n, 0),
                                 keypoints=np.repeat(kpts[idx:idx + 1], n, 0),
                                 keypoints_visible=np.ones((n, K))))
        wh = boxes[idx, 2:] - boxes[idx, :2]
        rel = (res['bbox'] - boxes[idx]) / np.concatenate([wh, wh])
        np.testing.assert_allclose(rel.mean(0), mean, atol=0.005)
        np.testing.assert_allclose(rel.std(0), 0.02, rtol=0.15)
    with pytest.raises(KeyError, match='keypoints'):
        dpg.transform(dict(bbox=boxes[:1]))


def test_small_clusters_fall_back_to_the_global_mixture():
    kpts, boxes, dets, _ = synthetic_dpg_data(12)
    vis = np.ones(kpts.shape[:2], bool)
    model = fit_dpg_model(kpts, vis, boxes, np.arange(len(kpts)),
                          normalized_box_offsets(boxes, dets), UPPER, LOWER,
                          num_atomic_poses=2, num_components=1, min_samples_per_component=20)
    assert model.offset_models[0] is model.offset_models[1]  # both < 20 samples


def fake_runner(epoch, dataset, persistent=True):
    loader = SimpleNamespace(dataset=dataset, persistent_workers=persistent, _iterator='it')
    return SimpleNamespace(epoch=epoch, train_dataloader=loader,
                           logger=SimpleNamespace(info=lambda msg: None))


def test_schedule_hook_enables_dpg_from_the_start_epoch():
    init_default_scope('mmpose')
    pipeline = Compose([dict(type='DeepProposalsGenerator', enabled=False),
                        dict(type='GetBBoxCenterScale', padding=1.2)])
    inner = SimpleNamespace(pipeline=pipeline)
    dataset = SimpleNamespace(dataset=inner, pipeline=None)  # a wrapped dataset
    dpg = pipeline.transforms[0]
    hook = HOOKS.build(dict(type='DPGScheduleHook', start_epoch=2))
    states = []
    for epoch in range(4):
        runner = fake_runner(epoch, dataset)
        hook.before_train_epoch(runner)
        states.append((dpg.enabled, runner.train_dataloader._iterator))
    assert [s[0] for s in states] == [False, False, True, True]
    # persistent workers are restarted exactly when the state changes
    assert [s[1] for s in states] == ['it', 'it', None, 'it']
    with pytest.raises(RuntimeError, match='DeepProposalsGenerator'):
        DPGScheduleHook(1).before_train_epoch(fake_runner(0, SimpleNamespace(pipeline=Compose(
            [dict(type='GetBBoxCenterScale')]))))


def test_fit_dpg_tool_on_the_shared_coco_sample_shared(shared_data_root, tmp_path):
    main = load_tool('tools/analysis/fit_dpg.py').main
    coco = shared_data_root / 'mmpose_samples' / 'coco'
    out = tmp_path / 'dpg.json'
    main([str(coco / 'test_coco.json'), '--detections', str(coco / 'test_coco_det_AP_H_56.json'),
          '--out', str(out), '--num-atomic-poses', '2', '--num-components', '1',
          '--min-samples-per-component', '3'])
    d = json.loads(out.read_text())
    assert len(d['atomic_poses']) == 2 and np.asarray(d['atomic_poses']).shape[1:] == (17, 2)
    assert sum(d['num_samples']) >= 8  # most annotated persons have a matching detection
    assert d['torso_upper'] == UPPER and d['torso_lower'] == LOWER  # from the joint names
    dpg = DeepProposalsGenerator(dpg_file=str(out), seed=0)
    ann = json.loads((coco / 'test_coco.json').read_text())['annotations'][0]
    k = np.asarray(ann['keypoints'], np.float64).reshape(1, -1, 3)
    x, y, w, h = ann['bbox']
    res = dpg.transform(dict(bbox=np.array([[x, y, x + w, y + h]]), keypoints=k[..., :2],
                             keypoints_visible=k[..., 2] > 0, img_shape=(480, 640)))
    assert res['bbox'].shape == (1, 4) and np.isfinite(res['bbox']).all()


class _BoxDataset(torch_data.Dataset):
    """Four constant boxes through a pipeline holding a (disabled) DPG."""

    def __init__(self):
        self.pipeline = Compose([dict(type='DeepProposalsGenerator', enabled=False, seed=None)])

    def __len__(self):
        return 4

    def __getitem__(self, i):
        out = self.pipeline(dict(bbox=np.array([[10.0, 10.0, 110.0, 210.0]]),
                                 img_shape=(400, 400)))
        return out['bbox'][0]


def test_schedule_hook_reaches_persistent_dataloader_workers():
    init_default_scope('mmpose')
    loader = torch_data.DataLoader(_BoxDataset(), batch_size=4, num_workers=1,
                                   persistent_workers=True)
    hook = DPGScheduleHook(start_epoch=1)
    runner = SimpleNamespace(epoch=0, train_dataloader=loader,
                             logger=SimpleNamespace(info=lambda msg: None))
    hook.before_train_epoch(runner)
    first = next(iter(loader))
    np.testing.assert_array_equal(first.numpy(), np.tile([10.0, 10.0, 110.0, 210.0], (4, 1)))
    runner.epoch = 1
    hook.before_train_epoch(runner)  # enables the DPG and restarts the worker
    second = next(iter(loader))
    assert not np.allclose(second.numpy(), first.numpy())  # the worker samples boxes now
