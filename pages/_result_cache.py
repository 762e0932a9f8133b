"""The results every session shares: kept as objects, frozen, and bounded by their bytes.

``st.cache_data`` pickles each value when it stores it and unpickles a copy on
every hit: for the compare page's twenty methods on a 1600 x 1200 image that is
about 300 MB pickled on the first render (measured: 0.76-0.90 s for the whole
run as objects against 1.01-1.23 s pickled). ``st.cache_resource`` keeps objects
but bounds only their number, and a result's size runs from 8 MB (a threshold's
label map) to 48 MB (Sobel's float64 responses) at 2 MP and six times that at
full resolution. :class:`ResultCache` keeps objects under a byte budget, least
recently used out first, and freezes every array of a result it holds
(read-only), so no session can change what another one is shown.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from segcore.result import Segmentation


def _arrays(value: Any):
    """Every numpy array inside ``value`` (dicts, lists, tuples, a Segmentation's labels and extras)."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, Segmentation):
        yield value.labels
        yield from _arrays(value.extras)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)


def freeze(seg: Segmentation) -> int:
    """Make every array of ``seg`` read-only; return their bytes (what the result holds in memory)."""
    total = 0
    for arr in _arrays(seg):
        arr.setflags(write=False)
        total += arr.nbytes
    return total


class ResultCache:
    """Results by key, least recently used out first once they pass ``max_bytes`` together.

    :meth:`get` computes a missing result once even when several sessions ask
    for it at the same time (the others wait for it); an exception is raised to
    every caller waiting and nothing is kept. ``size(value)`` gives a value's
    bytes (default :func:`freeze`, for results); it holds no Streamlit state,
    so worker threads may call it.
    """

    def __init__(self, max_bytes: int, size: Callable[[Any], int] = freeze):
        self.max_bytes = int(max_bytes)
        self._size = size
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held now."""
        with self._lock:
            return sum(size for _, size in self._items.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key``'s result is held now (a look that does not count as a use)."""
        with self._lock:
            return key in self._items

    def _lookup(self, key: Hashable) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value for ``key``, from ``compute()`` the first time; a result is frozen (its arrays read-only)."""
        found = self._lookup(key)
        if found is not None:
            return found
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:  # one computation per key; the others wait here, then find it
            found = self._lookup(key)
            if found is not None:
                return found
            try:
                seg = compute()
                size = self._size(seg)
                with self._lock:
                    self._items[key] = (seg, size)
                    total = sum(s for _, s in self._items.values())
                    while total > self.max_bytes and len(self._items) > 1:
                        _, (_, dropped) = self._items.popitem(last=False)
                        total -= dropped
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            return seg

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
