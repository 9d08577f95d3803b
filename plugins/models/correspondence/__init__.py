"""models correspondence components (modules are imported and registered by `import plugins`).

The inference entry points for trackers and recovery: :func:`propagate_keypoints` and
:func:`frame_features` (see :mod:`.propagation`).
"""
from .propagation import FrameFeatures, Propagation, frame_features, propagate_keypoints  # noqa: F401

__all__ = ['FrameFeatures', 'Propagation', 'frame_features', 'propagate_keypoints']
