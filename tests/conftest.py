"""Shared pytest fixtures."""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get('POSETRACK_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))


@pytest.fixture(scope='session')
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def shared_data_root() -> Path:
    """``../shared/data`` (real dataset samples). Tests using it have ``shared`` in their name."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f'shared data folder not found: {SHARED_DATA} (set POSETRACK_SHARED_DATA)')
    return SHARED_DATA


def _without_default_scope():
    from mmengine.registry import DefaultScope
    saved = DefaultScope._instance_dict
    DefaultScope._instance_dict = type(saved)()
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(autouse=True, scope='module')
def _no_default_scope_in_module():
    """Module-scoped fixtures also start without a default scope (see below)."""
    yield from _without_default_scope()


@pytest.fixture(autouse=True)
def _no_default_scope():
    """Start every test with no mmengine default scope, as in a fresh process.

    ``init_default_scope`` / ``mmdet.apis.init_detector`` set a process-wide scope; a test (or a
    module-scoped fixture) that builds an mmdet model would otherwise change how the next test's
    registries resolve names. Library code pins its own scope where it calls mmdet/mmpose.
    """
    yield from _without_default_scope()
