"""Registries of posetrack-plugins.

Components that belong to an OpenMMLab concept are registered into that library's registry
(mmpose ``MODELS``/``KEYPOINT_CODECS``/``DATASETS``/``TRANSFORMS``/``METRICS``/``HOOKS``, mmdet
``MODELS``), so they can be used from any mmpose/mmdet config with ``default_scope`` unchanged.
The stages that OpenMMLab has no registry for (trackers, pose NMS, recovery of missed poses,
video pipelines) get registries of their own here, created as children of mmengine's roots with
the scope ``plugins``, so ``default_scope`` and ``custom_imports`` behave as for any
OpenMMLab project. mmengine allows one child per scope under each root, so each of our registries
hangs under a different root: trackers under ``TASK_UTILS``, pose NMS under ``FUNCTIONS``, pose
recovery (which wraps a network) under ``MODELS`` and pipelines under ``INFERENCERS``.
"""
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import Registry
from mmpose.registry import DATASETS, HOOKS, KEYPOINT_CODECS, METRICS, MODELS, TRANSFORMS

#: Online multi-person trackers: ``tracker.update(frame, instances) -> instances with track_ids``.
TRACKERS = Registry('tracker', parent=MMENGINE_TASK_UTILS, scope='plugins',
                    locations=['plugins.tracking'])
#: Pose non-maximum suppression: ``nms(instances) -> instances`` (kept and merged poses).
POSE_NMS = Registry('pose nms', parent=MMENGINE_FUNCTIONS, scope='plugins',
                    locations=['plugins.post_processing'])
#: Recovery of poses missed by the detector (e.g. by keypoint correspondences).
POSE_RECOVERY = Registry('pose recovery', parent=MMENGINE_MODELS, scope='plugins',
                         locations=['plugins.tracking'])
#: Video pipelines wiring detector -> pose estimator -> NMS -> recovery -> tracker.
PIPELINES = Registry('pipeline', parent=MMENGINE_INFERENCERS, scope='plugins',
                     locations=['plugins.apis'])

__all__ = [
    'MODELS', 'KEYPOINT_CODECS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'TRACKERS',
    'POSE_NMS', 'POSE_RECOVERY', 'PIPELINES'
]
