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
