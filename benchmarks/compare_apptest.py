"""The compare page's server side alone: first render and re-render in Streamlit's AppTest (no browser).

Usage::

    .venv/bin/python benchmarks/compare_apptest.py [N]

Opens the compare page with every classic method ticked, then N times: uploads a
new 1600 x 1200 photo (:func:`benchmarks.common.photo`, rolled sideways so that
nothing is cached) and times ``at.run()``, then moves k-means' "Clusters (k)"
and times that run. Set beside ``benchmarks/bench_compare.py`` (the same two in
Chromium), the difference is the browser's share on the same machine.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(n: int = 3) -> int:
    import numpy as np
    from PIL import Image
    from streamlit.testing.v1 import AppTest

    from benchmarks.bench_compare import classic_methods
    from benchmarks.common import photo
    from pages._compare_controls import SETTINGS_OPEN, SETTINGS_TAB, method_title

    methods = classic_methods()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.query_params["methods"] = ",".join(methods)
    at.run()
    at.switch_page("pages/compare.py").run()
    # The settings open on k-means' tab: only its controls are drawn.
    at.session_state[SETTINGS_OPEN], at.session_state[SETTINGS_TAB] = True, method_title("kmeans")
    at.run()
    base = photo(1600, 1200)
    first, again = [], []
    for i in range(n):
        buf = io.BytesIO()
        Image.fromarray(np.roll(base, 7 * (i + 1), axis=1)).save(buf, "PNG")
        at.sidebar.file_uploader[0].upload(f"photo_{i}.png", buf.getvalue(), "image/png")
        t0 = time.perf_counter()
        at.run()
        t1 = time.perf_counter()
        at.slider(key="cmp.kmeans.k").set_value(6 + i).run()
        t2 = time.perf_counter()
        if at.exception:
            print(at.exception)
            return 1
        first.append((t1 - t0) * 1000)
        again.append((t2 - t1) * 1000)
    print(f"first render, {len(methods)} classic methods, 1600 x 1200: median {statistics.median(first):.0f} ms "
          f"(runs {', '.join(f'{t:.0f}' for t in first)})")
    print(f"re-render after 'Clusters (k)': median {statistics.median(again):.0f} ms "
          f"(runs {', '.join(f'{t:.0f}' for t in again)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
