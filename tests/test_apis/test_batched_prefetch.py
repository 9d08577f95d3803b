"""The bounded background helpers of the video loop (plugins/apis/prefetch.py)."""
import threading
import time

import pytest

from plugins.apis.prefetch import BackgroundWorker, Prefetcher, prefetch


class CountingSource:
    """Yields 0..n-1, recording how many items were produced; optionally fails at ``fail_at``."""

    def __init__(self, n, fail_at=None, delay=0.0):
        self.n, self.fail_at, self.delay = n, fail_at, delay
        self.produced = 0
        self.closed = False

    def __iter__(self):
        for i in range(self.n):
            if i == self.fail_at:
                raise KeyError(f'bad item {i}')
            time.sleep(self.delay)
            self.produced += 1
            yield i

    def close(self):
        self.closed = True


@pytest.mark.parametrize('depth', [0, 1, 3])
def test_prefetch_preserves_order_and_items(depth):
    items = [(i, f'frame{i}') for i in range(50)]
    assert list(prefetch(items, depth=depth)) == items


def test_prefetch_runs_ahead_at_most_depth_items():
    source = CountingSource(100)
    it = Prefetcher(source, depth=3)
    assert next(it) == 0
    time.sleep(0.3)  # give the producer every chance to run further ahead
    # taken 1, queue holds at most 3, the producer may hold one more blocked on put()
    assert source.produced <= 1 + 3 + 1
    assert source.produced >= 2  # it does read ahead
    rest = list(it)
    assert rest == list(range(1, 100))


def test_prefetch_propagates_exception_after_earlier_items():
    source = CountingSource(10, fail_at=4)
    it = prefetch(source, depth=2)
    got = []
    with pytest.raises(KeyError, match='bad item 4') as info:
        for x in it:
            got.append(x)
    assert got == [0, 1, 2, 3]
    # the traceback reaches into the source's frame (raised there, in the worker thread)
    assert any(entry.name == '__iter__' for entry in info.traceback)
    with pytest.raises(StopIteration):  # exhausted afterwards, no hang
        next(it)


def test_prefetch_close_stops_thread_and_closes_source():
    source = CountingSource(10_000, delay=0.001)
    before = threading.active_count()
    with Prefetcher(source, depth=2, close_source=True) as it:
        assert next(it) == 0
    assert source.closed
    assert threading.active_count() == before
    assert source.produced < 10_000


def test_prefetch_rejects_negative_depth():
    with pytest.raises(ValueError, match='depth'):
        Prefetcher([], depth=-1)


@pytest.mark.parametrize('depth', [0, 1, 4])
def test_worker_calls_in_submission_order(depth):
    seen = []
    with BackgroundWorker(seen.append, depth=depth) as worker:
        for i in range(200):
            worker.submit(i)
    assert seen == list(range(200))


def test_worker_is_bounded():
    release = threading.Event()
    seen = []

    def slow(item):
        release.wait()
        seen.append(item)

    worker = BackgroundWorker(slow, depth=2)
    submitted = []

    def producer():
        for i in range(10):
            worker.submit(i)
            submitted.append(i)

    t = threading.Thread(target=producer, daemon=True)
    t.start()
    time.sleep(0.3)
    # one item held by fn, two waiting, the producer blocked on the fourth submit
    assert len(submitted) <= 3
    release.set()
    t.join(5)
    worker.close()
    assert seen == list(range(10))


def test_worker_reraises_on_next_submit_and_on_close():
    def fn(item):
        if item == 3:
            raise ValueError('cannot write frame 3')

    worker = BackgroundWorker(fn, depth=1)
    with pytest.raises(ValueError, match='frame 3'):
        for i in range(100):
            worker.submit(i)
            time.sleep(0.002)
    worker.close()  # the error was delivered once; close is clean

    worker = BackgroundWorker(fn, depth=8)
    for i in range(5):
        worker.submit(i)
    with pytest.raises(ValueError, match='frame 3'):
        worker.close()


def test_worker_exit_with_loop_error_keeps_loop_error():
    with pytest.raises(KeyError, match='loop'):
        with BackgroundWorker(lambda x: 1 / 0, depth=2) as worker:
            worker.submit(1)
            raise KeyError('loop')


def test_worker_submit_after_close():
    worker = BackgroundWorker(lambda x: None, depth=1)
    worker.close()
    with pytest.raises(RuntimeError, match='after close'):
        worker.submit(1)
