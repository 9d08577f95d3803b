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
    if 'plugins' in sys.modules:
        return importlib.import_module(name)
    pkg = types.ModuleType('plugins')
    pkg.__path__ = [osp.join(ROOT, 'plugins')]
    sys.modules['plugins'] = pkg
    try:
        return importlib.import_module(name)
    finally:
        # the bare package must not outlive the import: a later ``import plugins`` in the same
        # process (a test, a notebook) then runs the real package and registers everything
        if sys.modules.get('plugins') is pkg:
            del sys.modules['plugins']
