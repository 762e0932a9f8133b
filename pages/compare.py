"""Compare page: the methods side by side on one image, with linked zoom, scores and one zip."""

from __future__ import annotations

import hashlib
import io
import math
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from pages._compare_controls import (
    SETTINGS_OPEN,
    SETTINGS_TAB,
    VIEW_PARAMS,
    WIPE_OPEN,
    apply_link,
    key_settings,
    maskrcnn_problem,
    method_controls,
    method_title,
    offer_prompt_methods,
    stored_controls,
    tick_article_methods,
    tick_region_methods,
    write_link,
)
from pages._compare_figure import (
    VIEWS,
    Panel,
    before_after,
    data_uri,
    grid_figure,
    panel_scale,
)
from pages._image_input import (
    current_sample,
    ensure_app_frame,
    plain,
    require_image,
    working_max_side,
)
from pages._prompt_methods import PROMPT_METHODS, weights_missing
from pages._prompt_state import described, held, read_link
from pages._prompt_view import caption as answer_caption
from pages._prompt_view import marks
from pages._result_cache import ResultCache
from pages._result_view import (
    MethodFailed,
    cached_result,
    params_key,
    remember_settings,
    result_in,
    shared_results,
    shown_image,
    shown_pair,
)
from pages._score_chart import Point, score_chart
from segcore.batch import params_json, write_csv
from segcore.cost import estimate, progress_text, shared
from segcore.export import comparison_zip
from segcore.io.ground_truth import (
    GroundTruth,
    GroundTruthError,
    fit_ground_truth,
    load_ground_truth,
)
from segcore.io.loading import LoadedImage
from segcore.io.samples import SAMPLES, sample_ground_truth
from segcore.prompts import Prompts
from segcore.registry import get_method
from segcore.render import boundary_png, color_png, display_factor, jpeg, overlay, reduced_image
from segcore.scoring.metrics import COLUMNS, SCORE_RULE, score_details
from segcore.scoring.ranking import (
    BINARY_KEYS,
    PARTITION_KEYS,
    best_rows,
    best_rule,
    region_range,
)

# ----------------------------------------------------------------------------- cached pictures and scores
# Each keyed by what it is made from (the method, the image's SHA-256, the settings' text, ...); the results
# themselves come from the one shared result cache (pages/_result_view.py).


@st.cache_data(max_entries=8, show_spinner=False)
def _photo_uri(image_sha: str, scale: int, _rgb: np.ndarray) -> str:
    """The working image (every ``scale``-th pixel's box) as a JPEG data URI, under the overlay and boundary views."""
    return data_uri(jpeg(reduced_image(_rgb, scale)), "image/jpeg")


@st.cache_resource(show_spinner=False)
def _pictures() -> ResultCache:
    """The panels' pictures of every session, least recently used out first past 400 MB of data URIs."""
    return ResultCache(400 * 2**20, size=lambda panel: len(panel[0] or ""))


def _panel(results: ResultCache, pictures: ResultCache, method: str, image: LoadedImage, params: dict,
           kind: str, scale: int, prompts: Prompts | None = None) -> tuple:
    """(picture data URI, labels, seconds, None, answer, note) for one method, view and scale; (None, 0, 0, why, "", "")
    when it refuses.

    The picture holds every ``scale``-th pixel of the label map each way (exact colours). A prompt method is
    given ``prompts`` (None for the others); ``answer`` is its time and confidence as Point and click captions
    them, ``note`` why it worked on a reduced window ("" where it did not, and for the other methods). No Streamlit call:
    the page's worker threads run it with the caches handed over, each making its own panel's picture.
    """
    def make() -> tuple:
        try:
            seg = result_in(results, method, image, params, prompts)
        except MethodFailed:
            raise  # it could not run this time (out of memory, weights): not kept, the next run tries again
        except ValueError as exc:
            return None, 0, 0.0, f"{method_title(method)}: {exc}", "", ""
        shown = seg if scale == 1 else replace(seg, labels=seg.labels[::scale, ::scale])
        png = boundary_png(shown) if kind == "boundaries" else color_png(shown)
        answer = answer_caption(seg) if prompts is not None else ""
        note = str(seg.extras.get("note") or "") if prompts is not None else ""
        return data_uri(png, "image/png"), seg.n_labels, seg.elapsed_s, None, answer, note

    asked = None if prompts is None else prompts.to_text()
    return pictures.get((method, image.sha256, params_key(params), kind, scale, params_key(asked or {})), make)


@st.cache_data(max_entries=64, show_spinner=False)
def _wipe(method: str, image_sha: str, key: str, split: float, asked: str, _image: LoadedImage, _params: dict,
          _prompts: Prompts | None) -> bytes:
    """The before/after picture at display size as JPEG bytes: made once per method, setting, prompts (``asked``,
    their text; "" for a method without) and cut.

    Sent as bytes, st.image passes it on as it is; an array would be encoded again on every rerun.
    """
    seg = cached_result(method, _image, _params, _prompts)
    shown_rgb, shown_seg = shown_pair(_image, seg)
    after = overlay(shown_rgb, shown_seg, alpha=0.6, skip_zero=method == "maskrcnn")
    if _prompts is not None:  # what a prompt method was asked, as on Point and click
        after = marks(after, _prompts, display_factor(_image.rgb.shape))
    return jpeg(before_after(shown_image(_image), after, split), quality=90)


@st.cache_data(max_entries=8, show_spinner=False)
def _ground_truth(digest: str, kind: str, names: tuple, original_size, working_size, _payloads: list) -> GroundTruth:
    """The uploaded ground truth, decoded and fitted to the working size once per file set."""
    gt = load_ground_truth(_payloads if len(_payloads) > 1 else _payloads[0], name=", ".join(names), kind=kind)
    return fit_ground_truth(gt, original_size=original_size, working_size=working_size)


@st.cache_data(max_entries=8, show_spinner=False)
def _sample_truth(sample: str, original_size, working_size) -> GroundTruth:
    """A shipped sample's ground truth at the working size."""
    return fit_ground_truth(sample_ground_truth(sample), original_size=original_size, working_size=working_size)


@st.cache_data(max_entries=512, show_spinner=False)
def _scores(method: str, image_sha: str, key: str, asked: str, gt_key: str, tolerance: int,
            _image: LoadedImage, _params: dict, _prompts: Prompts | None, _gt: GroundTruth) -> dict:
    """One method's scores and what explains them (segcore.scoring.metrics.score_details), once per result, truth and
    tolerance (a prompt method's result is its answer to the prompts whose text is ``asked``)."""
    return score_details(cached_result(method, _image, _params, _prompts), _gt, tolerance=tolerance)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


HIGHLIGHT = {"font-weight": "bold", "background-color": "#fde68a"}
ORACLE_MARK = " *"


def _foreground_text(oracle: float, picked: int, n_labels: int) -> str:
    """The table's Foreground cell: whose foreground the binary scores used ("" without binary scores)."""
    if _missing(oracle):
        return ""
    return "own" if oracle == 0.0 else f"oracle: {picked} of {n_labels}"


#: The score tables, one per family of scores, each narrow enough to read without scrolling sideways:
#: (title, the columns it may hold). The first table shown also carries the time.
SCORE_TABLES = (
    ("Foreground and background", BINARY_KEYS),
    ("Regions", PARTITION_KEYS),
    ("Objects", tuple(c for c in COLUMNS if c not in BINARY_KEYS + PARTITION_KEYS + ("oracle",))),
)


def _score_table(rows: list[dict], shown: list[str], regions: tuple[float, float] | None, *, timed: bool = True):
    """The scores of the columns ``shown`` (one family) as a Styler: the best of each column highlighted by segcore's
    rule (segcore.scoring.ranking), oracle scores marked *, label counts outside the ground truth's region range
    flagged (few) or (many); with ``timed``, the methods' times too (the fastest highlighted)."""
    binary = [c for c in shown if c in BINARY_KEYS]
    labels = ["Labels"] if binary or any(c in PARTITION_KEYS for c in shown) else []
    columns = [*labels, *(["Foreground"] if binary else []), *shown, *(["Time (ms)"] if timed else [])]
    table = pd.DataFrame(rows).rename(columns={"n_labels": "Labels"}).set_index("Method")[columns]
    table[shown] = table[shown].astype(float)  # NaN, not None, where a score does not apply
    table = table.rename(columns={c: COLUMNS[c].title for c in shown})
    styler = table.style.format({"Labels": "{:d}", "Time (ms)": "{:.1f}", **{COLUMNS[c].title: "{:.3f}" for c in shown}},
                                na_rep="")
    oracle_rows = [r["Method"] for r in rows if r.get("oracle") == 1.0]
    if oracle_rows and binary:  # only these cells: the rest keep the first format
        styler = styler.format("{:.3f}" + ORACLE_MARK, subset=(oracle_rows, [COLUMNS[c].title for c in binary]), na_rep="")
    if regions is not None and labels:
        for word, out in (("few", lambda n: n < regions[0]), ("many", lambda n: n > regions[1])):
            flagged = [r["Method"] for r in rows if out(r["n_labels"])]
            if flagged:
                styler = styler.format("{:d} (" + word + ")", subset=(flagged, ["Labels"]))
    best = {COLUMNS[c].title: [rows[i]["Method"] for i in best_rows(c, rows, regions)] for c in shown}
    if timed:
        fastest = min(r["Time (ms)"] for r in rows)
        best["Time (ms)"] = [r["Method"] for r in rows if r["Time (ms)"] == fastest]
    for title, names in best.items():
        if names:
            styler = styler.set_properties(subset=(names, [title]), **HIGHLIGHT)
    return styler


def _region_text(maps) -> str:
    counts = sorted({len(np.unique(m)) for m in maps})
    return f"{counts[0]}{f' to {counts[-1]}' if len(counts) > 1 else ''} regions"


def _column_help(shown: list[str], regions: tuple[float, float] | None) -> str:
    """'What the columns mean', the best rule included."""
    lines = ["- **Labels**: how many labels the method's result has. "
             + (f"VoI favours few regions and PRI many, so the partition scores rank only results with about as many "
                f"labels as the ground truth has regions: (few) marks fewer than {math.ceil(regions[0])}, (many) more "
                f"than {regions[1]:g} (half and twice the ground truth's region counts); those rows take no highlight "
                "in the partition columns." if regions else "More labels can fit a ground truth more closely.")]
    if any(c in BINARY_KEYS for c in shown):
        lines.append("- **Foreground**: whose foreground the IoU, Dice, precision, recall and boundary F1 score: "
                     "*own* (label 1 of a one-threshold result, the object a prompt method answers with, Mask "
                     "R-CNN's instances) or *oracle: k of n*, the k of "
                     "the result's n labels that the ground truth picked by the majority rule (a label is foreground "
                     "when most of its pixels are). Oracle scores are marked * and never highlighted: with many small "
                     "labels, the ground truth can assemble almost any shape.")
    lines += [f"- **{COLUMNS[c].title}**: {COLUMNS[c].description}" for c in shown]
    lines.append("- **Time (ms)**: how long the method took on this image (the fastest highlighted).")
    lines.append(f"\n{best_rule(any(c in BINARY_KEYS for c in shown), regions is not None)}")
    return "\n".join(lines)


GT_TYPES = ["png", "tif", "tiff", "bmp", "gif", "webp", "npy"]
GT_KINDS = {"auto": "detect", "binary": "binary mask", "labels": "label map", "instances": "instances"}

ensure_app_frame(__file__)
image: LoadedImage = require_image()
# The image's prompts (made on Point and click, or a link's clicks, box and strokes): the prompt methods answer them.
read_link(image.sha256, image.rgb.shape[:2])
prompts: Prompts = held(image.sha256).prompts
apply_link(image.name, image.sha256, bool(prompts))
present = bool(st.session_state["cmp_present"])

if present:  # projector: no sidebar or header, larger type; the page's own CSS, no user text in it
    st.markdown(
        "<style>[data-testid='stSidebar'], [data-testid='stHeader'], [data-testid='stToolbar'] {display: none;}"
        " .block-container, [data-testid='stMainBlockContainer'] {padding-top: 1rem; max-width: 100%;}</style>",
        unsafe_allow_html=True,
    )
else:
    st.title("Compare methods")
    st.markdown(
        "Every method you tick runs on the sidebar's image with its own settings (those of its page "
        "unless you change them here). Zoom or pan in any panel and all panels follow, at full pixel "
        "detail; score them against a ground truth below. The address bar holds a link to this exact view."
    )
    if current_sample() is None:
        st.caption("A link cannot carry your uploaded image: whoever opens it gets the same methods and settings "
                   "on a sample; send the image along with it.")

# Sized for a 1280 px laptop screen with the sidebar open: no label is cut short. The methods have the whole
# width: every ticked one stays in sight (a third of it showed 2 to 4 of 25).
with st.spinner("Asking the prompt methods..."):  # the first look at an image's prompts runs the methods that answer
    offered = offer_prompt_methods(shared_results(), image, prompts)
methods = st.multiselect("Methods", offered, format_func=method_title, key="cmp_methods",
                         placeholder="Tick methods to compare")
if prompts:
    st.caption(f"{described(prompts)} on this image: the prompt methods ({', '.join(map(method_title, PROMPT_METHODS))}) "
               "answer them. Change them on Point and click.")
elif not present:
    st.caption("Add clicks, a box or scribbles on Point and click to compare the prompt methods too.")
    st.page_link("pages/prompts.py", label="Point and click", icon=":material/ads_click:")
top = st.columns([6, 3, 3])
view = top[0].selectbox("Show", list(VIEWS), format_func=VIEWS.get, key="cmp_view")
top[1].slider(VIEW_PARAMS["cols"].label, 1, 6, key="cmp_cols")
row = st.columns([5, 5, 4, 5], vertical_alignment="center")
row[0].button("Tick the article's methods", on_click=tick_article_methods, key="cmp_all", width="stretch",
              help="Every threshold, edge and clustering method (Mask R-CNN aside): the article's techniques.")
row[1].button("Add the region methods", on_click=tick_region_methods, key="cmp_regions", width="stretch",
              help="Felzenszwalb, SLIC, Quickshift, watershed and Chan-Vese: the field's standard baselines.")
row[2].toggle("Every pixel", key="cmp_full",
              help="Send every panel at the working size, so zooming in shows each pixel. Off: many panels of a "
                   "large image are drawn at every 2nd (3rd...) pixel, which the browser draws several times faster.")
row[3].toggle("Presentation mode", key="cmp_present", help="Large panels, no sidebar: for a projector.")
if not methods:
    st.info("Tick at least one method above.")
    write_link(current_sample(), [], {}, prompts)
    st.stop()

# Only the open tab's controls are drawn (the expander and its tabs rerun the page when opened or
# switched); the other methods take their values from session state, as the same controls hold them.
settings: dict[str, dict] = {}
box = st.expander("Settings of each method", key=SETTINGS_OPEN, on_change="rerun")
if box.open:
    tabs = box.tabs([method_title(m) for m in methods], key=SETTINGS_TAB, on_change="rerun")
    for method, tab in zip(methods, tabs):
        if tab.open:
            settings[method] = method_controls(method, tab)
            if not settings[method]:
                tab.caption(f"{method_title(method)} has no settings to change: it works from the image alone.")
for method in methods:
    if method not in settings:
        settings[method] = stored_controls(method)
ALPHA = 0.5  # overlay opacity of the panels


def _asked(method: str) -> Prompts | None:
    """The prompts ``method`` answers: the image's for a prompt method, None for the others."""
    return prompts if method in PROMPT_METHODS else None


def _asked_text(method: str) -> str:
    """:func:`_asked` as text, for the keys of cached pictures and scores ("" for a method without prompts)."""
    return params_key(prompts.to_text()) if method in PROMPT_METHODS else ""


# ----------------------------------------------------------------------------- results
# Each method's panel, scores and before/after picture are cached apart from its result, keyed by the
# image's SHA-256 and the settings: a rerun after one control change fetches only small pictures and
# numbers, never the other methods' full label maps and extras.


problems: dict[str, str] = {}
outcome: dict[str, tuple] = {}
run_params: dict[str, dict] = {}  # what each method runs with: its settings
kind = "boundaries" if view == "boundaries" else "colors"
full_detail = bool(st.session_state["cmp_full"])
scale = 1 if full_detail else panel_scale(len(methods), image.size)
for method in methods:
    # Remembered for the session: after a page switch the controls start from this (their own state lasts
    # only while the visitor stays on this page).
    remember_settings(method, settings[method])
    params = run_params[method] = dict(settings[method])
    if method == "maskrcnn":
        problem = maskrcnn_problem(params["variant"])
        if problem:
            problems[method] = problem
    missing = weights_missing(method, params) if method in PROMPT_METHODS else None
    if missing:
        problems[method] = f"{method_title(method)}: {missing}"

# Two at a time: on 2 cores, 20 methods at 1600 x 1200 took 0.60 s against 1.0 s one by one. Each worker
# makes its panel's picture too, and keeps no result: they stay in the shared result cache. (Drawing the
# pictures in the script's thread instead took 10-30 % longer and held every result at once.)
WORKERS = 2
PROGRESS_EVERY_S = 1.0
jobs = [m for m in methods if m in run_params and m not in problems]
# One time budget for the whole page (segcore.cost): the dearest methods run smaller where the sum is over it.
notes: dict[str, str] = {}
for method, (params, note) in shared({m: run_params[m] for m in jobs}, image.rgb.shape, workers=WORKERS).items():
    run_params[method] = params
    if note:
        notes[method] = note
seconds = {m: estimate(m, image.rgb.shape, run_params[m]) for m in jobs}
slow = "Mask R-CNN (seconds on a CPU) and " if "maskrcnn" in jobs else ""
bar = st.progress(0.0, text=f"Running {slow}{len(jobs)} method(s)...")
results, pictures = shared_results(), _pictures()  # fetched here: the workers make no Streamlit calls


def _work(method: str) -> tuple:
    return _panel(results, pictures, method, image, run_params[method], kind, scale, _asked(method))


def _running(futures: dict, pending: set) -> str:
    """The progress text: the methods running now with their estimates, and those left to start."""
    running = [(method_title(futures[f]), seconds[futures[f]]) for f in pending if f.running()]
    return progress_text(running, [method_title(futures[f]) for f in pending if not f.running()])


with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="compare") as pool:
    # Dearest first (by the estimates): the last to finish is then a cheap method, not k-means or the mixture
    # started late, and the thresholds after the edges find the gray these converted. The 20 classic methods at
    # 1600 x 1200, two at a time: 605 ms median against 757 ms in the page's order (8 interleaved runs).
    futures = {pool.submit(_work, m): m for m in sorted(jobs, key=lambda m: -seconds[m])}
    pending, shown_at = set(futures), time.perf_counter()
    while pending:
        finished, pending = wait(pending, timeout=PROGRESS_EVERY_S, return_when=FIRST_COMPLETED)
        for future in finished:
            method = futures[future]
            try:
                outcome[method] = future.result()
            except MethodFailed as exc:
                outcome[method] = (None, 0, 0.0, str(exc), "", "")
            if outcome[method][3]:
                problems[method] = outcome[method][3]
        # Each update redraws the page in the browser (about 0.1-0.2 s of a core on this page, 2 cores shared with
        # the methods): none for a run that is over in well under a second, one a second for the slow ones.
        if pending and time.perf_counter() - shown_at > PROGRESS_EVERY_S:
            bar.progress(1 - len(pending) / len(jobs), text=_running(futures, pending))
            shown_at = time.perf_counter()
bar.empty()
done = [m for m in methods if m in outcome and outcome[m][0] is not None]

panels: list[Panel] = []
for method in methods:
    if method not in done:
        panels.append(Panel(f"<b>{method_title(method)}</b>", None, *image.size, message=problems.get(method, "")))
        continue
    picture, n_labels, elapsed, _, answer, _ = outcome[method]
    # As many settings as fit a panel's width (more panels a row, narrower panels).
    shown = key_settings(method, settings[method], width={1: 80, 2: 44, 3: 26}.get(int(st.session_state["cmp_cols"]), 16))
    # Two short lines: long method names and settings overran into the next panel on one line. A prompt method's:
    # its answer's time and confidence, as on Point and click.
    said = answer or f"{n_labels} labels, {elapsed * 1000:.0f} ms"
    title = f"<b>{method_title(method)}</b><br>{said}" + (f"; {shown}" if shown else "")
    panels.append(Panel(title, picture, *image.size, scale=scale, prompts=_asked(method)))

cols = int(st.session_state["cmp_cols"])  # as the slider says, in presentation mode too
# Panels as tall as the image's shape needs in a page about 950 px wide (1350 in presentation mode, no sidebar).
page_width = 1350 if present else 950
panel_height = int(np.clip(page_width / cols * image.size[1] / image.size[0], 160, 900))
fig = grid_figure(
    panels, photo=_photo_uri(image.sha256, scale, image.rgb) if view != "labels" else None, view=view, alpha=ALPHA,
    columns=cols, panel_height=panel_height, font_size=20 if present else (14 if cols <= 3 else 12),
)
st.plotly_chart(fig, key="cmp_grid", config={"scrollZoom": True, "displaylogo": False})
if scale > 1:
    st.caption(f"{len(methods)} panels of {image.size[0]} x {image.size[1]} px: drawn at every {scale}{dict([(2, 'nd'), (3, 'rd')]).get(scale, 'th')} pixel "
               f"({-(-image.size[0] // scale)} x {-(-image.size[1] // scale)}) to stay fast. Turn on **Every pixel** "
               "to zoom into full detail; the downloads always hold every pixel.")
for method, problem in problems.items():
    st.caption(f"**{method_title(method)}**: {plain(problem, 300)}")
for method in done:
    if outcome[method][5]:  # a prompt method's note: it worked on a reduced window
        st.caption(f"**{method_title(method)}**: {plain(outcome[method][5], 300)}")
for note in notes.values():
    st.info(note)

# ----------------------------------------------------------------------------- before / after


# Opened on demand (the expander reruns the page): closed, nothing of it is made or sent, which takes
# about 0.1 s off each new image's first render in the browser on 2 cores.
wipe_box = st.expander("Before and after: one method against the original", key=WIPE_OPEN, on_change="rerun") \
    if done and not present else None
if wipe_box is not None and wipe_box.open:
    b1, b2 = wipe_box.columns([2, 3])
    chosen = b1.selectbox("Method", done, format_func=method_title, key="cmp_before", persist_state="page")
    split = b2.slider("Wipe: the original left of it, the result right of it", 0.0, 1.0, 0.5, 0.01, key="cmp_split",
                      persist_state="page")
    picture = _wipe(chosen, image.sha256, params_key(run_params[chosen]), split, _asked_text(chosen), image,
                    run_params[chosen], _asked(chosen))
    wipe_box.image(picture, caption=f"Left: the working image. Right: {method_title(chosen)}.", output_format="JPEG",
                   width=min(shown_image(image).shape[1] * 2, 960))  # small samples at most doubled: pixels stay crisp

# ----------------------------------------------------------------------------- ground truth and scores


GT_HELD = "cmp_gt_held"  # {image SHA-256: (file names, bytes)}: the uploaded ground truths of this visit, per image


def gt_upload_key(image_sha: str) -> str:
    """The ground-truth uploader's key: one uploader per image, so a new image starts with none."""
    return f"cmp_gt_upload.{image_sha[:16]}"


def _hold_ground_truth(image_sha: str) -> None:
    """Uploader callback: keep (or, emptied, forget) the image's ground-truth files for the session.

    The uploader's own state ends when it is not drawn (presentation mode,
    another page); what it held stays here, in memory, with its image.
    """
    files = st.session_state.get(gt_upload_key(image_sha)) or []
    held = st.session_state.setdefault(GT_HELD, {})
    if files:
        held[image_sha] = (tuple(f.name for f in files), [f.getvalue() for f in files])
    else:
        held.pop(image_sha, None)


def _forget_ground_truth(image_sha: str) -> None:
    st.session_state.setdefault(GT_HELD, {}).pop(image_sha, None)


gt: GroundTruth | None = None
gt_files: list[str] = []
sample = current_sample()
shipped = sample_ground_truth(sample) if sample else None
sources = (["sample"] if shipped is not None else []) + ["upload", "none"]
held = st.session_state.get(GT_HELD, {}).get(image.sha256)
# The choices last the session (persist_state): presentation mode, which does not draw them, and other pages keep them.
if not present:
    st.header("Scores against a ground truth")
    g1, g2, g3 = st.columns([3, 3, 2])
    g1.radio(
        "Ground truth", sources, key="cmp_gt_source", horizontal=True, persist_state="session",
        format_func={"sample": f"the sample's ({SAMPLES[sample].title if sample else ''})",
                     "upload": "upload my own", "none": "none"}.get,
    )
    g3.slider("Boundary tolerance (px)", 0, 10, 2, key="cmp_tolerance", persist_state="session",
              help="A boundary pixel counts as found within this distance of the true boundary.")
source = st.session_state.get("cmp_gt_source", sources[0])
source = source if source in sources else sources[0]
tolerance = int(st.session_state.get("cmp_tolerance", 2))
if source == "sample":
    gt = _sample_truth(sample, image.original_size, image.size)
    gt_files = [f"{sample} (shipped with the app)"]
    if not present:
        g2.caption(f"{GT_KINDS[gt.kind].capitalize()}. {plain(gt.source, 300) if gt.source else ''}")
elif source == "upload":
    if not present:
        g2.file_uploader(
            "Ground-truth file(s) of this image", type=GT_TYPES, accept_multiple_files=True,
            key=gt_upload_key(image.sha256), on_change=_hold_ground_truth, args=(image.sha256,),
            help="A binary mask, or a label image with one value per region or object (PNG, TIFF, BMP, NPY). "
                 "Several files: several people's ground truths of the same image (as the Berkeley benchmark). "
                 "Kept in memory only, with this image: another image starts without one.",
        )
        g3.selectbox("It holds", list(GT_KINDS), format_func=GT_KINDS.get, key="cmp_gt_kind", persist_state="session",
                     help="Detect: two values are a binary mask, more are a label map. A label map has one value per "
                          "region; instances one value per object (0: background).")
        if held and not st.session_state.get(gt_upload_key(image.sha256)):  # drawn again after another page
            g2.caption(f"Using {plain(', '.join(held[0]), 300)}, uploaded earlier for this image.")
            g2.button("Forget it", key="cmp_gt_forget", on_click=_forget_ground_truth, args=(image.sha256,))
    if held:
        names, payloads = held
        gt_files = list(names)
        try:
            gt = _ground_truth(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in payloads)).hexdigest(),
                               st.session_state.get("cmp_gt_kind", "auto"), tuple(names), image.original_size,
                               image.size, payloads)
        except GroundTruthError as exc:
            st.error(plain(str(exc), 600))
if present and gt is not None:
    st.header("Scores")


rows: list[dict] = []
matches: dict[str, list] = {}
if gt is not None and done:
    gt_key = hashlib.sha256(b"".join(np.ascontiguousarray(m).tobytes() for m in gt.maps)).hexdigest() + gt.kind
    # Named, since a ground truth belongs to one image: the scores say which image and which file(s) they used.
    st.markdown(f"Scores of **{plain(image.name, 120)}** against the ground truth **{plain(', '.join(gt_files), 300)}**.")
    with st.spinner("Scoring..."):
        for method in done:
            row = {"method": method, "Method": method_title(method), "n_labels": outcome[method][1],
                   "Time (ms)": round(outcome[method][2] * 1000, 1)}
            details = _scores(method, image.sha256, params_key(run_params[method]), _asked_text(method), gt_key,
                              tolerance, image, run_params[method], _asked(method), gt)
            row.update(details["scores"])
            row["Foreground"] = _foreground_text(details["scores"]["oracle"], details["picked"], row["n_labels"])
            matches[method] = details["matches"]
            rows.append(row)
    shown = [c for c in COLUMNS if c != "oracle" and any(not _missing(r.get(c)) for r in rows)]
    binary = any(c in BINARY_KEYS for c in shown)
    regions = region_range(gt.maps) if any(c in PARTITION_KEYS for c in shown) else None
    tables = [(title, [c for c in shown if c in keys]) for title, keys in SCORE_TABLES]
    tables = [(title, columns) for title, columns in tables if columns]
    for i, (title, columns) in enumerate(tables):  # one table a family: every column in sight, no sideways scroll
        if len(tables) > 1:
            st.markdown(f"**{title}**")
        table = _score_table(rows, columns, regions, timed=i == 0)
        if present:  # for the back of the room: a plain table in large type, every row and column in sight
            st.table(table.set_properties(**{"font-size": "1.6rem"}))
        else:
            st.dataframe(table, key=f"cmp_scores_{i}", placeholder="–", height="content")  # every row
    st.caption(
        f"One row per method (click a header to sort); – where a score does not apply to the method. "
        f"{best_rule(binary, regions is not None)} {SCORE_RULE + ' ' if binary else ''}"
        f"Ground truth: {plain(', '.join(gt_files), 300)} ({gt.kind}"
        + (f", {len(gt.maps)} maps: scores are means over them" if len(gt.maps) > 1 else "")
        + (f"; {_region_text(gt.maps)}" if regions else "") + ")."
    )
    for method, found in matches.items():
        if gt.kind == "instances" and method == "maskrcnn":
            with st.expander(f"{method_title(method)}: each detection and the ground-truth object it matched (IoU >= 0.5)"):
                if found:
                    st.dataframe(pd.DataFrame(found), hide_index=True, key="cmp_matches")
                else:
                    st.caption("No detection matched a ground-truth object at IoU 0.5.")
    with st.expander("What the columns mean"):
        st.markdown(_column_help(shown, regions))
    if shown:
        c1, _ = st.columns([2, 3])
        y = c1.selectbox("Score for the chart", shown, format_func=lambda c: COLUMNS[c].title, key="cmp_chart_metric")
        data = sorted((r for r in rows if not _missing(r.get(y))), key=lambda r: r[y],
                      reverse=COLUMNS[y].higher_is_better)  # the better scores get their names written first
        points = [Point(r["Method"], get_method(r["method"]).family, r["Time (ms)"], r[y],
                        oracle=y in BINARY_KEYS and r["oracle"] == 1.0) for r in data]
        st.plotly_chart(score_chart(points, COLUMNS[y].title, COLUMNS[y].higher_is_better), key="cmp_chart")
elif gt is None and not present and source == "none":
    st.caption("No ground truth: the panels compare the methods with each other only.")

# ----------------------------------------------------------------------------- export


def _metrics_csv() -> str | None:
    """The scores table as the CLI writes it (segcore.batch.write_csv: one row per method), None without a ground truth."""
    if not rows:
        return None
    buf = io.StringIO()
    write_csv(buf, [{
        "image": image.name, "method": r["method"], "params": params_json(run_params[r["method"]]),
        "width": image.size[0], "height": image.size[1], "time_ms": round(outcome[r["method"]][2] * 1000.0, 3),
        "ground_truth": ";".join(gt_files), "kind": gt.kind, "error": "", **{c: r.get(c) for c in COLUMNS},
    } for r in rows], list(COLUMNS))
    return buf.getvalue()


def _zip() -> bytes:
    results = {m: cached_result(m, image, run_params[m], _asked(m)) for m in done}
    truth = None if gt is None else {"files": gt_files, "kind": gt.kind, "source": gt.source, "maps": len(gt.maps)}
    return comparison_zip(image, results, max_side=working_max_side(), alpha=ALPHA, metrics_csv=_metrics_csv(),
                          ground_truth=truth, prompts=prompts if any(m in PROMPT_METHODS for m in done) else None)


if done:
    st.download_button(
        "Download this comparison (zip)", data=_zip, file_name=f"{image.name.rsplit('.', 1)[0]}_comparison.zip",
        mime="application/zip", on_click="ignore", key="cmp_zip",
        help="Every label map (16-bit PNG), every overlay, the scores (CSV) and a manifest with the exact "
             "parameters, library versions and the command line that reproduces each panel.",
    )
write_link(current_sample(), methods, settings, prompts)
