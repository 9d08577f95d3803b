"""The project's synthetic configs on a tiny video: data pipeline -> loss -> predict."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmpose.registry import DATASETS, MODELS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'projects' / 'flowing_convnets' / 'configs'
CONFIGS = ['coordnet_res18-half_synthetic-128x96.py', 'heatmapnet_res18-half_synthetic-128x96.py',
           'flowing-convnet_res18-half_synthetic-128x96.py',
           'flowing-convnet-sf_res18-half_synthetic-128x96.py', 'hourglass2_synthetic-128x96.py',
           'grmi-heatmap-offset_res18-half_synthetic-128x96.py']


def _batch(cfg, root, split_loader, indices):
    dataset = dict(cfg[split_loader].dataset)
    dataset.update(data_root=str(root), ann_file='annotations/val.json')
    if 'video_ann_dir' in dataset:
        dataset['video_ann_dir'] = 'annotations/val'
    dataset = DATASETS.build(dataset)
    return pseudo_collate([dataset[i] for i in indices])


@pytest.mark.parametrize('name', CONFIGS)
def test_config_trains_and_predicts_on_a_tiny_video(name, tiny_video_root):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    is_flowing = cfg.model.type == 'FlowingConvNet'

    batch = _batch(cfg, tiny_video_root, 'train_dataloader', [3, 4])
    if is_flowing:
        assert batch['inputs'][0].shape == (3, 3, 128, 96)
        assert batch['data_samples'][0].metainfo['flows'].shape == (2, 2, 32, 24)
    data = model.data_preprocessor(batch, True)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for _ in range(2):
        loss_dict = model(**data, mode='loss')
        loss = sum(v for k, v in loss_dict.items() if k.startswith('loss'))
        assert torch.isfinite(loss)
        optim.zero_grad()
        loss.backward()
        if is_flowing:  # trained end to end: the pooling weights get gradients
            assert model.fusion.pool.weight.grad.abs().sum() > 0
        optim.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]

    model.eval()
    model.test_cfg['flip_test'] = is_flowing  # exercise the flowing flip test path
    batch = _batch(cfg, tiny_video_root, 'val_dataloader', [5])
    with torch.no_grad():
        preds = model(**model.data_preprocessor(batch, False), mode='predict')
    for sample in preds:
        kpts = sample.pred_instances.keypoints
        assert kpts.shape == (1, 17, 2) and np.isfinite(kpts).all()
        x1, y1, x2, y2 = sample.gt_instances.bboxes[0]
        # decoded in image pixels, inside the (padded) crop around the person
        pad = 0.5 * max(x2 - x1, y2 - y1)
        assert (kpts[..., 0] > x1 - pad).all() and (kpts[..., 0] < x2 + pad).all()
        assert (kpts[..., 1] > y1 - pad).all() and (kpts[..., 1] < y2 + pad).all()


def test_flowing_config_runs_online_flow_without_data_flows():
    """``mode='tensor'`` without data samples (tests/test_configs, deployment) computes the flow
    with OpenCV from the input crops."""
    cfg = Config.fromfile(str(CONFIG_DIR / CONFIGS[2]))
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        # a small clip (1, T, 3, 64, 64): the crops, no data samples
        out = model(torch.rand(1, cfg.num_frames, 3, 64, 64) * 2 - 1, None, mode='tensor')
    assert out.shape == (1, 17, 16, 16) and torch.isfinite(out).all()
