"""A checkpoint URL without network: one clear error naming the URL and the local-file way out."""
import urllib.error

import pytest
import torch
from mmengine.runner import checkpoint as mm_checkpoint

import plugins  # noqa: F401  (installs the loader)
from plugins.utils.checkpoint import CheckpointDownloadError

URL = 'https://download.openmmlab.com/mmpose/v1/some_model_20230101.pth'


@pytest.fixture
def no_network(monkeypatch):
    def refuse(url, *args, **kwargs):
        raise urllib.error.URLError('[Errno -3] Temporary failure in name resolution')

    monkeypatch.setattr(mm_checkpoint, 'load_url', refuse)


def test_url_checkpoint_without_network_names_url_and_local_file(no_network):
    model = torch.nn.Linear(2, 2)
    with pytest.raises(CheckpointDownloadError) as info:
        mm_checkpoint.load_checkpoint(model, URL, map_location='cpu')
    msg = str(info.value)
    assert URL in msg
    assert 'some_model_20230101.pth' in msg and 'local file' in msg
    assert 'name resolution' in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__  # one message


def test_model_init_cfg_with_url_fails_the_same_way(no_network):
    """A config naming the URL (``init_cfg=dict(type='Pretrained', checkpoint=URL)``)."""
    from mmengine.model import BaseModule

    class Net(BaseModule):
        def __init__(self):
            super().__init__(init_cfg=dict(type='Pretrained', checkpoint=URL))
            self.fc = torch.nn.Linear(2, 2)

    with pytest.raises(CheckpointDownloadError, match='some_model_20230101.pth'):
        Net().init_weights()


def test_other_errors_are_not_rewritten(monkeypatch):
    def broken(url, *args, **kwargs):
        raise KeyError('state_dict')

    monkeypatch.setattr(mm_checkpoint, 'load_url', broken)
    with pytest.raises(KeyError):
        mm_checkpoint.CheckpointLoader.load_checkpoint(URL)
