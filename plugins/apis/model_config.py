"""Resolving the model configs named by a pipeline config."""
import os.path as osp
from typing import Union

from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_model_config(config: Union[str, Config, dict]) -> Config:
    """A model :class:`Config` from a ``Config``, a dict, a file or ``'mmdet::...'``.

    Args:
        config: a ``Config`` or dict (used as is), a path (relative to the current folder or,
            failing that, to the repository root), or an OpenMMLab package config such as
            ``'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'`` or
            ``'mmpose::body_2d_keypoint/topdown_heatmap/posetrack18/td-hm_hrnet-w32_8xb64-20e_posetrack18-256x192.py'``.

    Returns:
        The config.

    Raises:
        FileNotFoundError: naming the path when no such config exists.
    """
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return Config(config)
    path = str(config)
    if '::' in path:
        from mmengine.hub import get_config
        return get_config(path)
    for candidate in (path, osp.join(REPO_ROOT, path)):
        if osp.isfile(candidate):
            return Config.fromfile(candidate)
    raise FileNotFoundError(f'model config not found: {path} (looked in the current folder '
                            f'and in {REPO_ROOT})')
