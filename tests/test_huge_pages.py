"""The server keeps numpy's big arrays off transparent huge pages (pages/_huge_pages.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy._core import multiarray
from streamlit.testing.v1 import AppTest

from pages import _huge_pages

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_the_app_switches_numpys_huge_page_advice_off(monkeypatch):
    before = multiarray._get_madvise_hugepage()
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    monkeypatch.setattr(_huge_pages, "_done", False)
    multiarray._set_madvise_hugepage(True)
    try:
        at = AppTest.from_file(APP, default_timeout=120).run()
        assert not at.exception
        assert multiarray._get_madvise_hugepage() is False
        a = np.ones((1200, 1600))  # still an ordinary array
        assert a.sum() == 1200 * 1600
    finally:
        multiarray._set_madvise_hugepage(before)


def test_whoever_starts_the_server_can_keep_huge_pages(monkeypatch):
    before = multiarray._get_madvise_hugepage()
    monkeypatch.setattr(_huge_pages, "_done", False)
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    multiarray._set_madvise_hugepage(True)
    try:
        assert _huge_pages.avoid_huge_pages() is False
        assert multiarray._get_madvise_hugepage() is True
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE")
        assert _huge_pages.avoid_huge_pages() is True and multiarray._get_madvise_hugepage() is False
        assert _huge_pages.avoid_huge_pages() is True  # once is enough
    finally:
        multiarray._set_madvise_hugepage(before)
