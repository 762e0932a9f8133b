"""Flow 4: the clustering page shows one colour swatch per cluster, following k."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser


def test_swatches_follow_the_number_of_clusters(app):
    app.goto("/")
    app.nav_to("Clustering")
    expect(app.h1()).to_have_text("Clustering")
    swatches = app.main.locator(".swatch")
    expect(app.slider("Clusters (k)").locator('[data-testid="stSliderThumbValue"]')).to_have_text("5")
    expect(swatches).to_have_count(5)
    expect(app.metric("Clusters")).to_have_text("5")
    shares = [float(s.get_attribute("data-share")) for s in swatches.all()]
    assert abs(sum(shares) - 1) < 0.01 and all(s > 0 for s in shares), shares
    app.screenshot("clustering-k5")

    app.press_slider("Clusters (k)", "ArrowRight", times=2)
    expect(app.slider("Clusters (k)").locator('[data-testid="stSliderThumbValue"]')).to_have_text("7")
    expect(swatches).to_have_count(7)
    expect(app.metric("Clusters")).to_have_text("7")
    # the label map is the article's picture: each pixel painted in its cluster's colour
    expect(app.main.get_by_text(re.compile(r"^Label map: 7 labels, each pixel repainted"))).to_be_visible()

    app.press_slider("Clusters (k)", "ArrowLeft", times=3)
    expect(swatches).to_have_count(4)
    expect(app.metric("Clusters")).to_have_text("4")
    app.screenshot("clustering-k4")
