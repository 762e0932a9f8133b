"""The compare page's score-against-time chart (pages/_score_chart.py): families, hover names, labels that fit."""

from __future__ import annotations

import itertools

import numpy as np

from pages._score_chart import (
    FAMILY_STYLE,
    PLOT_H,
    Point,
    axis_ranges,
    label_boxes,
    score_chart,
)


def _written(fig) -> dict[str, str]:
    """Each method's written label ('' where none), from the traces."""
    return {c[0]: t for trace in fig.data for c, t in zip(trace.customdata, trace.text)}


def test_one_trace_per_family_with_its_colour_and_legend_name():
    points = [Point("Otsu", "threshold", 3, 0.9), Point("Li", "threshold", 5, 0.7), Point("Canny", "edges", 40, 0.5),
              Point("k-means clustering", "clustering", 300, 0.8, oracle=True)]
    fig = score_chart(points, "IoU", True)
    assert [t.name for t in fig.data] == ["thresholds", "edges", "clustering"]
    assert [t.marker.color for t in fig.data] == [FAMILY_STYLE[f][0] for f in ("threshold", "edges", "clustering")]
    assert len({t.marker.color for t in fig.data}) == 3 and fig.layout.showlegend is not False
    assert [c[0] for c in fig.data[0].customdata] == ["Otsu", "Li"]
    assert all("%{customdata[0]}" in t.hovertemplate for t in fig.data)  # every name on its point's hover
    assert fig.data[2].marker.symbol == ("circle-open",) and fig.data[0].marker.symbol == ("circle", "circle")
    assert "oracle" in fig.data[2].customdata[0][1] and "open: oracle" in fig.layout.title.text


def test_a_name_goes_beside_its_point_where_above_is_taken_and_only_to_the_hover_where_nothing_fits():
    near = [Point("Otsu", "threshold", 10, 0.900), Point("Isodata", "threshold", 10.5, 0.899),
            Point("Felzenszwalb graph segmentation", "regions", 900, 0.4)]
    boxes = label_boxes(near, *axis_ranges(near))
    assert [b[0] for b in boxes] == ["top center", "bottom center", "middle left"]  # the last at the right edge
    fig = score_chart(near, "IoU", True)
    assert fig.data[0].textposition == ("top center", "bottom center")
    same = [Point(f"method {i}", "threshold", 10, 0.5) for i in range(5)] + [Point("Canny", "edges", 100, 0.9)]
    written = _written(score_chart(same, "IoU", True))
    assert written == {"method 0": "method 0", "method 1": "", "method 2": "", "method 3": "", "method 4": "", "Canny": "Canny"}


def test_written_labels_never_overlap_each_other_or_a_marker():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(2, 26))
        points = [Point(f"method number {i}", "clustering", float(10 ** rng.uniform(0, 3.5)), float(rng.uniform(0, 1)))
                  for i in range(n)]
        boxes = [b[1] for b in label_boxes(points, *axis_ranges(points)) if b]
        assert boxes  # the first is always written
        for a, b in itertools.combinations(boxes, 2):
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_every_point_and_label_lies_inside_the_axes():
    points = [Point("Otsu", "threshold", 2, 0.1), Point("Quickshift", "regions", 3000, 0.95)]
    (x0, x1), (y0, y1) = axis_ranges(points)
    assert x0 < np.log10(2) and np.log10(3000) < x1 and y0 < 0.1 and 0.95 < y1
    boxes = label_boxes(points, [x0, x1], [y0, y1])
    assert [b[0] for b in boxes] == ["top center", "top center"]  # far apart: both written above their points
    assert all(0 <= b[1][1] and b[1][3] <= PLOT_H for b in boxes)  # the highest name still inside the plot
