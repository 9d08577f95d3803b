"""Loading OpenMMLab checkpoints under ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles checkpoints with ``weights_only=True`` by default, which refuses every
global that is not allow-listed. mmengine's checkpoints hold, beside tensors, a ``meta`` dict
with numpy arrays and scalars (dataset metainfo, seeds) and the ``message_hub`` state with
mmengine ``HistoryBuffer`` objects. Rather than turning the check off, this module allow-lists
exactly those types, once, when ``plugins`` is imported.
"""
from typing import List

import numpy as np
import torch


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
    safe: List[object] = [np.ndarray, np.dtype, HistoryBuffer]
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
