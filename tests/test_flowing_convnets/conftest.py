"""Fixtures of the Flowing ConvNets tests."""
from pathlib import Path

import pytest
from flowing_tiny_video import write_tiny_video


@pytest.fixture(scope='session')
def tiny_video_root(tmp_path_factory) -> Path:
    """A 5-frame PoseTrack-layout video panning by ``PAN`` per frame, 2 persons per frame."""
    return write_tiny_video(tmp_path_factory.mktemp('tiny_video'))
