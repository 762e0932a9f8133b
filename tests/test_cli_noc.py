"""``python -m segcore noc``: the robot user over a folder, its CSV, its summary and its errors.

Small synthetic pictures written here (a bright disc on a dark ground: one click finds it) and
three clicks, so each run takes about a second; the Dask one starts a LocalCluster.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import encode

from segcore.cli import main

CLICKS = "3"


def _disc_scene(h: int = 60, w: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A bright disc on a dark, lightly noisy ground (RGB) and its mask."""
    yy, xx = np.mgrid[:h, :w]
    mask = (yy - h * 0.5) ** 2 + (xx - w * 0.45) ** 2 < (h * 0.3) ** 2
    rng = np.random.default_rng(seed)
    rgb = np.where(mask[..., None], [220, 180, 60], [40, 50, 90]) + rng.normal(0, 4, (h, w, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8), mask


@pytest.fixture()
def scenes(tmp_path):
    """photos/ with two discs; masks/ with their object masks (one GrabCut-style, with an unknown band)."""
    photos, masks = tmp_path / "photos", tmp_path / "masks"
    photos.mkdir()
    masks.mkdir()
    for i, name in enumerate(("a", "b")):
        rgb, mask = _disc_scene(seed=i)
        (photos / f"{name}.png").write_bytes(encode(rgb))
        m = np.where(mask, 255, 0).astype(np.uint8)
        if name == "b":
            m[:, :4] = 128  # a strip of unknown truth
        (masks / f"{name}.png").write_bytes(encode(m))
    return photos, masks


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _flood_noc(scenes, out: Path, setting: str) -> tuple[list[str], list[dict[str, str]]]:
    """``noc`` of flood fill with ``setting`` on the two discs, in process; the CSV's columns and rows."""
    photos, masks = scenes
    rc = main(["noc", str(photos), "--ground-truth", str(masks), "-m", "flood", "-p", setting,
               "--max-clicks", CLICKS, "--csv", str(out), "--workers", "0"])
    assert rc == 0
    return _read(out)


def test_noc_writes_one_row_per_image_and_method_and_a_summary(scenes, tmp_path, capsys):
    columns, rows = _flood_noc(scenes, tmp_path / "noc.csv", "smoothing=0")
    for col in ("image", "method", "noc85", "noc90", "iou_1", "iou_2", "iou_3", "ms_per_click", "clicks"):
        assert col in columns
    assert "iou_4" not in columns
    assert [(Path(r["image"]).name, r["method"]) for r in rows] == [("a.png", "flood"), ("b.png", "flood")]
    for r in rows:  # unsmoothed, the flood fills the disc from the first click, at its centre
        assert r["noc85"] == r["noc90"] == "1" and r["error"] == "" and json.loads(r["params"])["smoothing"] == 0
        assert min(float(r[f"iou_{k}"]) for k in (1, 2, 3)) > 0.99
        assert r["clicks"].startswith("36,30+") and float(r["ms_per_click"]) > 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-3].split()[:6] == ["method", "images", "NoC@85", "NoC@90", "failures", "ms/click"]
    assert lines[-1].split()[:5] == ["flood", "2", "1.00", "1.00", "0"]


def test_a_method_that_never_gets_there_counts_max_clicks_and_failures(scenes, tmp_path, capsys):
    """A 1-pixel tolerance flood stops at the noise: NoC is the clicks played, and each image a failure."""
    _, rows = _flood_noc(scenes, tmp_path / "noc.csv", "tolerance=0")
    assert all(r["noc90"] == CLICKS and float(r["iou_3"]) < 0.9 for r in rows)
    assert capsys.readouterr().out.strip().splitlines()[-1].split()[:5] == ["flood", "2", "3.00", "3.00", "2"]


def test_an_image_without_a_mask_is_named_and_the_run_exits_2(scenes, tmp_path, capsys):
    photos, masks = scenes
    (photos / "c.png").write_bytes((photos / "a.png").read_bytes())
    out = tmp_path / "noc.csv"
    rc = main(["noc", str(photos), "--ground-truth", str(masks), "-m", "flood", "-p", "smoothing=0",
               "--max-clicks", CLICKS, "--csv", str(out), "--workers", "0"])
    assert rc == 2
    assert "c.png: no object mask in" in capsys.readouterr().err
    _, rows = _read(out)
    assert [r["noc90"] for r in rows] == ["1", "1", ""] and "no object mask" in rows[2]["error"]


@pytest.mark.parametrize("args, message", [
    (["missing/"], "no such file or folder"),
    (["-m", "nope"], "unknown method 'nope'"),
    (["-m", "otsu"], "otsu is not a prompt method"),
])
def test_bad_inputs_exit_2_with_a_message(scenes, tmp_path, capsys, args, message):
    photos, masks = scenes
    paths = [str(tmp_path / args[0])] if args[0].endswith("/") else [str(photos)]
    extra = [] if args[0].endswith("/") else args
    try:
        rc = main(["noc", *paths, "--ground-truth", str(masks), *extra, "--max-clicks", CLICKS, "--workers", "0"])
    except SystemExit as stop:
        rc = stop.code
    assert rc == 2
    assert message in capsys.readouterr().err


def test_no_matching_mask_at_all_exits_2_before_any_work(scenes, tmp_path, capsys):
    photos, _ = scenes
    other = tmp_path / "other"
    other.mkdir()
    (other / "zzz.png").write_bytes(encode(np.eye(8, dtype=np.uint8) * 255))
    with pytest.raises(SystemExit) as stop:
        main(["noc", str(photos), "--ground-truth", str(other), "-m", "flood"])
    assert stop.value.code == 2
    assert "no object mask matches any image by stem" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["noc", str(photos), "--ground-truth", str(tmp_path / "absent"), "-m", "flood"])
    assert stop.value.code == 2 and "no such file or folder" in capsys.readouterr().err


def test_dask_workers_give_the_same_rows(scenes, tmp_path):
    photos, masks = scenes
    here, there = tmp_path / "here.csv", tmp_path / "there.csv"
    common = ["noc", str(photos), "--ground-truth", str(masks), "-m", "flood", "--max-clicks", CLICKS]
    assert main([*common, "--csv", str(here), "--workers", "0"]) == 0
    assert main([*common, "--csv", str(there), "--workers", "2"]) == 0
    keep = ("image", "method", "noc85", "noc90", "iou_1", "iou_2", "iou_3", "clicks")
    rows = [[{k: r[k] for k in keep} for r in _read(p)[1]] for p in (here, there)]
    assert rows[0] == rows[1]


def test_without_m_every_prompt_method_that_answers_clicks_runs(scenes, tmp_path, capsys):
    photos, masks = scenes
    out = tmp_path / "noc.csv"
    assert main(["noc", str(photos / "a.png"), "--ground-truth", str(masks), "--max-clicks", "2",
                 "--csv", str(out)]) == 0
    _, rows = _read(out)
    assert [r["method"] for r in rows] == ["flood", "seeded_watershed", "random_walker", "grabcut"]
    assert all(r["iou_2"] and not r["error"] for r in rows)
    err = capsys.readouterr().err
    assert "left out pixel_classifier: it needs an example of the background" in err


def test_a_method_refusing_every_click_scores_empty_masks_not_errors(scenes, tmp_path):
    """Asked for by name, the pixel classifier refuses positive-only clicks: IoU 0, and the refusals in the CSV."""
    photos, masks = scenes
    out = tmp_path / "noc.csv"
    assert main(["noc", str(photos / "a.png"), "--ground-truth", str(masks), "-m", "pixel_classifier",
                 "--max-clicks", "2", "--csv", str(out)]) == 0
    (row,) = _read(out)[1]
    assert (row["noc90"], row["iou_1"], row["iou_2"], row["error"]) == ("2", "0.0", "0.0", "")
    assert row["refused"].startswith("click 1: The pixel classifier needs examples of both")


def test_a_method_whose_weights_are_missing_is_skipped_or_refused(scenes, monkeypatch, capsys):
    """A prompt method whose module says ``weights_found() is False`` (SAM 2.1 without its weights) does not run."""
    from segcore.methods.prompts import classic

    monkeypatch.setattr(classic, "weights_found", lambda: False, raising=False)
    photos, masks = scenes
    with pytest.raises(SystemExit) as stop:
        main(["noc", str(photos), "--ground-truth", str(masks), "-m", "grabcut"])
    assert stop.value.code == 2 and "grabcut: its weights are not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["noc", str(photos), "--ground-truth", str(masks)])
    assert stop.value.code == 2 and "no prompt method can run here" in capsys.readouterr().err


def test_the_weights_check_may_live_in_a_weights_module_and_sees_the_settings(scenes, tmp_path, monkeypatch, capsys):
    """SAM 2.1 keeps ``weights_found(checkpoint=...)`` in ``sam2_weights``: the check looks there, with the -p settings."""
    asked = []

    def weights_found(max_side=320):
        asked.append(max_side)
        return max_side == 320

    monkeypatch.setitem(sys.modules, "segcore.methods.prompts.classic_weights", SimpleNamespace(weights_found=weights_found))
    photos, masks = scenes
    with pytest.raises(SystemExit) as stop:
        main(["noc", str(photos), "--ground-truth", str(masks), "-m", "grabcut", "-p", "max_side=200"])
    assert stop.value.code == 2 and "grabcut: its weights are not found" in capsys.readouterr().err
    assert main(["noc", str(photos / "a.png"), "--ground-truth", str(masks), "-m", "grabcut", "-p", "max_side=320",
                 "--max-clicks", "1", "--csv", str(tmp_path / "n.csv")]) == 0
    assert asked == [200, 320]
