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



def build_in_own_registry(cfg, registry: Registry, default_args=None):
    """Build ``cfg`` from ``registry`` itself, whatever the current ``default_scope`` is.

    mmengine's default build function switches to the registry of the current default scope
    (``mmpose`` or ``mmdet`` in our configs), which holds no trackers / pose NMS / recovery /
    pipelines. This one looks the type up in ``registry`` (and its parents) and leaves the
    default scope alone, so the mmpose/mmdet models that these components build inside resolve
    as usual.

    Args:
        cfg: dict with ``type`` (a registered name or a class) and the constructor arguments.
        registry: the registry to build from.
        default_args: arguments used where ``cfg`` does not set them.

    Returns:
        The built object.

    Raises:
        KeyError: naming the type and the registry when the type is not registered.
    """
    if not isinstance(cfg, dict):
        raise TypeError(f'{registry.name} config must be a dict, got {type(cfg).__name__}')
    if 'type' not in cfg and not (default_args and 'type' in default_args):
        raise KeyError(f'{registry.name} config needs a "type": {cfg}')
    args = dict(default_args or {})
    args.update(cfg)
    args.pop('_scope_', None)
    obj_type = args.pop('type')
    if isinstance(obj_type, str):
        cls = registry.get(obj_type)
        if cls is None:
            raise KeyError(f'{obj_type} is not in the {registry.scope}::{registry.name} '
                           f'registry. Registered: {sorted(registry.module_dict)}')
    else:
        cls = obj_type
    try:
        return cls(**args)
    except TypeError as err:
        raise TypeError(f'{getattr(cls, "__name__", cls)} (from the {registry.scope}::'
                        f'{registry.name} registry): {err}') from err


#: Online multi-person trackers: ``tracker.update(frame, instances) -> instances with track_ids``.
TRACKERS = Registry('tracker', parent=MMENGINE_TASK_UTILS, scope='plugins',
                    locations=['plugins.tracking'],
                    build_func=build_in_own_registry)
#: Pose non-maximum suppression: ``nms(instances) -> instances`` (kept and merged poses).
POSE_NMS = Registry('pose nms', parent=MMENGINE_FUNCTIONS, scope='plugins',
                    locations=['plugins.post_processing'],
                    build_func=build_in_own_registry)
#: Recovery of poses missed by the detector (e.g. by keypoint correspondences).
POSE_RECOVERY = Registry('pose recovery', parent=MMENGINE_MODELS, scope='plugins',
                         locations=['plugins.tracking'],
                         build_func=build_in_own_registry)
#: Video pipelines wiring detector -> pose estimator -> NMS -> recovery -> tracker.
PIPELINES = Registry('pipeline', parent=MMENGINE_INFERENCERS, scope='plugins',
                     locations=['plugins.apis'],
                     build_func=build_in_own_registry)

__all__ = [
    'MODELS', 'KEYPOINT_CODECS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'TRACKERS',
    'POSE_NMS', 'POSE_RECOVERY', 'PIPELINES'
]
