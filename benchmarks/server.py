"""Start the dashboard's Streamlit server for a benchmark, and always stop it.

``sys.executable -m streamlit run app.py`` on a free 127.0.0.1 port, in its own
process group (so stopping it reaches any child), ready once
``/_stcore/health`` answers ``ok``. A thread samples the resident memory of the
server's process tree while it runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from benchmarks.common import REPO, children, proc_status

HEALTH_TIMEOUT_S = 90.0

#: Debian's Chromium and the flags this sandbox needs (design.md); shared by the
#: browser tests and the app benchmark.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


#: Counts finished script runs (transitions out of "running") in the page, so that a wait after an
#: interaction cannot miss a run that was already over: Playwright's ``add_init_script`` for every page.
RUN_COUNTER_JS = """
(() => {
  window.__stFinishedRuns = 0;
  const obs = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.oldValue === 'running') window.__stFinishedRuns += 1;
    }
  });
  const start = () => obs.observe(document.documentElement, {
    subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state'],
  });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""


#: ``metricText(label)``: the value of the main area's ``st.metric`` with that label (null if none), for
#: scripts evaluated in the page (the app benchmark and the load benchmark).
METRIC_TEXT_JS = """
const metricText = (label) => {
  for (const m of document.querySelectorAll('[data-testid="stMain"] [data-testid="stMetric"]')) {
    const l = m.querySelector('[data-testid="stMetricLabel"]');
    if (l && l.innerText.trim() === label) {
      const v = m.querySelector('[data-testid="stMetricValue"]');
      return v ? v.innerText.trim() : null;
    }
  }
  return null;
};
"""

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.read().decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError):
        return None


@dataclass
class RssSampler:
    """Samples the summed VmRSS of a process tree every ``interval`` seconds."""

    pid: int
    interval: float = 0.1
    peak_kb: int = 0
    last_kb: int = 0
    _pids: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _loop(self) -> None:
        next_scan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_scan:  # walking /proc for children is dearer: once a second
                self._pids = [self.pid, *children(self.pid)]
                next_scan = now + 1.0
            total = sum(proc_status(p).get("VmRSS", 0) for p in self._pids)
            self.last_kb = total
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.interval)

    def start(self) -> "RssSampler":
        self._thread = threading.Thread(target=self._loop, daemon=True, name="rss-sampler")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def tree_hwm_kb(self) -> int:
        """Sum of each process's own peak (VmHWM): an upper bound of the tree's peak."""
        return sum(proc_status(p).get("VmHWM", 0) for p in [self.pid, *children(self.pid)])


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log_path: Path
    start_s: float  # spawn to health "ok"
    rss: RssSampler

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, wait, then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@contextlib.contextmanager
def streamlit_server(app: str = "app.py", env: dict[str, str] | None = None) -> Iterator[Server]:
    """Run the app (with ``env`` added to this process's environment); yield a :class:`Server` once healthy; always stop it."""
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"segbench-streamlit-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", app,
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, env={**os.environ, **(env or {})},
    )
    sampler = RssSampler(proc.pid).start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while health(f"{url}/_stcore/health") != "ok":
            if proc.poll() is not None:
                log.flush()
                raise RuntimeError(
                    f"streamlit exited with code {proc.returncode} before it was healthy: "
                    + log_path.read_text(errors="replace")[-1500:]
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy on {url} after {HEALTH_TIMEOUT_S:.0f} s")
            time.sleep(0.1)
        yield Server(url, proc, log_path, time.perf_counter() - t0, sampler)
    finally:
        sampler.stop()
        stop(proc)
        log.close()
