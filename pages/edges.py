"""Edge detection page: the article's kernels by convolution, their kin, and segments between edges."""

from __future__ import annotations

import numpy as np
import streamlit as st

from pages._controls import control, default, kept_choice
from pages._image_input import KEEP, ensure_app_frame, require_image
from pages._result_view import at_most_twice, cached_result, run_cached, show_result
from segcore.fast.gray import to_gray
from segcore.io.loading import LoadedImage
from segcore.methods.edges import ARTICLE_STEPS, KERNELS, convolution_steps
from segcore.render import for_display, to_uint8

ARTICLE_KERNELS = {
    "sobel_horizontal": "Sobel, horizontal edges",
    "sobel_vertical": "Sobel, vertical edges",
    "laplace": "Laplace",
}
METHODS = {
    "sobel": "Sobel (article kernels)",
    "laplace": "Laplace (article kernel)",
    "prewitt": "Prewitt",
    "scharr": "Scharr",
    "canny": "Canny",
    "log": "Laplacian of Gaussian (LoG)",
}


def matrix_html(matrix: np.ndarray, *, name: str = "", fmt: str = "{:g}", highlight: bool = False) -> str:
    """An HTML table of a small matrix, large enough to read on a projector."""
    cell = "padding:4px 10px;text-align:right;font-family:monospace;font-size:17px;border:1px solid #999"
    bg = ";background:#fff3cd" if highlight else ""
    rows = "".join(
        "<tr>" + "".join(f'<td style="{cell}{bg}">{fmt.format(v)}</td>' for v in row) + "</tr>"
        for row in np.asarray(matrix)
    )
    return f'<table class="kernel" data-kernel="{name}" style="border-collapse:collapse;margin:4px 0">{rows}</table>'


@st.cache_data(max_entries=4, show_spinner=False)
def _gray(image_sha: str, _rgb: np.ndarray) -> np.ndarray:
    return to_gray(_rgb)


ensure_app_frame(__file__)
st.title("Edge detection")
st.markdown(
    "Edges are where the gray level changes fast. The article finds them by **convolution**: "
    "`scipy.ndimage.convolve(gray, kernel, mode='reflect')` slides a small weight matrix (the "
    "kernel) over the image. `convolve` flips the kernel before multiplying (true convolution; "
    "`correlate` would not), so the Sobel kernels below answer with the opposite sign to a "
    "correlation, exactly as in the article. The numbers shown are ndimage's, value for value, "
    "computed by OpenCV's `cv2.filter2D` with the kernel flipped (the field's standard fast kernel: "
    "about five times faster here, tested equal bit for bit on photos)."
)
image: LoadedImage = require_image()

mode = control(st, "sobel", "mode", key="edge_mode")

st.header("The article's kernels")
sobel_seg = run_cached("sobel", image, mode=mode)
laplace_seg = run_cached("laplace", image, mode=mode)
if sobel_seg is not None and laplace_seg is not None:
    responses = {**sobel_seg.extras["responses"], **laplace_seg.extras["responses"]}
    cols = st.columns(4)
    for col, (name, title) in zip(cols, ARTICLE_KERNELS.items()):
        col.markdown(f"**{title}**", help=f"`{name}`")
        col.markdown(matrix_html(KERNELS[name], name=name), unsafe_allow_html=True)
        col.image(for_display(to_uint8(responses[name], symmetric=True), 480), caption=f"{name} response (gray = 0)", width="stretch")
    cols[3].markdown("**Gradient magnitude**")
    cols[3].latex(r"\sqrt{S_h^2 + S_v^2}")
    cols[3].image(for_display(to_uint8(responses["magnitude"]), 480), caption="Sobel gradient magnitude", width="stretch")

st.header("From edges to segments")
st.markdown(
    "Pixels whose edge strength is above a threshold form the **edge mask**; the regions the edges "
    "enclose are labelled as connected components, so this page gives a label map like the others "
    "(label 0 = edges and regions too small to keep). Or flood those regions over the edge strength "
    "with the **watershed**: the edges then join the regions on either side, and no pixel is left out."
)
c1, c2, c3, c4 = st.columns(4)
method = kept_choice(c1, "Edge detector", METHODS, format_func=METHODS.get, key="edge_method")
# The edge threshold's default, None, is Otsu's automatic value: the switch starts on.
auto = c2.toggle("Otsu threshold (automatic)", value=default("sobel", "edge_threshold") is None, key="edge_auto",
                 disabled=method == "canny", **KEEP)
min_region = control(c3, method, "min_region", key="edge_min_region")
regions = control(c4, method, "regions", key="edge_regions", widget="radio")
params: dict = {"mode": mode, "min_region": min_region, "regions": regions}
if method == "canny":
    k1, k2, k3 = st.columns(3)
    params["sigma"] = control(k1, "canny", "sigma", key="canny_sigma")
    low = control(k2, "canny", "low_threshold", key="canny_low", format="%.3f")
    high = control(k3, "canny", "high_threshold", key="canny_high", format="%.3f")
    params["low_threshold"], params["high_threshold"] = min(low, high), max(low, high)
elif method == "log":
    params["sigma"] = control(st, "log", "sigma", key="log_sigma")

if method != "canny" and not auto:
    # Strength scales differ by detector (Scharr reaches ~45, LoG ~0.1): the slider spans this
    # detector's strength on this image and starts at its automatic (Otsu) threshold.
    try:  # only for the slider's range: the run below shows any note or error, once
        auto_seg = cached_result(method, image, params)
    except ValueError:  # MethodFailed too
        auto_seg = None
    top_strength = float(auto_seg.extras["strength"].max()) if auto_seg is not None else 1.0
    top_strength = top_strength if top_strength > 0 else 1.0
    start = float(auto_seg.extras["edge_threshold"]) if auto_seg is not None else top_strength / 2
    params["edge_threshold"] = st.slider(
        "Edge threshold (on the edge strength)", 0.0, top_strength, min(start, top_strength),
        top_strength / 400, format="%.4f", key=f"edge_thr_{method}", **KEEP,
    )
seg = run_cached(method, image, **params)
if seg is not None:
    ex = seg.extras
    m1, m2, m3 = st.columns(3)
    m1.metric("Edge threshold", f"{ex['edge_threshold']:.4f}" if ex.get("edge_threshold") is not None else "Canny's hysteresis")
    m2.metric("Edge pixels", f"{100 * float(np.mean(ex['edge_mask'])):.1f} %")
    m3.metric("Regions", ex["n_regions"])
    strength = for_display(to_uint8(ex["strength"]))
    st.image(strength, caption=f"{METHODS[method]}: edge strength", width=at_most_twice(strength))
    show_result(image, seg, key="edge")

st.header("Convolution, step by step")
st.markdown("\n".join(f"{step}" for step in ARTICLE_STEPS))
gray = _gray(image.sha256, image.rgb)
h, w = gray.shape
e1, e2, e3, e4 = st.columns(4)
kname = kept_choice(e1, "Kernel", ARTICLE_KERNELS, format_func=ARTICLE_KERNELS.get, key="conv_kernel")
top = e2.number_input("Patch top row", 0, h - 1, min(h // 2, h - 1), key="conv_top", **KEEP)
left = e3.number_input("Patch left column", 0, w - 1, min(w // 2, w - 1), key="conv_left", **KEEP)
stride = kept_choice(e4, "Stride", [1, 2, 3], key="conv_stride")
steps = convolution_steps(gray, KERNELS[kname], top=int(top), left=int(left), rows=3, cols=3, stride=int(stride), mode=mode)
i = st.slider("Kernel position", 1, len(steps), 1, key="conv_step", **KEEP) - 1 if len(steps) > 1 else 0
step = steps[i]
s1, s2, s3, s4 = st.columns([3, 3, 3, 2])
s1.markdown(f"**2. Image under the kernel**, centred on row {step.row}, column {step.col}")
s1.markdown(matrix_html(step.window, name="window", fmt="{:.3f}"), unsafe_allow_html=True)
s2.markdown("**1. The kernel as applied** (flipped 180 degrees by convolution)")
s2.markdown(matrix_html(step.kernel, name="applied"), unsafe_allow_html=True)
s3.markdown("**3. Element-wise products**")
s3.markdown(matrix_html(step.products, name="products", fmt="{:.3f}", highlight=True), unsafe_allow_html=True)
s4.metric("4. Sum = output pixel", f"{step.total:.4f}")
s4.caption(f"5. Next: move {stride} px right (then down). Position {i + 1} of {len(steps)}.")
outputs = np.full((3, 3), np.nan)
for s in steps:
    outputs[(s.row - int(top)) // stride, (s.col - int(left)) // stride] = s.total
st.markdown("**Output pixels of this patch**, equal to `convolve(gray, kernel)` there (0 where the patch leaves the image)")
st.markdown(matrix_html(np.nan_to_num(outputs), name="outputs", fmt="{:.4f}"), unsafe_allow_html=True)
