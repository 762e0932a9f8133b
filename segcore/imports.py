"""scikit-learn (and what imports it) imported when a method first needs it, one thread at a time.

scikit-learn takes about 1.2 s to import, so it is imported inside the methods that use it: a cold
start of the command line, or of a page that never clusters, does not pay for it. Those methods run
on worker threads (the compare page runs two at a time, the command line's Dask threads one per
image, Streamlit each visitor's script on its own thread). Two threads entering scikit-learn's
package at once can meet inside its circular imports, and CPython then hands one of them the
half-made module: on a fresh server the compare page's first run failed one time in two with
"cannot import name 'clone' from partially initialized module 'sklearn.base'" (the Gaussian
mixture importing ``sklearn.mixture`` while k-means imported ``sklearn.cluster``). :func:`load`
imports under one process-wide lock, so the second thread waits for the first to finish.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType

_lock = threading.RLock()


def load(name: str) -> ModuleType:
    """Return the module ``name`` (``importlib.import_module(name)``), imported while holding the process-wide lock.

    Once imported, the call costs a lock and a dictionary look-up.
    """
    with _lock:
        return importlib.import_module(name)
