"""The app keeps each request within its time budget, and says what it cut (AppTest; issue 21, item 6)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
#: Unbounded, each of these took over a minute and a half of CPU (the issue); bounded, a few seconds.
QUICK_S = 60


def shown(elements) -> str:
    """The elements' text as it reads on the page (markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", " ".join(e.value for e in elements))


def test_the_issues_quickshift_link_runs_smaller_and_says_so(offline):
    at = AppTest.from_file(APP, default_timeout=QUICK_S)
    for k, v in {"sample": "hubble", "methods": "quickshift", "quickshift.max_side": "None",
                 "quickshift.kernel_size": "20", "quickshift.max_dist": "100"}.items():
        at.query_params[k] = v
    at.run()
    started = time.perf_counter()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    assert time.perf_counter() - started < QUICK_S
    assert at.session_state["cmp.quickshift.kernel_size"] == 20.0  # the link's values, as asked...
    assert at.session_state["cmp.quickshift.max_side"] is None
    note = shown(at.info)  # ...run at a size that fits the budget, and the page says so
    assert "Quickshift ran at 192 px on its long side instead of at the working size (1000 px)" in note
    assert "of this page's 10 s budget for 1 method; now about " in note
    assert not at.warning  # every value of the link is one the page's controls offer


def test_a_link_value_between_a_sliders_steps_is_refused_with_a_notice(offline):
    at = AppTest.from_file(APP, default_timeout=QUICK_S)
    at.query_params["methods"] = "quickshift"
    at.query_params["quickshift.kernel_size"] = "7.3"  # the slider moves in steps of 0.5
    at.run()
    at.switch_page("pages/compare.py").run()
    warnings = shown(at.warning)
    assert "quickshift.kernel_size=7.3" in warnings and "(steps of 0.5)" in warnings
    assert at.session_state["cmp.quickshift.kernel_size"] == 5.0


def test_multiotsu_with_six_classes_on_its_page_runs_on_fewer_bins_and_says_so(offline):
    at = AppTest.from_file(APP, default_timeout=QUICK_S)
    at.run()
    at.switch_page("pages/thresholding.py").run()
    at.selectbox(key="thr_method").set_value("multiotsu").run()
    at.slider(key="thr_classes").set_value(6).run()
    assert not at.exception, at.exception
    note = shown(at.info)
    assert "Multi-Otsu ran with 128 histogram bins instead of with 256 histogram bins" in note
    assert "over this app's 10 s budget" in note
