"""The shared result cache: objects kept under a byte budget, frozen, computed once per key."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from pages._result_cache import ResultCache, freeze
from segcore.registry import run_method
from segcore.result import Segmentation, build_legend


def result(mb: float, value: int = 1) -> Segmentation:
    labels = np.full((int(mb * 2**20) // 4, 1), value, np.int32)
    return Segmentation("otsu", labels, build_legend(labels), {}, 0.0, extras={"mask": np.zeros(4, bool)})


def test_results_are_frozen_so_no_session_changes_another_ones():
    seg = run_method("sobel", np.zeros((40, 50, 3), np.uint8) + 7)
    size = freeze(seg)
    assert size >= seg.labels.nbytes + seg.extras["strength"].nbytes
    assert not seg.labels.flags.writeable and not seg.extras["edge_mask"].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        seg.labels[0, 0] = 3


def test_least_recently_used_results_go_first_past_the_byte_budget():
    cache = ResultCache(max_bytes=10 * 2**20)
    for key in "abc":
        cache.get(key, lambda: result(4))  # 12 MB asked: "a" goes
    assert len(cache) == 2 and cache.nbytes <= 10 * 2**20
    calls = []
    cache.get("b", lambda: calls.append("b") or result(4))  # kept: no computation, "b" is now the newest
    cache.get("d", lambda: result(4))  # "c" was the least recently used
    cache.get("b", lambda: calls.append("b") or result(4))
    cache.get("c", lambda: calls.append("c") or result(4))
    assert calls == ["c"]
    huge = cache.get("e", lambda: result(30))  # larger than the budget alone: kept, the rest out
    assert len(cache) == 1 and cache.get("e", lambda: result(1)) is huge


def test_a_result_is_computed_once_when_sessions_ask_at_the_same_time():
    cache = ResultCache(max_bytes=2**30)
    calls = []

    def slow():
        calls.append(threading.get_ident())
        time.sleep(0.2)
        return result(0.1)

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("k", slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 4 and all(g is got[0] for g in got)


def test_a_failed_computation_is_raised_and_not_kept():
    cache = ResultCache(max_bytes=2**30)

    def refuse():
        raise ValueError("multi-Otsu takes 2 to 6 classes")

    with pytest.raises(ValueError, match="2 to 6 classes"):
        cache.get("x", refuse)
    assert len(cache) == 0
    assert cache.get("x", lambda: result(0.1, value=2)).labels[0, 0] == 2
