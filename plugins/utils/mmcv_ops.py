"""Refuse a CUDA device when the installed mmcv has no CUDA ops, with the rebuild command.

``tools/install.sh`` builds mmcv from source. Built on a machine where torch sees no GPU (or
without a matching ``nvcc``), mmcv's compiled ops are CPU-only: everything imports, and a model
put on ``cuda:0`` fails later, deep inside mmdet's NMS / RoIAlign, with an error that does not
say why. :func:`check_mmcv_ops_for_device` turns that into one message at build time.
"""
import os
from typing import Optional, Union

#: set to ``1`` to run on CUDA with CPU-only mmcv ops anyway (models without mmcv ops work)
ALLOW_ENV = 'POSETRACK_ALLOW_CPU_MMCV'


class MMCVOpsError(RuntimeError):
    """A CUDA device was asked for and mmcv's compiled ops are CPU-only."""


def mmcv_cuda_version() -> Optional[str]:
    """The CUDA version mmcv's ops were compiled with, ``None`` for CPU-only ops.

    Raises:
        MMCVOpsError: when mmcv has no compiled ops at all (``mmcv.ops`` does not import).
    """
    try:
        from mmcv.ops import get_compiling_cuda_version
    except ImportError as e:  # mmcv-lite, or a broken build
        raise MMCVOpsError(f'mmcv has no compiled ops ({e}); reinstall with `make install`') from e
    version = str(get_compiling_cuda_version())
    return None if version in ('', 'not available') else version


def _is_cuda(device: Union[str, 'object', None]) -> bool:
    if device is None:
        return False
    return str(device).split(':')[0].strip().lower() == 'cuda'


def rebuild_message(device: str, where: str = '') -> str:
    """The one message telling how to get mmcv's CUDA ops."""
    import torch
    cuda = torch.version.cuda or 'the CUDA version of your torch build'
    at = f'{where}: ' if where else ''
    return (
        f'{at}device {device!r} needs mmcv built with CUDA ops, but the installed mmcv was '
        f'compiled without them (mmcv.ops.get_compiling_cuda_version() = "not available"), so '
        f'mmdet\'s NMS / RoIAlign and mmcv\'s kernels would fail on the GPU. Rebuild on this '
        f'GPU machine with an nvcc of CUDA {cuda} on PATH (or CUDA_HOME set): '
        f'`rm -f .venv/.posetrack-install-stamp && make install` (tools/install.sh builds the '
        f'CUDA ops by itself when torch sees a GPU and nvcc matches; FORCE_CUDA=1 forces it), '
        f'or run on device "cpu". Set {ALLOW_ENV}=1 to go on anyway.')


def check_mmcv_ops_for_device(device: Union[str, 'object', None], where: str = '') -> None:
    """Stop before building anything on a CUDA device when mmcv's ops are CPU-only.

    Args:
        device: Target device (``'cuda'``, ``'cuda:0'``, a ``torch.device``, ``'cpu'``,
            ``None`` = CPU).
        where: Who asks (config or tool name), put at the start of the message.

    Raises:
        MMCVOpsError: ``device`` is CUDA, mmcv's ops were compiled without CUDA and
            ``POSETRACK_ALLOW_CPU_MMCV`` is not ``1``; the message says how to rebuild.
    """
    if not _is_cuda(device) or os.environ.get(ALLOW_ENV) == '1':
        return
    if mmcv_cuda_version() is None:
        raise MMCVOpsError(rebuild_message(str(device), where))


def default_train_device() -> str:
    """The device mmengine's runner trains on: ``'cuda'`` when torch sees a GPU."""
    import torch
    return 'cuda' if torch.cuda.is_available() else 'cpu'
