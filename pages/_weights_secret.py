"""Mask R-CNN weights named in Streamlit's secrets, for the pages that look for them."""

from __future__ import annotations

import os

import streamlit as st

from segcore.methods.maskrcnn import ENV_WEIGHTS


def weights_from_secrets() -> None:
    """A weights file named in ``.streamlit/secrets.toml`` counts like the ``SEGCORE_MASKRCNN_WEIGHTS`` variable.

    Sets the variable from the secret when the environment does not name one already.
    """
    if os.environ.get(ENV_WEIGHTS):
        return
    try:
        secret = st.secrets.get(ENV_WEIGHTS)
    except Exception:  # noqa: BLE001 - no secrets file is the common case
        secret = None
    if secret:
        os.environ[ENV_WEIGHTS] = str(secret)
