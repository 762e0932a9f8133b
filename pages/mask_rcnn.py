"""Mask R-CNN page: per-object class, box, mask and score, with instance and semantic views."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from pages._controls import control, kept_choice
from pages._image_input import KEEP, ensure_app_frame, require_image
from pages._result_view import (
    MethodFailed,
    at_most_twice,
    budgeted,
    cached_result,
    download_name,
    failure_message,
    remember_settings,
    shown_pair,
)
from pages._weights_secret import weights_from_secrets
from segcore.io.loading import LoadedImage, load_array
from segcore.methods.maskrcnn import (
    WeightsUnavailable,
    cache_dir,
    coco_json,
    file_name,
    get_model,
    host_advice,
    pick_device,
    resolve_weights,
)
from segcore.methods.maskrcnn.instances import select_instances
from segcore.methods.maskrcnn.shapes import make_sample
from segcore.methods.maskrcnn.weights import explicit_weights
from segcore.palette import label_colors
from segcore.render import (
    display_factor,
    display_labels,
    draw_boxes,
    label_png,
    overlay,
    rgb_png,
)
from segcore.result import Segmentation, build_legend

ensure_app_frame(__file__)
LOG = logging.getLogger(__name__)
#: What the person at the screen can do at once when the COCO weights are missing (with the button after it).
OFFLINE_OFFER = ("**Click Run the offline demo** to see Mask R-CNN at work now, with no download: a small model "
                 "trained in this project on circles, squares and triangles (the *Offline demo* of *Model* above).")


def _run_offline_demo() -> None:
    st.session_state["mr_variant"] = "shapes"


def _no_weights(why: str, variant: str) -> None:
    """Offer the offline demo first (one click), then tell the host what to do; the full report goes to the log.

    The page names no server path: :func:`segcore.methods.maskrcnn.host_advice`.
    """
    LOG.warning("Mask R-CNN %s weights unavailable: %s", variant, why)
    st.warning(f"No {variant} weights on this server yet: {why}")
    st.info(OFFLINE_OFFER)
    st.button("Run the offline demo", key="mr_offline", type="primary", on_click=_run_offline_demo)
    st.caption(host_advice(variant))

st.title("Mask R-CNN")
st.markdown(
    "Mask R-CNN gives, for each object, its **class**, its **bounding box**, its **pixel mask** and a "
    "**score**. This is torchvision's model with COCO weights (80 classes); the result is an instance "
    "segmentation (each object its own label) and, colouring by class only, a semantic one."
)

weights_from_secrets()  # a weights file named in Streamlit's secrets counts too

c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
variant = control(c1, "maskrcnn", "variant", key="mr_variant")
min_size = control(c2, "maskrcnn", "min_size", key="mr_min_size", widget="select_slider", disabled=variant == "shapes")
score_threshold = control(c3, "maskrcnn", "score_threshold", key="mr_score")
mask_threshold = control(c4, "maskrcnn", "mask_threshold", key="mr_mask")

PICTURES = {"sidebar": "the sidebar's image", "synthetic": "a synthetic shapes picture"}
if variant == "shapes":  # the sidebar's image, as everywhere; or a picture of the kind it was trained on
    s1, s2 = st.columns([2, 3])
    picture = kept_choice(s1, "Picture", PICTURES, format_func=PICTURES.get, key="mr_picture", widget="radio",
                          horizontal=True)
    if picture == "synthetic":
        seed = int(s2.number_input("Synthetic picture number", 100_000, 999_999, 200_001, key="mr_seed", **KEEP,
                                  help="Pictures never seen in training (it used numbers below 100,000)."))
        rgb, _, _ = make_sample(seed)
        image: LoadedImage = load_array(rgb, name=f"shapes_{seed}.png")
    else:
        image = require_image()
        if not image.name.startswith("shapes"):
            s2.caption("The small model knows only circles, squares and triangles on a plain background: on this "
                       "picture expect few or odd detections. The *Shapes* sample, or a synthetic picture, shows it at work.")
else:
    image = require_image()

# 1. Weights: a local file, the torch hub cache, or a download with a progress bar. After a failed
# download the page says why and downloads again only when asked: the button's callback notes the
# request in the session, so a rerun before this point (the app frame's, another control's) keeps it.
fail_key = f"mr_download_failed_{variant}"
retry_key = f"mr_download_retry_{variant}"


def _ask_for_the_download(key: str) -> None:
    st.session_state[key] = True


try:
    resolve_weights(variant, allow_download=False)
except WeightsUnavailable:
    retry = bool(st.session_state.pop(retry_key, False))
    if st.session_state.get(fail_key) and not retry:
        _no_weights(st.session_state[fail_key], variant)
        st.button("Try the download again", key="mr_retry", on_click=_ask_for_the_download, args=(retry_key,),
                  help="Once the cause is fixed (the network, the disk, the folder): nothing of the failed try was kept.")
        st.stop()
    with st.status(f"Downloading {file_name(variant)} (once; then it is cached)...", expanded=True) as status:
        bar = st.progress(0.0, text="Connecting...")

        def _progress(done: int, total: int | None) -> None:
            if total:
                bar.progress(min(done / total, 1.0), text=f"{done / 1e6:.1f} of {total / 1e6:.1f} MB")
            else:
                bar.progress(0.0, text=f"{done / 1e6:.1f} MB")

        try:
            resolve_weights(variant, progress=_progress)
            failure = None
        except WeightsUnavailable as exc:
            status.update(label="The Mask R-CNN weights could not be had", state="error", expanded=False)
            LOG.warning("%s", exc)  # the full report, with the server's folders, for whoever hosts the app
            # The reason, with the server's folder left unnamed (the log names it).
            failure = (f"the download failed: {exc.__cause__}".replace(str(cache_dir()), "torch hub's folder")
                       if exc.__cause__ is not None else "no usable weights file was found")
        else:
            status.update(label=f"Downloaded {file_name(variant)}", state="complete", expanded=False)
    if failure is not None:
        st.session_state[fail_key] = failure
        _no_weights(failure, variant)
        st.stop()
    st.session_state.pop(fail_key, None)


# 2. The model: one per (variant, device, weights file named), shared by every session. A load that
# raises is not kept (Streamlit caches only what returns): the next run tries again.
@st.cache_resource(show_spinner="Loading Mask R-CNN (importing torch, reading the weights)...")
def _model(variant: str, device: str, named_file: str):
    """``named_file`` (the file a variable or secret names, or "") keys the cache as it keys get_model's."""
    return get_model(variant, device)


def _failed(message: str) -> None:
    """Say why Mask R-CNN could not load or run, offer the next try, and stop the page.

    Nothing of a failed attempt is cached (st.cache_resource and the result
    cache keep only what returned), so the button's rerun tries again.
    """
    st.error(message)
    st.button("Try again", key="mr_try_again", help="Loads and runs the model again (nothing of the failed try was kept).")
    st.stop()


device = pick_device("auto")
try:
    named = explicit_weights(variant)
    model = _model(variant, device, str(named[0]) if named else "")
except WeightsUnavailable as exc:  # e.g. a damaged file: the message says which and what to do
    _failed(str(exc))
except Exception as exc:  # noqa: BLE001 - out of memory while loading; anything else is a bug and shows as one
    if (why := failure_message("maskrcnn", exc)) is None:
        raise
    _failed(why)

# 3. Inference (cached per image and model settings); class filter and cap applied afterwards.
params = dict(variant=variant, score_threshold=score_threshold, mask_threshold=mask_threshold, min_size=min_size)
remember_settings("maskrcnn", params)
params = budgeted("maskrcnn", image, params, say=True)  # within the app's time budget, saying what it cut
with st.spinner(f"Running Mask R-CNN {variant} on {device}..."):
    try:
        full = cached_result("maskrcnn", image, params)
    except MethodFailed as exc:  # out of memory, or the model would not load: say so, offer the next try
        full = None
        _failed(str(exc))
    except ValueError as exc:  # refused: these settings or this image
        full = None
        st.warning(f"Mask R-CNN: {exc}")
if full is None:
    st.stop()
found = list(full.extras["class_counts"])
f1, f2 = st.columns([3, 1])
chosen = f1.multiselect("Classes to keep (empty keeps all)", found, key="mr_classes")
max_instances = int(f2.number_input("Maximum instances", 1, 100, 100, key="mr_max", **KEEP))
seg = select_instances(full, classes=chosen, max_instances=max_instances)
ex = seg.extras

m1, m2, m3, m4 = st.columns(4)
m1.metric("Instances", len(ex["instances"]))
m2.metric("Classes", len(ex["class_counts"]))
m3.metric("Inference time", f"{full.extras['inference_s']:.2f} s")
m4.metric("Device", str(full.extras["device"]).upper())

alpha = st.slider("Overlay opacity", 0.0, 1.0, 0.5, 0.05, key="mr_alpha", **KEEP)
boxes = [inst["box"] for inst in ex["instances"]]
texts = [f"{inst['class']} {inst['score']:.2f}" for inst in ex["instances"]]
colors = [lab.color for lab in seg.legend if lab.value]


def instance_picture(rgb, instances: Segmentation, scale: int = 1):
    """The instance view: masks blended over ``rgb``, boxes (in working-image pixels / ``scale``) and tags."""
    shown_boxes = [[v / scale for v in box] for box in boxes]
    return draw_boxes(overlay(rgb, instances, alpha=alpha, skip_zero=True), shown_boxes, texts, colors)


# Drawn at display size (the label maps subsampled, exact colours); the download is full size.
shown_rgb, shown_seg = shown_pair(image, seg)
factor = display_factor(seg.labels.shape)
instance_view = instance_picture(shown_rgb, shown_seg, factor)
class_ids = sorted(ex["semantic_names"])
palette = label_colors(max(class_ids) + 2)
shown_semantic = display_labels(ex["semantic"])
semantic_seg = Segmentation(
    "maskrcnn_semantic", shown_semantic,
    build_legend(shown_semantic, ex["semantic_names"], {c: tuple(int(v) for v in palette[c + 1]) for c in class_ids}),
    seg.params, 0.0,
)
semantic_view = overlay(shown_rgb, semantic_seg, alpha=alpha, skip_zero=True)

v1, v2 = st.columns(2)
v1.subheader("Instance segmentation")
v1.image(instance_view, caption="Each object its own colour, its box and 'class score'", width=at_most_twice(instance_view))
v2.subheader("Semantic segmentation")
v2.image(semantic_view, caption="The same pixels coloured by class only", width=at_most_twice(semantic_view))
if ex["class_counts"]:
    v2.markdown(", ".join(f"**{name}**: {n}" for name, n in ex["class_counts"].items()))
else:
    st.info("No object scored above the threshold: lower the score threshold or try another image.")

if ex["instances"]:
    st.dataframe(
        {
            "#": [i["id"] for i in ex["instances"]],
            "class": [i["class"] for i in ex["instances"]],
            "score": [round(i["score"], 3) for i in ex["instances"]],
            "box x0, y0, x1, y1": [", ".join(f"{v:.0f}" for v in i["box"]) for i in ex["instances"]],
            "mask area (px)": [i["mask_area"] for i in ex["instances"]],
            "mask area (%)": [round(i["mask_share"], 2) for i in ex["instances"]],
        },
        hide_index=True,
    )

d1, d2, d3, d4 = st.columns(4)
d1.download_button("Instance label map (16-bit PNG)", data=lambda: label_png(seg.labels),
                   file_name=download_name(image, seg, "instances"), mime="image/png", on_click="ignore", key="mr_dl_inst")
d2.download_button("Semantic map (16-bit PNG)", data=lambda: label_png(ex["semantic"]),
                   file_name=download_name(image, seg, "semantic"), mime="image/png", on_click="ignore", key="mr_dl_sem",
                   help="Each pixel holds its object's COCO class id (0: background).")
d3.download_button("Overlay (PNG)", data=lambda: rgb_png(instance_picture(image.rgb, seg)),
                   file_name=download_name(image, seg, "overlay"), mime="image/png", on_click="ignore", key="mr_dl_overlay")
d4.download_button("COCO results (JSON)", data=lambda: coco_json(seg, indent=1),
                   file_name=download_name(image, seg, "coco").replace(".png", ".json"), mime="application/json",
                   on_click="ignore", key="mr_dl_coco")
st.caption(
    f"Model loaded from {Path(model.segcore['weights']).name} in {model.segcore['load_s']:.1f} s. Inference under "
    "torch.inference_mode(), one request at a time (the model is shared by every session)."
)
