"""Import ``plugins`` submodules without running ``plugins/__init__.py`` (fast tool start-up).

``import plugins`` imports every module of the project (torch, mmpose, mmdet: many seconds on a
busy machine) so that all components are registered. The data tools need none of that (numpy,
OpenCV, scipy, mmengine's Config only), so they bind a bare ``plugins`` package to the source
folder for their own process. Nothing imported this way may rely on the registries.
"""
import importlib
import os.path as osp
import sys
import types

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def import_without_registration(name: str) -> types.ModuleType:
    """Import the ``plugins`` submodule ``name`` (the full package if it is already loaded)."""
    if 'plugins' not in sys.modules:
        pkg = types.ModuleType('plugins')
        pkg.__path__ = [osp.join(ROOT, 'plugins')]
        sys.modules['plugins'] = pkg
    return importlib.import_module(name)
