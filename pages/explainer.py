"""Explainer: classification vs object detection vs semantic and instance segmentation."""

from __future__ import annotations

import streamlit as st

from pages._image_input import ensure_app_frame

from segcore.explain import task_views
from segcore.maskrcnn.shapes import SHAPES_CATEGORIES, make_sample
from segcore.render import colorize, draw_boxes
from segcore.result import Segmentation

ensure_app_frame()
st.title("Classification, detection, segmentation")
st.markdown(
    "Four tasks ask four different questions of the same picture. Below, a synthetic picture whose "
    "objects we know exactly (their classes and pixel masks) is answered four ways."
)

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
