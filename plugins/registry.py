"""Registries of posetrack-plugins: the OpenMMLab stack's own.

Components that belong to an OpenMMLab concept are registered into that library's registry
(mmpose ``MODELS``/``KEYPOINT_CODECS``/``DATASETS``/``TRANSFORMS``/``METRICS``/``HOOKS``), so they
can be used from any mmpose/mmdet config with ``default_scope`` unchanged.

The video-tracking stages that OpenMMLab keeps as *task utilities* (mmdet keeps its motion
models, AFLink and interpolation in ``TASK_UTILS``) are registered in mmengine's root
``TASK_UTILS``: trackers, pose NMS, proposal sources (recovery of missed poses, updated
regions), per-video post-processors, the model stages (person detector, pose estimator) and the
tracking pipeline itself. mmengine's root is the parent of mmpose's and mmdet's ``TASK_UTILS``,
so ``mmpose.registry.TASK_UTILS.build(dict(type='OKSTracker'))`` and the mmdet one both find
them under any ``default_scope`` (``None``, ``'mmpose'``, ``'mmdet'``): no scope needs to be
forced and no registry of our own exists.

The names below are aliases of that one registry, kept so that
``from plugins.registry import TRACKERS; @TRACKERS.register_module()`` reads as what it
registers. ``PIPELINES`` is a deprecated alias (OpenMMLab uses that word for data transforms):
use ``TRACKING_PIPELINES``.
"""
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmpose.registry import DATASETS, HOOKS, KEYPOINT_CODECS, METRICS, MODELS, TRANSFORMS

#: the stack's task-utility registry (mmengine's root; parent of mmpose's / mmdet's)
TASK_UTILS = MMENGINE_TASK_UTILS
#: online multi-person trackers: ``tracker.update(frame, instances) -> instances + track_ids``
TRACKERS = TASK_UTILS
#: pose non-maximum suppression: ``nms(instances) -> instances``
POSE_NMS = TASK_UTILS
#: proposal sources (boxes for the pose stage besides the detector's; see
#: :class:`plugins.apis.proposal_source.BaseProposalSource`)
PROPOSAL_SOURCES = TASK_UTILS
#: recovery of missed poses (a proposal source; old ``recover(...)`` components still work)
POSE_RECOVERY = TASK_UTILS
#: per-video post-processors: ``observe(index, tracked)`` per frame, ``finalize(edits)``
POST_PROCESSORS = TASK_UTILS
#: model stages of the pipeline (person detector, pose estimator)
POSE_STAGES = TASK_UTILS
#: video pipelines (``PoseTrackingPipeline``)
TRACKING_PIPELINES = TASK_UTILS
#: deprecated alias of :data:`TRACKING_PIPELINES`
PIPELINES = TASK_UTILS

__all__ = [
    'MODELS', 'KEYPOINT_CODECS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'TASK_UTILS',
    'TRACKERS', 'POSE_NMS', 'PROPOSAL_SOURCES', 'POSE_RECOVERY', 'POST_PROCESSORS',
    'POSE_STAGES', 'TRACKING_PIPELINES', 'PIPELINES'
]
