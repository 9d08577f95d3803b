"""posetrack-plugins: OpenMMLab components for multi-person pose estimation and tracking.

``import plugins`` (or ``custom_imports = dict(imports=['plugins'])`` in a config) imports every
module of the package, which registers all components into the mmpose/mmdet registries and into
the project's own registries (:mod:`plugins.registry`). It also teaches ``torch.load`` the few
types that OpenMMLab checkpoints carry (:mod:`plugins.utils.checkpoint`).
"""
import importlib
import pkgutil

__version__ = '0.1.0'

from .utils.checkpoint import register_checkpoint_safe_globals  # noqa: E402

register_checkpoint_safe_globals()


def _import_all_modules() -> None:
    """Import every submodule once so that each ``@register_module`` runs.

    Import errors are not swallowed: a broken component must fail loudly at ``import plugins``.
    """
    for info in sorted(pkgutil.walk_packages(__path__, prefix=__name__ + '.'),
                       key=lambda m: m.name):
        importlib.import_module(info.name)


_import_all_modules()
