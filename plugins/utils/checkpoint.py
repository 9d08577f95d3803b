"""Loading OpenMMLab checkpoints under ``torch.load(weights_only=True)``, and offline use.

Offline: a checkpoint given as an ``http(s)://`` URL on a machine without network access fails
with one :class:`CheckpointDownloadError` that names the URL and how to pass a local file
(instead of urllib's ``URLError`` traceback); :func:`register_offline_url_loader` installs it
for mmengine's ``CheckpointLoader`` when ``plugins`` is imported.

torch >= 2.6 unpickles checkpoints with ``weights_only=True`` by default, which refuses every
global that is not allow-listed. mmengine's checkpoints hold, beside tensors, a ``meta`` dict
with numpy arrays and scalars (dataset metainfo, seeds) and the ``message_hub`` state with
mmengine ``HistoryBuffer`` objects. Rather than turning the check off, this module allow-lists
exactly those types, once, when ``plugins`` is imported.

One case needs care: a ``HistoryBuffer`` pickles its statistics methods (``HistoryBuffer.min``
...), which pickle protocol 2 (``torch.save``'s default) writes as ``getattr(HistoryBuffer,
'min')``. Allow-listing the builtin ``getattr`` would let a checkpoint read any attribute of any
allowed object, so the name ``builtins.getattr`` is instead bound to
:func:`history_buffer_method`, which resolves only methods of ``HistoryBuffer``.
"""
import os.path as osp
from typing import List

import numpy as np
import torch


def history_buffer_method(owner: type, name: str):
    """The restricted stand-in for ``getattr`` while unpickling a checkpoint.

    Args:
        owner: must be mmengine's ``HistoryBuffer`` class.
        name: the name of one of its methods (a registered statistics method).

    Returns:
        The method.

    Raises:
        pickle.UnpicklingError: for any other object or attribute.
    """
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    if owner is HistoryBuffer and isinstance(name, str) and not name.startswith('__'):
        attr = HistoryBuffer.__dict__.get(name)
        if callable(attr) or name in HistoryBuffer._statistics_methods:
            return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({owner!r}, {name!r}); only methods of mmengine\'s '
        'HistoryBuffer are allowed')


def checkpoint_safe_globals() -> List[object]:
    """The non-tensor types found in checkpoints written by mmengine's ``CheckpointHook``.

    Returns:
        Objects (or ``(object, qualified_name)`` pairs for numpy's aliased module paths) for
        :func:`torch.serialization.add_safe_globals`.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    # numpy 2 moved ``numpy.core`` to ``numpy._core``; pickles written by numpy 1 name the old
    # module path, those written by numpy 2 the new one: allow both spellings.
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    safe: List[object] = [np.ndarray, np.dtype, HistoryBuffer,
                          (history_buffer_method, 'builtins.getattr')]
    for name in ('_reconstruct', 'scalar'):
        fn = getattr(multiarray, name)
        safe.append(fn)
        safe.append((fn, f'numpy.core.multiarray.{name}'))
        safe.append((fn, f'numpy._core.multiarray.{name}'))
    # dtype classes (numpy >= 1.25 pickles dtypes through them)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe.extend(getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType'))
    return safe


def register_checkpoint_safe_globals() -> None:
    """Allow-list :func:`checkpoint_safe_globals` for ``torch.load(weights_only=True)``, and
    install the offline-friendly URL loader (:func:`register_offline_url_loader`)."""
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    register_offline_url_loader()


class CheckpointDownloadError(RuntimeError):
    """A checkpoint URL could not be downloaded (message names the URL and the way out)."""


def offline_message(url: str, reason: object) -> str:
    """The one-line explanation for a checkpoint URL that cannot be downloaded."""
    name = url.split('?')[0].rstrip('/').split('/')[-1] or 'checkpoint.pth'
    try:
        hub = osp.join(torch.hub.get_dir(), 'checkpoints')
    except Exception:  # pragma: no cover - torch always has a hub dir
        hub = '$TORCH_HOME/hub/checkpoints'
    return (f'cannot download the checkpoint {url} ({reason}); this machine has no network '
            f'access (or the URL is wrong). Download {name} on a machine with network access '
            f'and pass the local file instead: set the config\'s checkpoint to the path (e.g. '
            f'--cfg-options <...>.checkpoint=/path/to/{name}, or the tool\'s checkpoint '
            f'argument), or copy it to {osp.join(hub, name)}, where torch finds it without '
            'downloading')


_ORIGINAL_HTTP_LOADER = None


def _load_from_http_or_explain(filename: str, *args, **kwargs):
    """mmengine's ``http(s)://`` checkpoint loader; network errors become one
    :class:`CheckpointDownloadError` naming the URL."""
    import http.client
    import socket
    import urllib.error
    try:
        return _ORIGINAL_HTTP_LOADER(filename, *args, **kwargs)
    except (urllib.error.URLError, socket.timeout, ConnectionError,
            http.client.HTTPException) as e:
        reason = getattr(e, 'reason', None) or e
        raise CheckpointDownloadError(offline_message(filename, reason)) from None


def register_offline_url_loader() -> None:
    """Replace mmengine's ``http://`` / ``https://`` checkpoint loader by
    :func:`_load_from_http_or_explain` (idempotent)."""
    global _ORIGINAL_HTTP_LOADER
    from mmengine.runner import checkpoint as mm_checkpoint
    if _ORIGINAL_HTTP_LOADER is None:
        _ORIGINAL_HTTP_LOADER = mm_checkpoint.load_from_http
    mm_checkpoint.CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=_load_from_http_or_explain, force=True)
