"""The cores this process may use, a shared thread pool, and images cut into row bands for it.

scipy.ndimage's filters and numpy's ufuncs release the GIL, so plain threads
keep both cores of a small server busy without copying the image to another
process. :func:`bands` cuts an image into row bands, each reading ``halo``
rows beyond its own (a filter's reach), so that a band's own rows come out as
from the whole image; :func:`run_all` runs the bands (or any items) on the
shared pool. Users: Canny (:mod:`segcore.fast.canny`), the GMM predict
(:mod:`segcore.fast.mixture`), and, through :func:`cpu_budget`, torch's thread
count and the command line's worker count.

``SEGCORE_THREADS`` caps the number of bands (``1`` turns the splitting off);
by default there is one per CPU the process may use (:func:`cpu_budget`:
affinity and cgroup quota), at most 4.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import numpy as np

__all__ = ["Band", "bands", "cpu_budget", "n_threads", "run_all"]

T = TypeVar("T")
R = TypeVar("R")

#: Below this many pixels per band, the thread hand-off costs more than it saves.
MIN_BAND_PIXELS = 128 * 1024
#: Most bands ever used, whatever the core count.
MAX_THREADS = 4

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_inside = threading.local()


def _forget_pool_in_child() -> None:
    """A forked child has none of the parent's threads: it starts a pool of its own when needed."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


@functools.cache
def cpu_budget() -> int:
    """CPUs this process may really use: affinity, capped by a cgroup CPU quota (read once).

    ``os.cpu_count()`` reports the host's CPUs inside a container (Streamlit
    Community Cloud allows 2); torch would start that many threads and
    oversubscribe.
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = None
    try:  # cgroup v2: "max 100000" or "200000 100000"
        q, p = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if q != "max":
            quota = int(q) / int(p)
    except (OSError, ValueError):
        try:  # cgroup v1
            q = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
            p = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
            if q > 0 and p > 0:
                quota = q / p
        except (OSError, ValueError):
            pass
    if quota is not None:
        n = min(n, max(1, math.ceil(quota)))
    return max(1, n)


def n_threads() -> int:
    """Threads the helpers use: ``SEGCORE_THREADS`` if set, else :func:`cpu_budget` (at most 4).

    """
    n = max(1, min(cpu_budget(), MAX_THREADS))
    env = os.environ.get("SEGCORE_THREADS", "").strip()
    if env:
        try:
            n = max(1, min(int(env), 64))
        except ValueError:
            pass
    return n


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="segcore-band")
        return _pool


def _marked(fn: Callable[[T], R]) -> Callable[[T], R]:
    def call(item: T) -> R:
        _inside.active = True
        try:
            return fn(item)
        finally:
            _inside.active = False

    return call


def run_all(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(item) for item in items]``, the items run at the same time on the shared pool.

    Returns the results in the order of ``items``; the first exception raised
    by any call is raised here. A single item, or a call made from inside a
    pool thread (nested splitting would only queue behind itself), runs in
    the calling thread.
    """
    items = list(items)
    if len(items) <= 1 or getattr(_inside, "active", False):
        return [fn(item) for item in items]
    futures = [_get_pool().submit(_marked(fn), item) for item in items]
    return [f.result() for f in futures]


@dataclass(frozen=True)
class Band:
    """Rows ``start:stop`` of the output, computed from input rows ``lo:hi`` (the band plus its halo)."""

    start: int
    stop: int
    lo: int
    hi: int

    @property
    def read(self) -> slice:
        """The input rows to compute on."""
        return slice(self.lo, self.hi)

    @property
    def own(self) -> slice:
        """The output rows this band fills."""
        return slice(self.start, self.stop)

    @property
    def keep(self) -> slice:
        """Where the band's own rows sit inside a result computed on ``read``."""
        return slice(self.start - self.lo, self.stop - self.lo)


def bands(height: int, width: int = 1, *, halo: int = 0, n: int | None = None) -> list[Band]:
    """Split ``height`` rows into at most ``n`` (default :func:`n_threads`) equal bands.

    Returns one :class:`Band` per piece, top to bottom; fewer (down to one
    covering every row) when a band would hold fewer than
    :data:`MIN_BAND_PIXELS` pixels of an image ``width`` pixels wide.
    """
    height, halo = int(height), max(int(halo), 0)
    n = n_threads() if n is None else max(int(n), 1)
    n = max(1, min(n, height, (height * max(int(width), 1)) // MIN_BAND_PIXELS or 1))
    edges = np.linspace(0, height, n + 1).round().astype(int)
    return [
        Band(int(s), int(e), max(int(s) - halo, 0), min(int(e) + halo, height))
        for s, e in pairwise(edges)
    ]
