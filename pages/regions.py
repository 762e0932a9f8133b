"""Regions and superpixels page: graph-based segmentation, SLIC, Quickshift, watershed, Chan-Vese."""

from __future__ import annotations

import streamlit as st

from pages._compare_controls import method_controls
from pages._controls import kept_choice
from pages._image_input import ensure_app_frame, require_image
from pages._result_view import at_most_twice, run_cached, show_result
from segcore.io.loading import LoadedImage
from segcore.registry import get_method
from segcore.render import boundary_image, for_display, to_uint8

METHODS = ("felzenszwalb", "slic", "quickshift", "watershed", "chan_vese")

#: What each method optimises, and when it fails: one paragraph each.
EXPLAIN = {
    "felzenszwalb": (
        "**What it optimises.** Every pixel is a node of a graph whose edges join neighbours, weighted by "
        "their colour difference. Regions grow by merging along the weakest edges first (Kruskal's order). "
        "Two regions merge when the edge between them is no stronger than the variation inside either, "
        "plus a tolerance of *scale / size*. So small regions merge easily and large ones only across weak "
        "boundaries; the result is neither too coarse nor too fine in the authors' sense.\n\n"
        "**When it fails.** A gradual ramp with no strong edge leaks into one region. Texture (grass, fabric) "
        "breaks into many small regions unless *scale* and *smallest region* grow. *scale* has no absolute "
        "meaning: the same value gives bigger regions on a smaller image."
    ),
    "slic": (
        "**What it optimises.** SLIC is k-means on (L*, a*, b*, x, y), started from a grid of about "
        "*n* seeds. Each centre searches only a window twice the grid step wide, which makes it linear in "
        "the pixel count. *Compactness* weighs position against colour: high values give square tiles, low "
        "values follow colour boundaries. Superpixels are not objects; merging them on a region adjacency "
        "graph of mean colours (delta-E between neighbours) turns them into regions.\n\n"
        "**When it fails.** An object smaller than the grid step is absorbed by its neighbours. The merge "
        "threshold is one number for the whole picture, so low-contrast boundaries merge away while a "
        "shaded surface stays split."
    ),
    "quickshift": (
        "**What it optimises.** Quickshift is mode seeking. It estimates a density over (colour, position) "
        "with a Gaussian of *kernel size*, links each pixel to its nearest neighbour of higher density within "
        "*max distance*, and cuts the links longer than that. Each tree of links is a segment. There is no "
        "number of segments to choose and no grid, so segments follow the image's own modes.\n\n"
        "**When it fails.** It is slow: the work per pixel grows with the kernel's area. On flat or noisy "
        "areas the density has many shallow modes and segments fragment, while one dominant colour can "
        "swallow a large area."
    ),
    "watershed": (
        "**What it optimises.** Read the gradient as a relief, with edges as ridges. Water rises from markers "
        "and each basin keeps the pixels it reaches first; basins meet on the ridges. This is the standard way "
        "to turn edges into regions: every pixel ends in exactly one region, with no gaps for edges. Markers "
        "are the flattest patches (the image's low-gradient regions), or a regular grid. *Compactness* makes "
        "basins rounder, a superpixel method in its own right.\n\n"
        "**When it fails.** Every minimum floods: noise and texture give too many basins (raise the smoothing "
        "or the smallest marker), and a missing marker merges two objects. A weak ridge lets one basin spill "
        "into its neighbour."
    ),
    "chan_vese": (
        "**What it optimises.** A two-phase split, inside and outside a contour. It minimises the squared "
        "difference of each pixel's gray from its phase's mean, plus the contour's length. The morphological "
        "version moves the contour with morphological operators and is faster; the classic one evolves a "
        "level set.\n\n"
        "**When it fails.** An object and a background that share a mean gray but differ in texture or colour. "
        "Several objects of different brightness, since there are only two phases. Which phase is the object "
        "depends on the picture: the scores on the compare page pick the better one."
    ),
}


ensure_app_frame(__file__)
st.title("Regions and superpixels")
st.markdown(
    "The field's standard region methods, each one scikit-image call (`skimage.segmentation`, "
    "`skimage.graph`) with the result shown the same way as the article's techniques. They are the "
    "baselines a fair comparison needs: on the Berkeley benchmark's photos with human ground truth "
    "(BSDS500), Felzenszwalb-Huttenlocher reaches a probabilistic Rand index of 0.80 (Arbelaez et al., "
    "2011), where a global threshold cannot follow an object of many colours. Score them against the "
    "others on the **Compare methods** page; the project's docs/quality.md does so on every sample that "
    "ships a ground truth."
)
image: LoadedImage = require_image()

method = kept_choice(st, "Method", METHODS, format_func=lambda m: get_method(m).title, key="rg_method", widget="radio",
                     horizontal=True)
st.markdown(EXPLAIN[method])
params = method_controls(method, st.container(), prefix="rg", columns=3, keep=True)

side = max(image.rgb.shape[:2])
default_side = get_method(method).settings.get("max_side")
if params.get("max_side") is not None and side > params["max_side"]:
    how = "by default, " if params["max_side"] == default_side else ""
    st.info(
        f"{get_method(method).title} runs {how}at **{params['max_side']} px** on its long side, not at the working "
        f"image's {side} px: the image is reduced for it (area averaging) and the label map scaled back. "
        "This keeps it near or under a second on a 2-core server; choose a larger size under "
        "*Runs at most at* for finer boundaries, at the cost of time."
    )

seg = run_cached(method, image, **params)
if seg is not None:
    ex = seg.extras
    run_h, run_w = ex["run_shape"]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Regions", f"{ex['n_regions']:,}")
    m2.metric("Time", f"{seg.elapsed_s * 1000:.0f} ms")
    m3.metric("Ran at", f"{run_w} x {run_h} px")
    if "n_superpixels" in ex:
        m4.metric("Superpixels before merging", f"{ex['n_superpixels']:,}")
    elif "n_markers" in ex:
        m4.metric("Markers", f"{ex['n_markers']:,}")
    elif "means" in ex:
        m4.metric("Mean gray inside / outside", " / ".join(f"{ex['means'].get(v, float('nan')):.2f}" for v in (1, 0)))

    drawn = for_display(boundary_image(image.rgb, seg))
    st.image(drawn, width=at_most_twice(drawn),
             caption=f"{get_method(method).title}: {ex['n_regions']:,} regions, boundaries drawn on the photo")
    if "gradient" in ex:
        relief = for_display(to_uint8(ex["gradient"]))
        st.image(relief, width=at_most_twice(relief),
                 caption="The relief it floods: Sobel gradient of the smoothed gray (bright = steep)")
    show_result(image, seg, key="rg")
