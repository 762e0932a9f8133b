"""Nothing the server caches grows per visitor without bound: every Streamlit cache in the app is bounded.

Read from the source (app.py and pages/*.py, by :func:`benchmarks.bench_load.cache_audit`):
every ``st.cache_data`` has ``max_entries`` or ``ttl``; every ``st.cache_resource``
holds one object (no key) or one object per key from a small fixed set, and the
one unkeyed resource, the shared result cache, is bounded by its bytes. The
measured side (S browser sessions at once, twice, on one server) is
``benchmarks/bench_load.py`` and ``tests/browser/test_load.py``.
"""

from __future__ import annotations

import ast

import pytest

from benchmarks.bench_load import REPO, cache_audit

#: Keyed cache_resource functions and why their keys are a small fixed set (one object per key).
KEYED_RESOURCES = {
    "pages/mask_rcnn.py:_model": (
        {"variant", "device", "named_file"},
        "one Mask R-CNN per variant (the page's selectbox: v1, v2, shapes), device (cpu, cuda) and the one "
        "weights file the environment or secrets name",
    ),
}


@pytest.fixture(scope="module")
def uses():
    found = cache_audit()
    assert len(found) >= 10, f"the audit found only {len(found)} caches: is it reading the right files? {found}"
    return found


def test_the_audit_reads_every_cache_decorator_in_the_source(uses):
    # A plain text count of the decorators: the AST audit must see each one.
    files = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]
    written = sum(
        line.strip().startswith(("@st.cache_data", "@st.cache_resource"))
        for path in files for line in path.read_text().splitlines()
    )
    assert written == len(uses), (written, [u.describe() for u in uses])
    names = {f"{u.file}:{u.function}" for u in uses}
    assert {"pages/_image_input.py:_decode", "pages/_result_view.py:shared_results", "pages/compare.py:_pictures"} <= names


def test_every_cache_data_has_max_entries_or_ttl(uses):
    unbounded = [u.describe() for u in uses if u.kind == "cache_data" and not ({"max_entries", "ttl"} & set(u.bounds))]
    assert not unbounded, "st.cache_data without max_entries or ttl (grows with every new image or setting): " + \
        "; ".join(unbounded)
    for u in uses:
        if "max_entries" in u.bounds:
            value = ast.literal_eval(u.bounds["max_entries"])
            assert isinstance(value, int) and 0 < value <= 1024, u.describe()
        if "ttl" in u.bounds:
            assert u.bounds["ttl"] not in ("None", "0"), u.describe()


def test_every_cache_resource_is_one_object_or_one_per_key_of_a_fixed_set(uses):
    for u in uses:
        if u.kind != "cache_resource":
            continue
        key = {a for a in u.args if not a.startswith("_")}
        where = f"{u.file}:{u.function}"
        if not key or {"max_entries", "ttl"} & set(u.bounds):
            continue
        assert where in KEYED_RESOURCES, (
            f"{u.describe()}: a cache_resource keyed by {sorted(key)} keeps one object per distinct key, for "
            "ever; give it max_entries/ttl or list here why its keys are a small fixed set")
        allowed, _why = KEYED_RESOURCES[where]
        assert key <= allowed, f"{u.describe()}: keyed by {sorted(key - allowed)} too"


def test_the_shared_result_cache_is_bounded_by_its_bytes():
    from pages._result_cache import ResultCache
    from pages._result_view import RESULTS_MAX_BYTES, shared_results

    cache = shared_results()
    assert isinstance(cache, ResultCache)
    assert cache is shared_results(), "one result cache per server"
    assert cache.max_bytes == RESULTS_MAX_BYTES <= 1024 * 2**20, "the results must fit beside the model in 2.7 GB"


def test_mask_rcnn_models_are_keyed_by_the_declared_variants_only():
    """The model cache's variant comes from the page's control of the method's declared choices (3): a fixed set."""
    from segcore.registry import get_method

    source = (REPO / "pages" / "mask_rcnn.py").read_text()
    assert 'variant = control(c1, "maskrcnn", "variant"' in source, "the model's variant no longer comes from its spec"
    p = get_method("maskrcnn").param("variant")
    assert p.kind == "choice" and p.choices == ("v1", "v2", "shapes")


def test_pandas_is_imported_whole_before_any_page_runs():
    """Plotly looks pandas up in sys.modules without importing it; half-imported by another session's run,
    it broke the thresholding page's histogram for visitors arriving together on a fresh server
    ("partially initialized module 'pandas' has no attribute 'Series'", found by benchmarks/bench_load.py).
    app.py imports pages._image_input first on every run: pandas must be complete once that import returns."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "assert 'pandas' not in sys.modules, 'imported before the app: this test proves nothing'\n"
        "import pages._image_input\n"
        "pd = sys.modules.get('pandas')\n"
        "assert pd is not None, 'pages._image_input does not import pandas'\n"
        "assert not getattr(pd.__spec__, '_initializing', False)\n"
        "pd.Series, pd.Index\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
