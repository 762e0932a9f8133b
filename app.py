"""Segmentation explorer: the entry point, navigation and shared sidebar.

Run with ``streamlit run app.py``. This script is the frame around every page:
it sets the page config, draws the sidebar's image source (so the image
persists across pages) and routes to the page chosen in the navigation.
"""

from __future__ import annotations

import streamlit as st

from pages._gc_freeze import freeze_new_imports
from pages._huge_pages import avoid_huge_pages
from pages._image_input import app_frame, image_sidebar

st.set_page_config(page_title="Segmentation explorer", page_icon="🧩", layout="wide")
avoid_huge_pages()  # a fresh server's memory growth on 4 KB pages: see pages/_huge_pages.py

# Each url_path is its file's name: on a freshly started server, the first visit's address is
# checked against the files in pages/ before st.navigation has run, and any other path shows a
# "Page not found" dialog over the page (measured with a deep link to "mask-rcnn").
PAGES = {
    "thresholding": st.Page("pages/thresholding.py", title="Thresholding", icon=":material/contrast:", url_path="thresholding"),
    "edges": st.Page("pages/edges.py", title="Edge detection", icon=":material/border_style:", url_path="edges"),
    "clustering": st.Page("pages/clustering.py", title="Clustering", icon=":material/scatter_plot:", url_path="clustering"),
    "regions": st.Page("pages/regions.py", title="Regions and superpixels", icon=":material/grain:", url_path="regions"),
    "maskrcnn": st.Page("pages/mask_rcnn.py", title="Mask R-CNN", icon=":material/person_search:", url_path="mask_rcnn"),
    "prompts": st.Page("pages/prompts.py", title="Point and click", icon=":material/ads_click:", url_path="prompts"),
    "compare": st.Page("pages/compare.py", title="Compare methods", icon=":material/compare:", url_path="compare"),
    "explainer": st.Page("pages/explainer.py", title="Explainer: which task is which", icon=":material/school:", url_path="explainer"),
}

SUMMARY_TABLE = """
| Technique | What it does | Advantages | Limitations |
|---|---|---|---|
| **Region-based (thresholds)** | Separates objects into regions by one or more threshold values on the gray levels. | Simple calculations; fast; works well when object and background have high contrast. | When there is no significant grayscale difference, or gray values of object and background overlap, accurate segments are hard to get. |
| **Edge detection** | Uses discontinuous local features (edges) to find the boundaries of objects. | Good for images with good contrast between objects. | Not suitable when there are too many edges in the image or little contrast between objects. |
| **Clustering (k-means)** | Divides the pixels into homogeneous clusters (here by colour, optionally position). | Works well on small data and makes excellent clusters. | Computation can be costly on large images; k-means is distance-based and cannot find non-convex clusters; k must be chosen. |
| **Mask R-CNN** | Gives three outputs for each object: its class, its bounding box and its pixel mask (plus a score). | Simple, flexible and general approach; state of the art among these four for instance segmentation. | Long training time; needs labelled data and a GPU to be fast. |
"""


def home() -> None:
    st.title("Segmentation explorer")
    st.markdown(
        "See, side by side and with the numbers that explain them, how the classic image "
        "segmentation techniques carve up **your own image**: thresholds, edge detection, "
        "k-means clustering and Mask R-CNN. Pick a sample or upload a photo in the "
        "sidebar; it stays chosen as you move between pages."
    )
    st.subheader("The techniques")
    for key, blurb in [
        ("thresholding", "global and multi-level thresholds, Otsu, Li, Yen and more, local (adaptive) thresholds"),
        ("edges", "the article's Sobel and Laplace kernels by convolution, Canny, LoG, regions between edges"),
        ("clustering", "k-means on pixel colours (RGB or CIELAB, optional position) and a Gaussian mixture"),
        ("regions", "the field's baselines: Felzenszwalb's graph segmentation, SLIC superpixels and their merging, "
                    "Quickshift, watershed, Chan-Vese active contours"),
        ("maskrcnn", "torchvision's Mask R-CNN: each object's class, box, mask and score; instance and semantic views"),
        ("prompts", "click on an object, drag a box or paint scribbles: flood fill, watershed, random walker, "
                    "GrabCut, a pixel classifier and SAM 2.1 answer side by side"),
        ("compare", "every method side by side on one image: linked zoom, scores against a ground truth, one zip"),
        ("explainer", "classification vs object detection vs semantic and instance segmentation, side by side"),
    ]:
        # The link and, beside it, what the page holds: a link's label is one line, cut short where it is longer.
        link, text = st.columns([2, 5], vertical_alignment="center")
        link.page_link(PAGES[key], label=f"**{PAGES[key].title}**", icon=PAGES[key].icon)
        text.markdown(blurb[0].upper() + blurb[1:] + ".")

    st.subheader("Summary of the techniques")
    st.markdown(SUMMARY_TABLE)
    st.caption(
        "Corrected from the source article, whose summary table has its cells shifted between rows: "
        "there thresholding's limitation (no significant grayscale difference) stands as an advantage "
        "and clustering is credited with 'state-of-the-art', which belongs to Mask R-CNN."
    )
    st.subheader("Where this dashboard differs from the article")
    st.markdown(
        "- **Names.** Several global thresholds make a *multi-level* threshold, not a 'local' one; a "
        "*local (adaptive)* threshold is one that varies across the image (see the local method on "
        "the thresholding page).\n"
        "- **The mean in the article's loops.** The article thresholds pixel by pixel in a Python loop "
        "and recomputes `gray_r.mean()` over the very array it is overwriting, so the mean drifts as the "
        "loop runs. We apply the rule it describes, `gray > gray.mean()` with the mean of the image, "
        "vectorised: the same labels as the rule, thousands of times faster.\n"
        "- **k-means speed.** The article fits k-means on every pixel. By default we fit on a sample "
        "and assign every pixel: the same inertia as the full fit to within 0.5 % on seven test photos for k up "
        "to 8 (on average slightly lower than the full fit's; at k = 12, up to 2.5 % higher), 9 to 16 x faster at 1 MP "
        "on 2 cores, depending on the photo and the load "
        "(`make bench` measures it); the "
        "*exact* option runs the article's full fit.\n"
        "- **Convolution.** `scipy.ndimage.convolve` flips the kernel (true convolution); we use it "
        "exactly as the article does, and the edge page shows the flipped kernel at work."
    )


nav = st.navigation(
    [st.Page(home, title="Home", icon=":material/home:", default=True, url_path="home"), *PAGES.values()]
)
try:
    with app_frame():  # the page's ensure_app_frame() sees it ran through here
        image_sidebar()  # after st.navigation, before the page: drawn on every page, kept across pages
        nav.run()
finally:  # also when a page stops early (st.stop)
    freeze_new_imports()  # Streamlit's collection after each run then skips the libraries' objects
