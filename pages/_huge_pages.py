"""Keep numpy's big arrays on ordinary 4 KB pages in the server: a fresh server's first uploads go faster.

numpy asks the kernel for transparent huge pages (2 MB) for every array of
4 MB or more (``madvise(MADV_HUGEPAGE)``). Where the kernel then compacts
memory to find free 2 MB blocks when such an array is first written (THP
``defrag = madvise``, the default of Debian and Ubuntu, and this machine's
setting), the server's memory growth becomes expensive: on this 2-core
machine, twenty methods on a new 1600 x 1200 upload spent 0.84-0.92 s of
kernel time while the result cache was still filling (the first two or three
uploads after a start), against 0.19 s on 4 KB pages, and the same user time
(about 1.1 s) either way. Once the process stops growing both cost the same.

:func:`avoid_huge_pages` switches the advice off for the process, as
``NUMPY_MADVISE_HUGEPAGE=0`` does when it is set before numpy is imported
(Streamlit imports numpy before the app, so the app cannot set that variable
in time). Arrays made before the call keep their pages; nothing else changes.
"""

from __future__ import annotations

import os

_done = False


def avoid_huge_pages() -> bool:
    """Stop numpy advising huge pages for new arrays; return whether it now does not (False: not supported here).

    Respects ``NUMPY_MADVISE_HUGEPAGE=1`` set by whoever starts the server. Idempotent and cheap; called on every run.
    """
    global _done
    if _done:
        return True
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE", "").strip() == "1":
        return False
    try:
        from numpy._core.multiarray import (
            _set_madvise_hugepage,  # numpy >= 2; what the variable sets
        )
    except ImportError:  # pragma: no cover - another numpy layout
        return False
    _set_madvise_hugepage(False)
    _done = True
    return True
