"""OpenMMLab checkpoints load under torch.load(weights_only=True) without disabling the check."""
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import save_checkpoint

import plugins  # noqa: F401  (registers the safe globals)


def _mmengine_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint_loading')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 1e-3)
    return dict(
        meta=dict(
            epoch=2, iter=10, seed=np.int64(7),
            dataset_meta=dict(sigmas=np.array([0.026, 0.025], np.float32),
                              flip_indices=[1, 0], keypoint_colors=np.zeros((2, 3), np.uint8)),
            time=np.float64(1.5)),
        state_dict=OrderedDict(weight=torch.ones(2, 2)),
        message_hub=hub.state_dict())


def test_checkpoint_with_numpy_meta_and_history_buffers_loads(tmp_path):
    path = tmp_path / 'ckpt.pth'
    save_checkpoint(_mmengine_like_checkpoint(), str(path))
    loaded = torch.load(path, map_location='cpu')  # torch's default: weights_only=True
    assert torch.equal(loaded['state_dict']['weight'], torch.ones(2, 2))
    np.testing.assert_array_equal(loaded['meta']['dataset_meta']['sigmas'],
                                  np.array([0.026, 0.025], np.float32))
    assert loaded['meta']['seed'] == 7
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'], HistoryBuffer)


class _NotAllowed:
    pass


def test_weights_only_check_is_still_on(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _NotAllowed()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location='cpu')


def test_getattr_in_a_checkpoint_is_restricted_to_history_buffer_methods(tmp_path):
    import builtins

    class _Evil:
        def __reduce__(self):
            return (builtins.getattr, (np.ndarray, 'tofile'))

    path = tmp_path / 'getattr.pth'
    torch.save({'x': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location='cpu')
