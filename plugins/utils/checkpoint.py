"""Loading OpenMMLab checkpoints under ``torch.load(weights_only=True)``.

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
    """Allow-list :func:`checkpoint_safe_globals` for ``torch.load(weights_only=True)``."""
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
