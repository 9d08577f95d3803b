"""On-disk cache of SVS fits, safe under several data-loader workers.

Each fit is one ``.npz`` file named by a content key (a hash of the canonical annotation and
of every fitting parameter). Files are written to a temporary file in the same folder and moved
into place with :func:`os.replace`, which is atomic on POSIX and Windows: a reader sees either
no file or a complete one, and two workers writing the same key race harmlessly (the content is
identical). Unreadable files (e.g. truncated by a full disk) count as misses and are rewritten.
"""
import os
import zipfile
from pathlib import Path
from typing import Optional, Union

import numpy as np

from plugins.utils.atomic_file import atomic_open
from .svs_fitting import SVSFit

_FIELDS = ('support_vectors', 'dual_coefs', 'channel_index', 'intercepts', 'valid')


class SVSFitCache:
    """Directory of SVS fits keyed by hex strings.

    Args:
        root: cache folder (created on first write).

    Attributes:
        hits, misses: lookups answered from disk / not found (per process).
    """

    def __init__(self, root: Union[str, os.PathLike]) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    def path(self, key: str) -> Path:
        """File of ``key`` (two-level fan-out keeps folders small)."""
        return self.root / key[:2] / f'{key}.npz'

    def get(self, key: str) -> Optional[SVSFit]:
        """The cached fit of ``key``, or None (missing or unreadable file)."""
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                fit = SVSFit(**{k: data[k] for k in _FIELDS}, gamma=float(data['gamma']))
        except (FileNotFoundError, zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError):
            self.misses += 1
            return None
        self.hits += 1
        return fit

    def put(self, key: str, fit: SVSFit) -> None:
        """Store ``fit`` under ``key`` atomically (temporary file + ``os.replace``)."""
        with atomic_open(self.path(key), 'wb') as f:
            np.savez(f, **{k: getattr(fit, k) for k in _FIELDS}, gamma=np.float64(fit.gamma))
