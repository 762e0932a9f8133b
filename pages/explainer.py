"""Explainer: classification vs object detection vs semantic and instance segmentation."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from pages._image_input import NAME_LIMIT, ensure_app_frame, plain, working_image
from pages._result_view import run_cached, shown_pair
from pages._weights_secret import weights_from_secrets
from segcore.explain import (
    COCO_METHOD,
    COCO_SETTINGS,
    coco_weights_missing,
    task_views,
    task_views_from_instances,
)
from segcore.methods.maskrcnn import WeightsUnavailable, pick_device
from segcore.methods.maskrcnn.shapes import SHAPES_CATEGORIES, make_sample
from segcore.render import colorize, display_factor, display_labels, draw_boxes, overlay
from segcore.result import Segmentation

NO_WEIGHTS = ("COCO weights for Mask R-CNN are not on this machine, so the four answers are shown on a "
              "synthetic picture; see the Mask R-CNN page to get them.")

ensure_app_frame(__file__)
st.title("Classification, detection, segmentation")
st.markdown(
    "Four tasks ask four different questions of the same picture. Below, a synthetic picture whose "
    "objects we know exactly (their classes and pixel masks) is answered four ways."
)
# Filled once the synthetic picture is drawn: looking for the weights may import torch (3 s).
weights_note = st.empty()

c1, c2 = st.columns([1, 3])
seed = int(c1.number_input("Picture number", 0, 99_999, 7, key="ex_seed", help="Each number draws another picture."))
n_objects = c2.slider("Objects in the picture", 2, 6, 4, key="ex_objects")


@st.cache_data(max_entries=16, show_spinner=False)
def _sample(seed: int, n: int):
    return make_sample(seed, size=320, n_min=n, n_max=n)


rgb, masks, labels = _sample(seed, n_objects)
views = task_views(masks, labels, ["background", *SHAPES_CATEGORIES[1:]])


def _legend(seg: Segmentation) -> str:
    return ", ".join(f"{lab.name} ({100 * lab.share:.0f}%)" for lab in seg.legend if lab.value)


top, bottom = st.columns(2), st.columns(2)
cols = [*top, *bottom]
with cols[0]:
    st.subheader("Image classification")
    st.image(rgb, width="stretch")
    st.markdown("**What is in the image?** One answer for the whole picture:")
    st.markdown("\n".join(f"- {name}" for name in views.classes_present))
with cols[1]:
    st.subheader("Object detection")
    palette = [tuple(lab.color) for lab in views.instance.legend if lab.value]
    st.image(draw_boxes(rgb, views.boxes, views.box_classes, palette, width=2, font_size=15), width="stretch")
    st.markdown(f"**What, and where?** A class and a box per object: {len(views.boxes)} boxes.")
with cols[2]:
    st.subheader("Semantic segmentation")
    st.image(colorize(views.semantic), width="stretch")
    st.markdown(f"**Which class is each pixel?** Objects of a class share a colour: {_legend(views.semantic)}.")
with cols[3]:
    st.subheader("Instance segmentation")
    st.image(colorize(views.instance), width="stretch")
    st.markdown(f"**Which object is each pixel?** Every object its own colour: {len(views.boxes)} instances.")

st.markdown(
    "- **Classification** gives labels for the whole image and says nothing about where.\n"
    "- **Detection** adds a box per object: where, roughly.\n"
    "- **Semantic segmentation** labels every pixel with a class; two touching objects of the same "
    "class merge into one region.\n"
    "- **Instance segmentation** labels every pixel with an object; this is what Mask R-CNN gives: "
    "for each object its class, box, mask and a score. The classic methods on the other pages "
    "(thresholds, edges, clustering) give regions with no class at all: they group pixels by gray "
    "level, edges or colour."
)


# --- the same four answers on the sidebar's image, from Mask R-CNN with COCO weights ----------

weights_from_secrets()  # a weights file named in Streamlit's secrets counts too

# Never a download here: the weights count only when they are already on this machine.
missing = coco_weights_missing()
image = working_image()
real = None
if missing is not None:
    weights_note.info(NO_WEIGHTS)
elif image is None:
    weights_note.caption("Pick an image in the sidebar to see the same four answers on it, from Mask R-CNN.")
else:
    device = pick_device("auto")
    settings = dict(COCO_SETTINGS)
    with st.spinner(f"Running Mask R-CNN {settings['variant']} on {device} (the first time also loads the model)..."):
        try:
            seg = run_cached(COCO_METHOD, image, **settings, device=device)
        except WeightsUnavailable as exc:  # e.g. a damaged file: keep the synthetic answers, say why in one line
            seg = None
            weights_note.info(f"Mask R-CNN could not load its COCO weights ({str(exc).splitlines()[0]}), so the four "
                              "answers are shown on a synthetic picture; see the Mask R-CNN page to fix it.")
    if seg is not None:
        real = task_views_from_instances(seg)

if real is not None:
    weights_note.caption("Further down, under **On your image**: the same four answers on the sidebar's image, "
                         "derived from Mask R-CNN's detections.")
    st.header("On your image")
    st.markdown(
        f"The same four questions on **{plain(image.name, NAME_LIMIT)}**, answered from one run of Mask R-CNN "
        f"({seg.params.get('variant')}, {'COCO' if seg.params.get('variant') in ('v1', 'v2') else 'its own'} classes): "
        "every panel below is derived from its detections."
    )
    shown_rgb, shown_inst = shown_pair(image, real.instance)
    factor = display_factor(real.instance.labels.shape)
    shown_sem = replace(real.semantic, labels=display_labels(real.semantic.labels))
    top, bottom = st.columns(2), st.columns(2)
    cols = [*top, *bottom]
    with cols[0]:
        st.subheader("Image classification")
        st.image(shown_rgb, width="stretch")
        st.markdown("**What is in the image?** One answer for the whole picture:")
        if real.classes_present:
            st.markdown("\n".join(f"- {name}: best score {score:.2f}"
                                   for name, score in zip(real.classes_present, real.class_scores)))
        else:
            st.markdown(f"- nothing Mask R-CNN knows scored above {seg.params['score_threshold']:g}")
        st.caption(real.derivation["classification"])
    with cols[1]:
        st.subheader("Object detection")
        shown_boxes = [[v / factor for v in box] for box in real.boxes]
        st.image(draw_boxes(shown_rgb, shown_boxes, real.box_texts, real.box_colors), width="stretch")
        st.markdown(f"**What, and where?** A class, a box and a score per object: {len(real.boxes)} boxes.")
        st.caption(real.derivation["detection"])
    with cols[2]:
        st.subheader("Semantic segmentation")
        st.image(overlay(shown_rgb, shown_sem, alpha=0.6, skip_zero=True), width="stretch")
        st.markdown(f"**Which class is each pixel?** Objects of a class share a colour: {_legend(real.semantic) or 'no class'}.")
        st.caption(real.derivation["semantic"])
    with cols[3]:
        st.subheader("Instance segmentation")
        st.image(overlay(shown_rgb, shown_inst, alpha=0.6, skip_zero=True), width="stretch")
        st.markdown(f"**Which object is each pixel?** Every object its own colour: {len(real.boxes)} instances.")
        st.caption(real.derivation["instance"])
    st.caption(
        f"Mask R-CNN {seg.params.get('variant')} at {seg.params.get('min_size')} px on {str(seg.extras.get('device', device)).upper()}, "
        f"inference {seg.extras.get('inference_s', 0.0):.2f} s; the Mask R-CNN page shows the same run in full "
        "(table, filters, downloads)."
    )
