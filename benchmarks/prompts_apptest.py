"""The Point and click page's server side in Streamlit's AppTest (no browser): what a click costs.

Usage::

    .venv/bin/python benchmarks/prompts_apptest.py [N]

Opens the page on a 1600 x 1200 upload (:func:`benchmarks.common.photo`) with
one object click from a link and every classic prompt method ticked, then N
times: adds a click (as the canvas's callback does) and times the run (every
method answers the new prompts), reruns with nothing changed (every answer from
the cache: the page's own cost), and moves GrabCut's iterations (one method
reruns). Medians in ms.
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
    from PIL import Image
    from streamlit.testing.v1 import AppTest

    from benchmarks.common import photo
    from pages._prompt_state import STATE_KEY
    from segcore.prompts import Click

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.query_params["clicks"] = "800,600+"
    at.run()
    buf = io.BytesIO()
    Image.fromarray(photo(1600, 1200)).save(buf, "PNG")
    at.sidebar.file_uploader[0].upload("photo.png", buf.getvalue(), "image/png")
    at.run()
    t0 = time.perf_counter()
    at.switch_page("pages/prompts.py").run()
    opened = (time.perf_counter() - t0) * 1000
    methods = at.multiselect(key="pr_methods").value
    (held,) = at.session_state[STATE_KEY].values()
    click, same, one = [], [], []
    for i in range(n):
        held.change(held.prompts.add(Click(100 + 97 * i, 150 + 61 * i, i % 2 == 0)), redraw=False)
        t0 = time.perf_counter()
        at.run()
        t1 = time.perf_counter()
        at.run()
        t2 = time.perf_counter()
        at.slider(key="pr.grabcut.iterations").set_value(2 + i).run()
        t3 = time.perf_counter()
        if at.exception:
            print(at.exception)
            return 1
        click.append((t1 - t0) * 1000)
        same.append((t2 - t1) * 1000)
        one.append((t3 - t2) * 1000)
    print(f"1600 x 1200, methods {', '.join(methods)}")
    print(f"link opened (each method asked, then drawn): {opened:.0f} ms")
    print(f"a new click, every method answers: median {statistics.median(click):.0f} ms {[round(v) for v in click]}")
    print(f"rerun, nothing changed (all cached): median {statistics.median(same):.0f} ms {[round(v) for v in same]}")
    print(f"GrabCut's iterations moved (one method): median {statistics.median(one):.0f} ms {[round(v) for v in one]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
