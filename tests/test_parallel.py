"""Row-band splitting gives the whole-image answer, bit for bit, whatever the band count."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from skimage.color import rgb2gray

from segcore.fast import parallel


def test_bands_cover_every_row_once_with_clipped_halos():
    parts = parallel.bands(1001, 2000, halo=3, n=4)
    assert [(b.start, b.stop) for b in parts] == [(0, 250), (250, 500), (500, 751), (751, 1001)]
    assert parts[0].lo == 0 and parts[0].hi == 253
    assert parts[-1].lo == 748 and parts[-1].hi == 1001
    for b in parts:
        assert b.keep.stop - b.keep.start == b.stop - b.start
        assert b.lo + b.keep.start == b.start


def test_small_images_stay_whole():
    assert len(parallel.bands(100, 100, n=4)) == 1  # 10,000 pixels: not worth a thread hand-off
    assert len(parallel.bands(3, 10**6, n=8)) == 3  # never more bands than rows


def test_segcore_threads_one_turns_splitting_off(monkeypatch):
    monkeypatch.setenv("SEGCORE_THREADS", "1")
    assert parallel.n_threads() == 1
    assert len(parallel.bands(4000, 4000)) == 1
    monkeypatch.setenv("SEGCORE_THREADS", "not a number")
    assert 1 <= parallel.n_threads() <= parallel.MAX_THREADS


def test_run_all_keeps_order_and_raises_the_first_error():
    assert parallel.run_all(lambda x: x * x, range(6)) == [0, 1, 4, 9, 16, 25]

    def boom(x):
        if x == 2:
            raise ValueError("band 2 failed")
        return x

    with pytest.raises(ValueError, match="band 2 failed"):
        parallel.run_all(boom, range(4))


def test_nested_calls_run_inline_instead_of_waiting_on_the_pool():
    names = parallel.run_all(lambda _: parallel.run_all(lambda _: threading.current_thread().name, range(3)), range(2))
    for inner in names:
        assert len(set(inner)) == 1  # all three inner calls ran in the same (pool) thread


def test_gray_is_rgb2gray_in_either_precision(astronaut):
    from segcore.fast.gray import to_gray

    assert np.array_equal(to_gray(astronaut), rgb2gray(astronaut))
    tall = astronaut[:37]
    as32 = to_gray(tall, np.float32)
    assert as32.dtype == np.float32 and np.array_equal(as32, rgb2gray(tall).astype(np.float32))
    flat = to_gray(astronaut[..., 0], np.float32)  # an already-gray uint8 image
    assert flat.dtype == np.float32 and np.array_equal(flat, (astronaut[..., 0] / 255.0).astype(np.float32))


def test_default_thread_count_follows_the_cpu_budget(monkeypatch):
    monkeypatch.delenv("SEGCORE_THREADS", raising=False)
    assert parallel.n_threads() == max(1, min(parallel.cpu_budget(), parallel.MAX_THREADS))
    from segcore.methods.maskrcnn import model

    assert model.cpu_budget is parallel.cpu_budget  # torch's threads and the bands share one budget


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_gets_a_pool_of_its_own(astronaut):
    """The parent's pool threads do not exist in a forked child; splitting there must not hang."""
    import multiprocessing
    import time

    # The parent's pool has its 4 threads started and idle, so a child that reused it would
    # queue its 2 bands for threads that were not forked, and wait for ever.
    parallel.run_all(lambda x: time.sleep(0.05), range(parallel.MAX_THREADS))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_split_sum, (astronaut,)).get(timeout=20)
    assert got == int(astronaut.astype(np.int64).sum())


def _split_sum(image):
    return int(sum(parallel.run_all(lambda rows: image[rows].astype(np.int64).sum(), [slice(0, 256), slice(256, None)])))
