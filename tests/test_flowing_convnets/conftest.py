"""Fixtures of the Flowing ConvNets tests."""
from pathlib import Path

import pytest
from flowing_tiny_video import write_tiny_video


@pytest.fixture(scope='session')
def tiny_video_root(tmp_path_factory) -> Path:
    """A 5-frame PoseTrack-layout video panning by ``PAN`` per frame, 2 persons per frame."""
    return write_tiny_video(tmp_path_factory.mktemp('tiny_video'))


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Run these tiny models on one thread: on a busy shared CPU, idle OpenMP threads spinning
    for work cost more than they save (restored after each test)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
