"""segcore.imports.load: the heavy libraries' first import happens on one thread at a time."""

from __future__ import annotations

import threading
import time

import segcore.imports as imports


def test_threads_that_load_at_once_import_one_after_another(monkeypatch):
    inside, most, lock = [0], [0], threading.Lock()

    def slow_import(name):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.05)  # a package taking its time to import, as scikit-learn's 1.2 s
        with lock:
            inside[0] -= 1
        return name

    monkeypatch.setattr(imports.importlib, "import_module", slow_import)
    start = threading.Barrier(4)
    got = []

    def worker(name):
        start.wait()
        got.append(imports.load(name))

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("sklearn.cluster", "sklearn.mixture",
                                                                    "sklearn.exceptions", "skimage.future")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == ["skimage.future", "sklearn.cluster", "sklearn.exceptions", "sklearn.mixture"]
    assert most[0] == 1


def test_load_returns_the_module():
    import json

    assert imports.load("json") is json
