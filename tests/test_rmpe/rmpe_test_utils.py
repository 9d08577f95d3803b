"""Tiny models and batches shared by the RMPE tests."""
import copy
from typing import List, Tuple

import numpy as np
import torch
from mmpose.codecs import MSRAHeatmap
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample
from mmengine.structures import InstanceData, PixelData

INPUT_SIZE = (32, 40)  # (W, H)
HEATMAP_SIZE = (8, 10)
NUM_KEYPOINTS = 17
CODEC = dict(type='MSRAHeatmap', input_size=INPUT_SIZE, heatmap_size=HEATMAP_SIZE, sigma=1)


def tiny_sppe_cfg(flip_test: bool = False) -> dict:
    """A small top-down heatmap estimator (ResNet stem + 1 stage, 1/4 resolution)."""
    return dict(
        type='TopdownPoseEstimator',
        backbone=dict(type='ResNet', depth=18, base_channels=8, num_stages=1, strides=(1, ),
                      dilations=(1, ), out_indices=(0, ), init_cfg=None),
        head=dict(type='HeatmapHead', in_channels=8, out_channels=NUM_KEYPOINTS,
                  deconv_out_channels=None, loss=dict(type='KeypointMSELoss',
                                                      use_target_weight=True),
                  decoder=CODEC),
        test_cfg=dict(flip_test=flip_test, flip_mode='heatmap', shift_heatmap=False))


def sstn_cfg(parallel: bool = True, flip_test: bool = False) -> dict:
    cfg = dict(
        type='SSTNPoseEstimator',
        sppe=tiny_sppe_cfg(flip_test),
        localization_net=dict(type='STNLocalizationNet', stage_channels=(4, 8),
                              hidden_channels=8, input_scale=1.0),
        data_preprocessor=dict(type='PoseDataPreprocessor'))
    if parallel:
        cfg['parallel_sppe'] = dict(loss_weight=0.5)
    return copy.deepcopy(cfg)


def coco_metainfo() -> dict:
    return parse_pose_metainfo(dict(from_file='configs/_base_/datasets/coco.py'))


def make_batch(batch_size: int, seed: int = 0) -> Tuple[torch.Tensor, List[PoseDataSample]]:
    """Random crops with random poses, their heatmap targets and box metadata."""
    rng = np.random.default_rng(seed)
    codec = MSRAHeatmap(input_size=INPUT_SIZE, heatmap_size=HEATMAP_SIZE, sigma=1)
    meta = coco_metainfo()
    inputs = torch.rand(batch_size, 3, INPUT_SIZE[1], INPUT_SIZE[0])
    samples = []
    for _ in range(batch_size):
        kpts = rng.uniform([4, 4], [INPUT_SIZE[0] - 5, INPUT_SIZE[1] - 5],
                           (1, NUM_KEYPOINTS, 2)).astype(np.float32)
        vis = (rng.uniform(size=(1, NUM_KEYPOINTS)) > 0.2).astype(np.float32)
        enc = codec.encode(kpts, vis)
        ds = PoseDataSample(metainfo=dict(
            input_size=INPUT_SIZE, input_center=np.array([INPUT_SIZE[0] / 2, INPUT_SIZE[1] / 2]),
            input_scale=np.array(INPUT_SIZE, np.float32), flip_indices=meta['flip_indices']))
        ds.gt_instances = InstanceData(
            bboxes=np.array([[0, 0, INPUT_SIZE[0], INPUT_SIZE[1]]], np.float32),
            bbox_scores=np.ones(1, np.float32),
            bbox_centers=np.array([[INPUT_SIZE[0] / 2, INPUT_SIZE[1] / 2]], np.float32),
            bbox_scales=np.array([INPUT_SIZE], np.float32),
            keypoints=kpts, transformed_keypoints=kpts, keypoints_visible=vis)
        ds.gt_instance_labels = InstanceData(
            keypoint_weights=torch.as_tensor(enc['keypoint_weights']))
        ds.gt_fields = PixelData(heatmaps=torch.as_tensor(enc['heatmaps']))
        samples.append(ds)
    return inputs, samples


def load_tool(relative_path: str):
    """Import a command-line tool of the repository (``tools/`` is not a package) by path."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
