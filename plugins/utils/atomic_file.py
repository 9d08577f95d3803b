"""Write a file so that readers (and a crash) only ever see the old or the new content."""
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Union


def _default_mode() -> int:
    """``0o666`` minus the process umask: the permissions ``open()`` would give a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_open(path: Union[str, Path], mode: str = 'w') -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success it is renamed over ``path``.

    Args:
        path: The destination (its folder is created).
        mode: ``'w'`` (text) or ``'wb'`` (binary).

    Yields:
        The open temporary file. On an exception it is deleted and ``path`` is untouched.
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f'atomic_open: mode must be "w" or "wb", got {mode!r}')
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        os.chmod(tmp, _default_mode())  # mkstemp makes 0600 files
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
