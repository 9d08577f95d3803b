"""`import plugins` registers into the OpenMMLab registries (the tracking stages into the
stack's TASK_UTILS root, visible from mmpose's and mmdet's)."""
import subprocess
import sys

import pytest
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS

import plugins  # noqa: F401
from plugins.registry import (PIPELINES, POSE_NMS, POSE_RECOVERY, POST_PROCESSORS,
                              PROPOSAL_SOURCES, TRACKERS, TRACKING_PIPELINES)
from plugins.tracking.base_tracker import BaseTracker


def test_import_plugins_emits_no_warning_from_our_code(repo_root):
    proc = subprocess.run(
        [sys.executable, '-W', 'always', '-c', 'import plugins'],
        cwd=repo_root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    ours = [line for line in proc.stderr.splitlines()
            if 'plugins/' in line and 'site-packages' not in line]
    assert not ours, '\n'.join(ours)


@pytest.mark.parametrize('registry', [TRACKERS, POSE_NMS, POSE_RECOVERY, PIPELINES,
                                      POST_PROCESSORS, PROPOSAL_SOURCES, TRACKING_PIPELINES])
def test_registries_are_the_stacks_task_utils(registry):
    from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
    from mmpose.registry import TASK_UTILS as MMPOSE_TASK_UTILS
    assert registry is MMENGINE_TASK_UTILS and registry.scope == 'mmengine'
    # the root of mmpose's and mmdet's task utilities: both find our stages
    assert MMPOSE_TASK_UTILS.parent is registry and MMDET_TASK_UTILS.parent is registry
    assert MMPOSE_TASK_UTILS.get('OKSTracker') is MMDET_TASK_UTILS.get('OKSTracker') is not None


def test_unregistered_type_names_type_and_registry():
    with pytest.raises(KeyError) as err:
        TRACKERS.build(dict(type='NoSuchTracker'))
    msg = str(err.value)
    assert 'NoSuchTracker' in msg and TRACKERS.name in msg


def test_unregistered_model_type_in_mmpose_registry():
    from mmpose.registry import MODELS
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='NotARealBackbone42'))
    assert 'NotARealBackbone42' in str(err.value) and 'model' in str(err.value)


def test_registry_builds_a_registered_tracker_subclass():
    @TRACKERS.register_module(force=True)
    class _ConstantTracker(BaseTracker):
        def similarity(self, tracks, instances, frame):
            import numpy as np
            return np.ones((len(tracks), len(instances)))

    tracker = TRACKERS.build(dict(type='_ConstantTracker', match_threshold=0.5))
    assert isinstance(tracker, _ConstantTracker) and tracker.match_threshold == 0.5
    TRACKERS._module_dict.pop('_ConstantTracker')


def test_config_inherits_mmpose_and_mmdet_bases(tmp_path):
    from mmengine.config import Config
    cfg_file = tmp_path / 'child.py'
    cfg_file.write_text(
        "_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/"
        "td-hm_res50_8xb64-210e_coco-256x192.py']\n"
        "model = dict(backbone=dict(depth=18), head=dict(in_channels=512))\n")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model.backbone.depth == 18 and cfg.model.head.type == 'HeatmapHead'
    assert cfg.model.head.in_channels == 512 and cfg.model.head.out_channels == 17
    det_file = tmp_path / 'det.py'
    det_file.write_text(
        "_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']\n"
        "model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))\n")
    det = Config.fromfile(str(det_file))
    assert det.model.type == 'FasterRCNN' and det.model.roi_head.bbox_head.num_classes == 1
    assert det.model.backbone.depth == 50


@pytest.mark.parametrize('scope', ['mmpose', 'mmdet'])
def test_own_registries_build_under_any_default_scope(scope):
    """Configs run with default_scope mmpose/mmdet; trackers must still be found."""
    from mmengine.registry import DefaultScope

    @TRACKERS.register_module(force=True)
    class _ScopedTracker(BaseTracker):
        def __init__(self, model=None, **kwargs):
            super().__init__(**kwargs)
            if model is not None:  # nested builds still resolve in the caller's scope
                from mmpose.registry import MODELS
                self.model = MODELS.build(model)

        def similarity(self, tracks, instances, frame):
            import numpy as np
            return np.zeros((len(tracks), len(instances)))

    try:
        with DefaultScope.overwrite_default_scope(scope):
            tracker = TRACKERS.build(dict(type='_ScopedTracker', model=dict(
                type='ResNet', depth=18, num_stages=1, strides=(1, ), dilations=(1, ),
                out_indices=(0, ))))
            assert type(tracker).__name__ == '_ScopedTracker'
            assert DefaultScope.get_current_instance().scope_name == scope
    finally:
        TRACKERS._module_dict.pop('_ScopedTracker')
