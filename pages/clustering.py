"""Clustering page: the article's k-means on pixel colours, its options and a Gaussian mixture."""

from __future__ import annotations

import html

import streamlit as st

from pages._controls import control, kept_choice
from pages._image_input import ensure_app_frame, require_image
from pages._result_view import run_cached, show_result
from segcore.io.loading import LoadedImage
from segcore.result import Segmentation

ensure_app_frame(__file__)
st.title("Clustering")
st.markdown(
    "The article's k-means treats each pixel's colour as a point, `pic = image / 255` reshaped to "
    "(H x W, 3), fits `KMeans(n_clusters=5, random_state=0)` and repaints each pixel with its "
    "cluster's centre, `cluster_centers_[labels_]`. By default we fit `KMeans` on 10,000 pixels "
    "drawn at random and `predict` every pixel: on most photos within 1 % of the full fit's inertia, "
    "about 15 x faster at 1 MP. Tick **Exact** for the article's full fit."
)

image: LoadedImage = require_image()

ALGORITHMS = {"kmeans": "k-means", "gmm": "Gaussian mixture (the article's FAQ alternative)"}
c1, c2, c3 = st.columns(3)
algorithm = kept_choice(c1, "Algorithm", ALGORITHMS, format_func=ALGORITHMS.get, key="cl_algo", widget="radio")
k = control(c2, algorithm, "k", key="cl_k")
color_space = control(c3, algorithm, "color_space", key="cl_space", widget="radio", horizontal=True)
c4, c5, c6 = st.columns(3)
xy_weight = control(c4, algorithm, "xy_weight", key="cl_xy")
seed = int(control(c5, algorithm, "seed", key="cl_seed"))
if algorithm == "kmeans":
    exact = control(c6, "kmeans", "exact", key="cl_exact")
    params = dict(k=k, color_space=color_space, xy_weight=xy_weight, exact=exact, seed=seed)
else:
    covariance_type = control(c6, "gmm", "covariance_type", key="cl_cov")
    params = dict(k=k, color_space=color_space, xy_weight=xy_weight, covariance_type=covariance_type, seed=seed)

seg: Segmentation | None = run_cached(algorithm, image, **params)
if seg is not None:
    ex = seg.extras
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Clusters", len(seg.legend))
    if "inertia" in ex:
        m2.metric("Inertia (all pixels)", f"{ex['inertia']:.4g}")
    m3.metric("Pixels in the fit", f"{ex.get('fit_pixels', 0):,}")
    m4.metric("Time", f"{seg.elapsed_s * 1000:.0f} ms")

    if ex.get("note"):
        st.info(ex["note"])
    st.subheader("Cluster colours")
    swatches = "".join(
        f'<div class="swatch" data-share="{lab.share:.4f}" title="{html.escape(lab.name)}" '
        f'style="display:inline-block;margin:4px 10px 4px 0;text-align:center;font-size:15px">'
        f'<div style="width:72px;height:48px;border-radius:6px;border:1px solid #555;'
        f'background:#{lab.color[0]:02x}{lab.color[1]:02x}{lab.color[2]:02x}"></div>'
        f"{100 * lab.share:.1f}%</div>"
        for lab in seg.legend
    )
    st.markdown(f'<div class="swatches">{swatches}</div>', unsafe_allow_html=True)
    st.caption("Each swatch is a cluster's mean colour with its share of the pixels.")

    # The label map drawn in the legend's colours is the article's picture: each pixel repainted with
    # its cluster's (mean) colour.
    show_result(image, seg, key="cl", map_note=", each pixel repainted with its cluster's colour (the article's picture)")
