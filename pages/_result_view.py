"""Shared result rendering and caching for every technique page.

Pages call :func:`run_cached` (results keyed by the image's SHA-256 plus the
parameters) and :func:`show_result` (label map, overlay with opacity,
boundaries, legend, downloads). No algorithm lives here: it all comes from
segcore.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import streamlit as st

from pages._result_cache import ResultCache
from segcore.cost import SLOW_S, bounded, estimate
from segcore.io.loading import LoadedImage
from segcore.methods.maskrcnn import (
    ModelOutOfMemory,
    WeightsUnavailable,
    is_out_of_memory,
)
from segcore.methods.prompts.sam2_weights import WeightsUnavailable as Sam2WeightsUnavailable
from segcore.prompts import Prompts
from segcore.registry import get_method
from segcore.render import (
    colorize,
    display_image,
    display_labels,
    display_pair,
    label_png,
    overlay,
    rgb_png,
)
from segcore.result import Segmentation

#: Bytes of results all sessions keep together (label maps and extras; at 2 MP, 8 to 48 MB a result).
RESULTS_MAX_BYTES = 600 * 2**20


@st.cache_resource(show_spinner=False)
def shared_results() -> ResultCache:
    """The one result cache of this server, shared by every session (see :mod:`pages._result_cache`).

    Fetch it in the script's thread; worker threads get it handed over (:func:`result_in`).
    """
    return ResultCache(RESULTS_MAX_BYTES)


@st.cache_data(max_entries=8, show_spinner=False)
def _display_image(image_sha: str, _rgb: np.ndarray) -> np.ndarray:
    """The working image at display size, made once per image instead of on every rerun."""
    return display_image(_rgb)


def shown_image(image: LoadedImage) -> np.ndarray:
    """The working image at display size (cached per image)."""
    return _display_image(image.sha256, image.rgb)


def shown_pair(image: LoadedImage, seg: Segmentation) -> tuple[np.ndarray, Segmentation]:
    """:func:`segcore.render.display_pair` for the working image, its resized copy cached."""
    return display_pair(image.rgb, seg, shown_image=_display_image(image.sha256, image.rgb))


def at_most_twice(picture: np.ndarray) -> int:
    """The width to draw ``picture`` at: the column's width, but never over twice its own pixels.

    A small photo stretched across the page (a 321 px wide one drawn 1400 px wide) is blurred;
    Streamlit narrows a fixed width to the column's when the column is narrower.
    """
    return 2 * int(picture.shape[1])


def params_key(params: dict[str, Any]) -> str:
    """A stable text key for a parameter dict (tuples and lists alike)."""
    return json.dumps(params, sort_keys=True, default=str)


SETTINGS_KEY = "segcore_settings"


def remembered_settings(method: str) -> dict[str, Any]:
    """The parameters ``method`` last ran with in this session, on any page ({} if none)."""
    return dict(st.session_state.get(SETTINGS_KEY, {}).get(method, {}))


class MethodFailed(ValueError):
    """A method could not run this time: out of memory, or its model would not load. The message says why and what to do.

    A ValueError, so that a page showing a method's refusal in one line (the
    compare page's panels) shows this too. Nothing of the attempt is cached,
    by the result cache or by Streamlit (a function that raises stores
    nothing): the next run tries again.
    """


def failure_message(method: str, exc: BaseException) -> str | None:
    """What to tell the user when ``method`` failed with ``exc`` this time; None when ``exc`` is a bug, to be shown as such."""
    title = get_method(method).title
    if is_out_of_memory(exc):
        text = str(exc).strip()
        detail = text if text else type(exc).__name__
        hint = ("Choose a smaller working size in the sidebar"
                + (" or a smaller inference size" if method == "maskrcnn" else "") + ", then try again.")
        if isinstance(exc, ModelOutOfMemory):  # segcore's: says where and on what it happened already
            return f"{detail} {hint}"
        return f"{title} ran out of memory ({detail.splitlines()[0]}). Nothing was kept. {hint}"
    if isinstance(exc, (WeightsUnavailable, Sam2WeightsUnavailable)):  # a damaged weights file: the message says
        return f"{title}: {exc}"                                          # which, and the fix
    return None


def cached_result(method: str, image: LoadedImage, params: dict[str, Any], prompts: Prompts | None = None) -> Segmentation:
    """``method``'s result on the working image through the shared cache (see :func:`result_in`).

    Within this app's time budget: ``params`` are :func:`budgeted` first
    (without a note: :func:`run_cached` shows it), so the result is keyed on
    what ran. A promptable method is given ``prompts`` too.
    """
    return result_in(shared_results(), method, image, budgeted(method, image, params), prompts)


def budgeted(method: str, image: LoadedImage, params: dict[str, Any], *, say: bool = False) -> dict[str, Any]:
    """The parameters ``method`` runs with on the working image: ``params`` cut to this app's time budget.

    ``segcore.cost.bounded``: a region method runs at a smaller size,
    multi-Otsu on fewer histogram bins, ... when its estimate is over the
    budget; parameters within it come back as they are (so bounding twice
    changes nothing). ``say``: show the note saying what was cut and why.
    """
    run, note = bounded(method, image.rgb.shape, params)
    if say and note:
        st.info(note)
    return run


def result_in(cache: ResultCache, method: str, image: LoadedImage, params: dict[str, Any],
              prompts: Prompts | None = None) -> Segmentation:
    """``method``'s result on the working image from ``cache``, computed once per image and settings.

    A promptable method (family "prompts") is given ``prompts`` too, and its
    result is kept per image, prompts and settings: a new click reruns it,
    another method's setting does not.
    Calls no Streamlit API, so the compare page's worker threads use it as
    the technique pages do. Raises ValueError when the method refuses the
    image, the prompts or the parameters, and :class:`MethodFailed` (a
    ValueError too) when it could not run this time (:func:`failure_message`);
    anything else is a bug and propagates.
    """
    given = () if prompts is None else (prompts,)
    key = (method, image.sha256, params_key(params), *given)  # Prompts is frozen: equal prompts, equal key
    try:
        return cache.get(key, lambda: get_method(method).run(image.rgb, *given, **params))
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - only the failures failure_message knows are translated
        why = failure_message(method, exc)
        if why is None:
            raise
        raise MethodFailed(why) from exc


def remember_settings(method: str, params: dict[str, Any]) -> None:
    """Note the parameters ``method`` runs with, for :func:`remembered_settings`."""
    st.session_state.setdefault(SETTINGS_KEY, {})[method] = dict(params)


def run_cached(method: str, image: LoadedImage, /, **params: Any) -> Segmentation | None:
    """Run ``method`` on the working image through the cache.

    The parameters are remembered for the session (:func:`remembered_settings`),
    so the compare page starts each method with the settings last used on its
    own page. Returns None after showing a clear message when the method
    refuses this image or these parameters (a ValueError from segcore), or
    ran out of memory (an error; nothing is cached, the next run tries
    again). Parameters over this app's time budget are cut to it, with a note
    saying so (:func:`budgeted`); a run estimated over a few seconds shows a
    spinner naming the method and its estimate.
    A :class:`~segcore.methods.maskrcnn.WeightsUnavailable` propagates: the
    pages running Mask R-CNN say what to do about the weights themselves.
    """
    remember_settings(method, params)
    run = budgeted(method, image, params, say=True)
    seconds = estimate(method, image.rgb.shape, run)
    try:
        # result_in, not cached_result: ``run`` is bounded already.
        if seconds <= SLOW_S:
            return result_in(shared_results(), method, image, run)
        with st.spinner(f"Running {get_method(method).title} (about {seconds:.0f} s)..."):
            return result_in(shared_results(), method, image, run)
    except MethodFailed as exc:
        if isinstance(exc.__cause__, WeightsUnavailable):
            raise exc.__cause__  # noqa: B904 - the original error, as the calling page expects it
        st.error(str(exc))
        return None
    except ValueError as exc:
        st.warning(f"{get_method(method).title}: {exc}")
        return None


def download_name(image: LoadedImage, seg: Segmentation, what: str) -> str:
    stem = image.name.rsplit(".", 1)[0]
    return f"{stem}_{seg.method}_{what}.png"


def legend_table(seg: Segmentation) -> dict[str, list]:
    """Columns of the legend: value, colour as hex, meaning, pixels, share of pixels."""
    return (
        {
            "label": [lab.value for lab in seg.legend],
            "colour": ["#%02x%02x%02x" % lab.color for lab in seg.legend],
            "meaning": [lab.name for lab in seg.legend],
            "pixels": [lab.pixels for lab in seg.legend],
            "share %": [round(100 * lab.share, 2) for lab in seg.legend],
        }
    )


def show_result(
    image: LoadedImage,
    seg: Segmentation,
    *,
    key: str,
    skip_zero: bool = False,
    map_picture: np.ndarray | None = None,
    map_note: str = "",
) -> None:
    """Render a result: image | label map | overlay, legend, time and downloads.

    ``map_picture`` (full size) is shown as the label map instead of the
    legend colours, e.g. the article's k-means picture painted with its
    centres; ``map_note`` is added to that picture's caption.
    """
    c1, c2 = st.columns([3, 2])
    alpha = c1.slider("Overlay opacity", 0.0, 1.0, 0.5, 0.05, key=f"{key}_alpha")
    show_bounds = c2.toggle("Show boundaries", value=False, key=f"{key}_bounds")
    # Pictures are drawn at display size (cheap on every rerun); the downloads are full size.
    shown_rgb, shown_seg = shown_pair(image, seg)
    blended = overlay(shown_rgb, shown_seg, alpha=alpha, boundaries=show_bounds, skip_zero=skip_zero)
    cols = st.columns(3)
    cols[0].image(shown_rgb, caption="Working image", width=at_most_twice(shown_rgb))
    # a given picture shows the same pixels as the label map at display size
    shown_map = colorize(shown_seg) if map_picture is None else display_labels(map_picture)
    cols[1].image(shown_map, caption=f"Label map: {seg.n_labels} labels{map_note}", width=at_most_twice(shown_map))
    cols[2].image(blended, caption=f"Overlay (opacity {alpha:.2f})", width=at_most_twice(blended))
    st.caption(
        f"{get_method(seg.method).title}: {seg.n_labels} labels on {seg.shape[1]} x {seg.shape[0]} px "
        f"in {seg.elapsed_s * 1000:.0f} ms."
    )
    with st.expander("Legend: what each label means", expanded=seg.n_labels <= 16):
        table = {col: values[:200] for col, values in legend_table(seg).items()}
        st.dataframe(table, hide_index=True)
        if seg.n_labels > 200:
            st.caption(f"First 200 of {seg.n_labels} labels shown; the label PNG holds them all.")
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download label map (16-bit PNG)",
        data=lambda: label_png(seg.labels),
        file_name=download_name(image, seg, "labels"),
        mime="image/png",
        on_click="ignore",
        key=f"{key}_dl_labels",
        help="Lossless: each pixel's value is its label (0..65535), at the working size.",
    )
    d2.download_button(
        "Download overlay (PNG)",
        data=lambda: rgb_png(overlay(image.rgb, seg, alpha=alpha, boundaries=show_bounds, skip_zero=skip_zero)),
        file_name=download_name(image, seg, "overlay"),
        mime="image/png",
        on_click="ignore",
        key=f"{key}_dl_overlay",
    )
