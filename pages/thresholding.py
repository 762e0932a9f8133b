"""Thresholding page: the article's global and multi-level rules, automatic and local methods."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from pages._controls import control, default, kept_choice
from pages._image_input import KEEP, ensure_app_frame, plain, require_image
from pages._result_view import MethodFailed, cached_result, run_cached, show_result
from segcore.fast.gray import gray_histogram, to_gray
from segcore.io.loading import LoadedImage
from segcore.methods.threshold import AUTO_METHODS
from segcore.render import colorize, for_display, rgb_png

METHODS = {
    "global_mean": "Global threshold at the mean (article)",
    "multilevel_article": "Multi-level threshold (article's rule)",
    "multilevel": "Multi-level threshold (your values)",
    **{name: f"{title} (automatic)" for name, (title, _) in AUTO_METHODS.items()},
    "multiotsu": "Multi-Otsu (automatic, n classes)",
    "local": "Local (adaptive) threshold",
}

ensure_app_frame(__file__)
st.title("Thresholding")
st.markdown(
    "Region-based segmentation on the article's grayscale, `gray = skimage.color.rgb2gray(image)` "
    "(values 0 to 1). A **global** threshold splits all pixels at one value; several global "
    "thresholds make a **multi-level** threshold; a **local (adaptive)** threshold varies across "
    "the image."
)

image: LoadedImage = require_image()


@st.cache_data(max_entries=8, show_spinner=False)
def _histogram(image_sha: str, _rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gray_histogram(to_gray(_rgb))


method = kept_choice(st, "Method", METHODS, format_func=METHODS.get, key="thr_method")
params: dict = {}
if method == "multilevel":
    # One slider per threshold: as many as the method's default has, at its values; more spread evenly.
    start = default("multilevel", "thresholds")
    n = int(st.number_input("How many thresholds", 1, 10, len(start), key="thr_n", **KEEP))
    cols = st.columns(n)
    params["thresholds"] = tuple(
        cols[i].slider(f"Threshold {i + 1}", 0.0, 1.0, start[i] if n == len(start) else round((i + 1) / (n + 1), 3),
                       0.005, format="%.3f", key=f"thr_user_{i}", **KEEP)
        for i in range(n)
    )
elif method == "multiotsu":
    params["classes"] = control(st, "multiotsu", "classes", key="thr_classes")
elif method == "local":
    c1, c2, c3 = st.columns(3)
    params["block_size"] = control(c1, "local", "block_size", key="thr_block")
    params["offset"] = control(c2, "local", "offset", key="thr_offset", format="%.3f")
    params["method"] = control(c3, "local", "method", key="thr_local_method")

seg = run_cached(method, image, **params)
if seg is not None:
    thresholds = seg.extras["thresholds"]
    if method == "local":
        st.markdown(
            f"Block size **{params['block_size']} px**, offset **{params['offset']:+.3f}**: each pixel is "
            "compared with the weighted mean of its block minus the offset."
        )
        labels = ["Local threshold: min", "mean", "max"]
    elif method == "multilevel_article":
        labels = ["Threshold 0.25", "Threshold 0.5", "Threshold: gray mean"]
    else:
        labels = [f"Threshold {i + 1}" if len(thresholds) > 1 else "Threshold" for i in range(len(thresholds))]
    mcols = st.columns(max(len(thresholds), 1))
    for col, label, value in zip(mcols, labels, thresholds):
        col.metric(label, f"{value:.4f}")
    if method == "multilevel_article":
        st.caption(
            "The article's rule: 3 where gray > mean; else 2 where gray > 0.5; else 1 where gray > 0.25; "
            "else 0. When the mean is below 0.5, level 2 stays empty. The article's loop recomputes the "
            "mean of the array it overwrites, so its own output drifts; this is the rule as stated."
        )

    counts, edges = _histogram(image.sha256, image.rgb)
    shown = thresholds if method != "local" else thresholds[1:2]
    names = labels if method != "local" else ["local mean"]
    # Lines and labels go straight into the layout: add_vline costs ~40 ms a rerun. The bins are one
    # filled step outline, not 256 bars: the same picture, half the page elements to redraw per re-render.
    fig = go.Figure(
        data=[go.Scatter(x=(edges[:-1] + edges[1:]) / 2, y=counts, mode="lines", name="pixels",
                         line=dict(color="#4a6fa5", shape="hvh", width=1), fill="tozeroy", fillcolor="#4a6fa5")],
        layout=dict(
            height=280, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="gray level (0 to 1)",
            yaxis_title="pixels", showlegend=False, font=dict(size=15),
            shapes=[dict(type="line", x0=v, x1=v, y0=0, y1=1, yref="paper", line=dict(color="#e4572e", width=3))
                    for v in shown],
            annotations=[dict(x=v, y=1, yref="paper", text=f"{name}: {v:.3f}", showarrow=False, xanchor="left",
                              yanchor="bottom") for v, name in zip(shown, names)],
        ),
    )
    st.plotly_chart(fig, key="thr_hist")
    show_result(image, seg, key="thr")

st.subheader("Try all automatic methods")
st.caption("Each tile: the pixels above the method's threshold, titled with the method and its value.")


@st.cache_data(max_entries=64, show_spinner=False)
def _tile(image_sha: str, name: str, _image: LoadedImage) -> tuple[bytes | None, str]:
    """A small picture of one automatic method's result (PNG bytes) and its caption.

    Cached already encoded: st.image sends PNG bytes as they are (given
    ``output_format="PNG"``), where a pixel array would be encoded again on
    every rerun (8 tiles, ~15 ms a rerun).
    """
    title = AUTO_METHODS[name][0]
    try:
        result = cached_result(name, _image, {})
    except MethodFailed:
        raise  # e.g. out of memory: not cached here, the next run tries again
    except ValueError:
        return None, f"**{title}**: not found on this image"
    return rgb_png(for_display(colorize(result), 480)), f"{title}: {result.extras['thresholds'][0]:.4f}"


tiles = st.columns(4)
for i, name in enumerate(AUTO_METHODS):
    try:
        picture, caption = _tile(image.sha256, name, image)
    except MethodFailed as exc:
        picture, caption = None, plain(str(exc), 300)
    if picture is None:
        tiles[i % 4].markdown(caption)
    else:
        tiles[i % 4].image(picture, caption=caption, width="stretch", output_format="PNG")  # sent as it is
