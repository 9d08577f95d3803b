"""Bounded background threads for the video loop: read ahead, and write behind.

Two small helpers let frame decoding, rendering and writing overlap with model work without
unbounded memory:

- :class:`Prefetcher` (or :func:`prefetch`) iterates any iterable (e.g. a frame reader) in a
  background thread and hands its items over, **in order**, through a queue of at most
  ``depth`` items: while the models run on frame ``t`` the thread decodes ``t+1 .. t+depth``.
- :class:`BackgroundWorker` calls one function on submitted items, **in submission order**, in a
  background thread with at most ``depth`` items waiting (e.g. render + write the video
  frame ``t`` while the models run on ``t+1``). :meth:`BackgroundWorker.submit` blocks when the
  queue is full, so a slow sink slows the loop down instead of filling memory.

Both re-raise an exception of the background side in the caller's thread, at the next
``next()`` / ``submit()`` / ``close()``, with the original traceback; both are context managers and stop their thread on ``close()``.

Threads help here because the heavy parts release the GIL: OpenCV decoding / encoding /
drawing and torch operators. ``depth=0`` runs everything inline in the caller's thread (same
results, no thread; useful to compare and to debug).

Example::

    from plugins.apis.prefetch import BackgroundWorker, prefetch

    with BackgroundWorker(lambda item: video.write(renderer.render(*item)), depth=4) as sink:
        for frame in prefetch(reader, depth=4):
            result = pipeline.step(frame.image)
            sink.submit((frame.image, result))
"""
import queue
import threading
from typing import Any, Callable, Iterable, Iterator, Optional

__all__ = ['Prefetcher', 'prefetch', 'BackgroundWorker']

_END = object()  # end of the stream


class _Failure:
    __slots__ = ('exc', )

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _reraise(exc: BaseException):
    # the original exception object (same type, so callers can catch e.g. FrameReadError),
    # with the traceback of the background thread
    raise exc.with_traceback(exc.__traceback__)


class Prefetcher:
    """Iterate ``iterable`` in a background thread, at most ``depth`` items ahead.

    Items come out in exactly the order the iterable yields them. An exception raised by the
    iterable is raised by ``next()`` after the items yielded before it (same type, original
    traceback). Closing (or leaving the ``with`` block, or dropping the iterator) stops the
    thread after the item it is producing; the iterable's own ``close()`` is called if it has
    one and ``close_source`` is true.

    Args:
        iterable: anything iterable (frame reader, generator, list).
        depth: most items waiting in the queue (>= 0; 0 = no thread, iterate inline).
        close_source: call ``iterable.close()`` (when it exists) on :meth:`close`.
        name: thread name (shows up in tracebacks and profilers).
    """

    def __init__(self, iterable: Iterable, depth: int = 2, close_source: bool = False,
                 name: str = 'prefetch') -> None:
        if int(depth) < 0:
            raise ValueError(f'Prefetcher: depth must be >= 0, got {depth}')
        self.depth = int(depth)
        self._source = iterable
        self._close_source = close_source
        self._iter = iter(iterable)
        self._done = False
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        if self.depth > 0:
            self._queue: queue.Queue = queue.Queue(maxsize=self.depth)
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def _put(self, item) -> bool:
        """Put unless stopped; False when the consumer went away."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._iter:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # noqa: B902 - handed to the consumer
            self._put(_Failure(exc))

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        if self._thread is None:  # depth 0: inline
            try:
                return next(self._iter)
            except StopIteration:
                self._done = True
                raise
        item = self._queue.get()
        if item is _END:
            self._done = True
            self._thread.join()
            raise StopIteration
        if isinstance(item, _Failure):
            self._done = True
            self._thread.join()
            _reraise(item.exc)
        return item

    def close(self) -> None:
        """Stop the background thread (items not yet taken are dropped)."""
        self._done = True
        self._stop.set()
        if self._thread is not None:
            while True:  # unblock a producer waiting on a full queue
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._thread.join()
        if self._close_source and hasattr(self._source, 'close'):
            self._source.close()

    def __enter__(self) -> 'Prefetcher':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # a loop left by `break` must not leave a thread behind
        try:
            if not self._done:
                self.close()
        except Exception:
            pass


def prefetch(iterable: Iterable, depth: int = 2, close_source: bool = False) -> Prefetcher:
    """``Prefetcher(iterable, depth, close_source)``: read ``depth`` items ahead in a thread."""
    return Prefetcher(iterable, depth=depth, close_source=close_source)


class BackgroundWorker:
    """Call ``fn(item)`` on submitted items in a background thread, in submission order.

    At most ``depth`` submitted items wait; :meth:`submit` blocks while the queue is full
    (bounded memory: the loop runs at the speed of its slowest sink, at most ``depth`` frames
    ahead of it). When ``fn`` raises, the worker stops calling it and the exception (same type,
    original traceback) is raised by the next :meth:`submit` or by :meth:`close`; items
    submitted after the failure are dropped.

    Args:
        fn: called once per item, in the worker thread.
        depth: most items waiting (>= 0; 0 = call ``fn`` inline in :meth:`submit`).
        name: thread name.
    """

    def __init__(self, fn: Callable[[Any], Any], depth: int = 2,
                 name: str = 'background-worker') -> None:
        if int(depth) < 0:
            raise ValueError(f'BackgroundWorker: depth must be >= 0, got {depth}')
        self.fn = fn
        self.depth = int(depth)
        self._error: Optional[BaseException] = None
        self._failed = False
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        if self.depth > 0:
            self._queue: queue.Queue = queue.Queue(maxsize=self.depth)
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._error is not None:
                continue  # drain after a failure
            try:
                self.fn(item)
            except BaseException as exc:  # noqa: B902 - handed to the caller
                self._error = exc

    def _raise_pending(self) -> None:
        if self._error is not None:
            exc, self._error = self._error, None
            self._failed = True
            _reraise(exc)

    def submit(self, item: Any) -> None:
        """Queue ``item`` for ``fn`` (blocks while ``depth`` items wait).

        Raises:
            RuntimeError: the worker is closed.
            Exception: whatever ``fn`` raised on an earlier item.
        """
        if self._closed:
            raise RuntimeError('BackgroundWorker.submit after close()')
        if self._thread is None:
            self.fn(item)
            return
        self._raise_pending()
        if self._failed:
            return
        self._queue.put(item)

    def close(self) -> None:
        """Wait until every submitted item is processed, stop the thread, re-raise a failure."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(_END)
            self._thread.join()
        self._raise_pending()

    def __enter__(self) -> 'BackgroundWorker':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:  # the loop failed: stop without masking its exception
            try:
                self.close()
            except BaseException:
                pass
            return
        self.close()
