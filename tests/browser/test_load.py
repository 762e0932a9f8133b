"""Many visitors: three browser sessions at once on one server, each with its own upload, see their own results.

The small version of ``benchmarks/bench_load.py`` (which drives 8 and 16 sessions, the
Mask R-CNN page included, and measures the server's memory): on a server of the test's
own, whose first visitors they are, three browser contexts in one Chromium, started together on one asyncio loop (Playwright's async API, in a thread
of its own beside the session's sync browser), each uploading a different image (its own
size and content), then the thresholding page and the compare page (the page's default
methods: offline, no COCO weights, so Mask R-CNN is not among them). Every value is
checked against what segcore computes here on the same working image: the sidebar
caption, the result's size, the gray mean and Otsu's threshold, the compare grid's axes
(the working size) and its Otsu panel pixel for pixel. A value from another session's
image (a cache or session state shared by mistake) fails the test.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_load import make_visitors, run_sessions

pytestmark = pytest.mark.browser

SESSIONS = 3


def test_visitors_at_once_each_see_their_own_image(browser, fresh_streamlit_server, tmp_path):
    # A fresh server: the visitors are its first, together (lazy imports and first runs race there).
    visitors = make_visitors(tmp_path, 0, SESSIONS, maskrcnn=False)
    assert len({v.size for v in visitors}) == len({v.otsu for v in visitors}) == SESSIONS  # nothing to confuse

    wave = run_sessions(fresh_streamlit_server, visitors, maskrcnn=False, timeout_ms=45_000)

    problems = [
        f"session {r.index} ({visitors[i].caption}): " + "; ".join(r.errors + r.crosstalk)
        for i, r in enumerate(wave.results) if not r.ok
    ]
    assert not problems, "\n".join(problems)
    for r in wave.results:
        assert set(r.steps_ms) == {"open", "upload", "thresholding", "compare"}, r.steps_ms
        assert r.checks >= 9, f"session {r.index} compared only {r.checks} values"
