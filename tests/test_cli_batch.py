"""``python -m segcore`` in batch: several methods, ground truth by stem, the scores CSV, Dask.

Small pictures (a real coins photo and synthetic scenes whose masks are made
here), a small working size, so every test but the Dask one takes a second or
two; the Dask one starts a two-worker LocalCluster (a few seconds on 2 cores).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import encode
from scipy import ndimage as ndi
from skimage import data, filters

from segcore import batch
from segcore.cli import UsageError, main, parse_methods, route_params
from segcore.io.ground_truth import fit_ground_truth, load_ground_truth
from segcore.io.loading import load_image
from segcore.registry import get_method
from segcore.scoring import metrics

ROOT = Path(__file__).resolve().parents[1]
MAX_SIDE = "96"  # working size: every image here is reduced, so each ground truth is fitted
SCORE_KEYS = list(metrics.COLUMNS)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _disc_scene(h: int = 120, w: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A bright disc on a dark, noisy background (RGB) and its mask."""
    yy, xx = np.mgrid[:h, :w]
    mask = (yy - h * 0.45) ** 2 + (xx - w * 0.55) ** 2 < (h * 0.3) ** 2
    rng = np.random.default_rng(seed)
    rgb = np.where(mask[..., None], [220, 180, 60], [40, 50, 90]) + rng.normal(0, 12, (h, w, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8), mask


def _regions_scene(h: int = 120, w: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three flat colour bands (RGB) and two human-like partitions of it (BSDS style)."""
    one = np.zeros((h, w), np.uint8)
    one[:, w // 3:] = 1
    one[:, 2 * w // 3:] = 2
    rgb = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200]], np.uint8)[one]
    two = one.copy()
    two[two == 2] = 1  # the second "annotator" merged the last two bands
    two[: h // 2, : w // 3] = 2  # and split the first one
    return rgb, one, two


def _coins_mask() -> np.ndarray:
    """A foreground mask of skimage's coins photo, made here (smoothed Otsu, holes filled)."""
    g = filters.gaussian(data.coins(), sigma=2)
    return ndi.binary_fill_holes(g > filters.threshold_otsu(g))


@pytest.fixture()
def scenes(tmp_path):
    """photos/ (coins.png, disc.png, regions.png) and gt/ with their ground truths by stem."""
    photos, gt = tmp_path / "photos", tmp_path / "gt"
    photos.mkdir()
    gt.mkdir()
    (photos / "coins.png").write_bytes(encode(data.coins()))
    (gt / "coins.png").write_bytes(encode((_coins_mask() * 255).astype(np.uint8)))
    rgb, mask = _disc_scene()
    (photos / "disc.png").write_bytes(encode(rgb))
    (gt / "disc.npy").write_bytes(_npy(mask.astype(np.uint8)))
    rgb, one, two = _regions_scene()
    (photos / "regions.png").write_bytes(encode(rgb))
    (gt / "regions.1.png").write_bytes(encode(one))
    (gt / "regions.2.png").write_bytes(encode(two))
    (gt / "notes.txt").write_text("not a ground truth: wrong suffix")
    return photos, gt


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _run(args: list[str]) -> int:
    return main([*args, "--max-side", MAX_SIDE])


def test_scores_csv_for_a_folder_with_ground_truth_by_stem(scenes, tmp_path, capsys):
    photos, gt = scenes
    out, scores = tmp_path / "out", tmp_path / "scores.csv"
    rc = _run([str(photos), "-m", "otsu,kmeans", "-m", "sobel", "-p", "kmeans.k=3",
               "--ground-truth", str(gt), "--metrics", str(scores), "-o", str(out), "--workers", "0"])
    assert rc == 0, capsys.readouterr().err
    header, rows = _read_csv(scores)
    assert header == [*batch.LEAD_COLUMNS, *SCORE_KEYS, "error"]
    assert [(r["image"], r["method"]) for r in rows] == [
        (str(photos / img), m) for img in ("coins.png", "disc.png", "regions.png") for m in ("otsu", "kmeans", "sobel")
    ]
    by = {(Path(r["image"]).stem, r["method"]): r for r in rows}
    assert all(r["error"] == "" for r in rows)
    assert by["coins", "otsu"]["ground_truth"] == "coins.png" and by["coins", "otsu"]["kind"] == "binary"
    assert by["disc", "kmeans"]["ground_truth"] == "disc.npy"
    assert by["regions", "sobel"]["ground_truth"] == "regions.1.png;regions.2.png"
    assert by["regions", "sobel"]["kind"] == "labels"
    assert (by["disc", "otsu"]["width"], by["disc", "otsu"]["height"]) == ("96", "72")
    assert json.loads(by["disc", "kmeans"]["params"])["k"] == 3
    assert float(by["disc", "otsu"]["time_ms"]) > 0
    # binary ground truth: the binary columns filled, the partition ones empty; labels: the reverse
    assert float(by["disc", "otsu"]["iou"]) > 0.95 and by["disc", "otsu"]["voi"] == ""
    assert by["regions", "kmeans"]["iou"] == "" and 0 <= float(by["regions", "kmeans"]["pri"]) <= 1
    assert all(r["ap"] == "" for r in rows)  # no instances anywhere
    for name in ("coins_otsu_labels.png", "disc_kmeans_overlay.png", "regions_sobel_labels.png"):
        assert (out / name).is_file()

    # the same formulas as the page: metrics.score on the loaded, fitted ground truth
    image = load_image((photos / "regions.png").read_bytes(), max_side=int(MAX_SIDE))
    truth = load_ground_truth([(gt / "regions.1.png").read_bytes(), (gt / "regions.2.png").read_bytes()])
    truth = fit_ground_truth(truth, original_size=image.original_size, working_size=image.size)
    expected = metrics.score(get_method("kmeans").run(image.rgb, k=3), truth, tolerance=2)
    for key, value in expected.items():
        cell = by["regions", "kmeans"][key]
        assert (cell == "") if math.isnan(value) else float(cell) == pytest.approx(value, rel=1e-9, abs=1e-12), key

    text = capsys.readouterr().out
    assert f"{photos / 'disc.png'}: " in text and "disc_kmeans_labels.png" in text
    assert f"scores: 9 rows -> {scores}" in text


def test_params_reach_the_methods_that_take_them(scenes, tmp_path):
    photos, _ = scenes
    scores = tmp_path / "s.csv"
    rc = _run([str(photos / "disc.png"), str(photos / "regions.png"), "-m", "kmeans,gmm,otsu", "-p", "k=2",
               "-p", "gmm.k=4", "--metrics", str(scores), "-o", str(tmp_path / "o"), "--workers", "0"])
    assert rc == 0
    _, rows = _read_csv(scores)
    params = {r["method"]: json.loads(r["params"]) for r in rows}
    assert params["kmeans"]["k"] == 2 and params["gmm"]["k"] == 4 and params["otsu"] == {}
    assert all(r["ground_truth"] == "" and r["iou"] == "" and r["error"] == "" for r in rows)

    specs = parse_methods(["kmeans,canny", "otsu", "kmeans"])
    assert [s.name for s in specs] == ["kmeans", "canny", "otsu"]
    routed = route_params([("sigma", 2.0), ("k", 8), ("canny.sigma", 3.0)], specs)
    assert routed["kmeans"]["k"] == 8 and routed["canny"]["sigma"] == 3.0 and routed["otsu"] == {}
    with pytest.raises(UsageError, match=r"no chosen method has parameter\(s\) \['classes'\]: kmeans takes"):
        route_params([("classes", 4)], specs)
    with pytest.raises(UsageError, match="'sobel' is not one of the chosen methods"):
        route_params([("sobel.mode", "nearest")], specs)
    with pytest.raises(UsageError, match=r"otsu has no parameter\(s\) \['k'\]"):
        route_params([("otsu.k", 3)], specs)
    with pytest.raises(UsageError, match="unknown method 'nope'"):
        parse_methods(["otsu,nope"])


def test_usage_errors_exit_2_with_a_message(scenes, tmp_path, capsys):
    photos, gt = scenes
    for args, message in [
        (["-m", "otsu,kmeans", "-p", "classes=4"], "no chosen method has parameter(s) ['classes']"),
        (["-m", "otsu", "-p", "kmeans.k=4"], "'kmeans' is not one of the chosen methods"),
        (["--ground-truth", str(gt / "coins.png")], "is one file but there are 3 images"),
        (["--ground-truth", str(tmp_path / "nowhere")], "no such file or folder"),
        (["--workers", "-1"], "is negative"),
    ]:
        with pytest.raises(SystemExit) as info:
            main([str(photos), "-o", str(tmp_path / "o"), *args])
        assert info.value.code == 2
        assert message in capsys.readouterr().err, args


def test_missing_or_mismatched_ground_truth_fails_that_image_only(scenes, tmp_path, capsys):
    photos, gt = scenes
    (gt / "coins.png").unlink()  # coins: none at all
    (gt / "disc.npy").write_bytes(_npy(np.ones((50, 50), np.uint8) * np.arange(50) % 2))  # another image's size
    scores, out = tmp_path / "scores.csv", tmp_path / "out"
    rc = _run([str(photos), "-m", "otsu,kmeans", "--ground-truth", str(gt), "--metrics", str(scores),
               "-o", str(out), "--workers", "0"])
    assert rc == 2
    err = capsys.readouterr().err
    assert f"error: {photos / 'coins.png'}: no ground truth in {gt} for coins.png" in err
    assert f"error: {photos / 'disc.png'}: ground truth " in err and "disc.npy" in err
    assert "2 problem(s)" in err
    _, rows = _read_csv(scores)
    assert len(rows) == 6
    by = {(Path(r["image"]).stem, r["method"]): r for r in rows}
    for stem in ("coins", "disc"):
        for m in ("otsu", "kmeans"):
            row = by[stem, m]
            assert row["error"] and all(row[k] == "" for k in SCORE_KEYS)
            assert row["width"] == "96" and float(row["time_ms"]) > 0  # segmented all the same
    assert "no ground truth" in by["coins", "otsu"]["error"] and by["coins", "otsu"]["ground_truth"] == ""
    assert by["disc", "kmeans"]["ground_truth"] == "disc.npy" and "50 x 50" in by["disc", "kmeans"]["error"]
    assert (out / "coins_kmeans_labels.png").is_file()  # outputs written for those images too
    assert by["regions", "otsu"]["error"] == "" and by["regions", "otsu"]["pri"] != ""


def test_summary_means_and_medians_equal_the_csv(scenes, tmp_path, capsys):
    photos, gt = scenes
    scores = tmp_path / "scores.csv"
    rc = _run([str(photos), "-m", "otsu,kmeans,sobel", "--ground-truth", str(gt), "--metrics", str(scores),
               "-o", str(tmp_path / "o"), "--workers", "0"])
    assert rc == 0
    text = capsys.readouterr().out
    table = text[text.index("summary over 3 image(s)"):].splitlines()
    assert table[1].split() == ["method", "column", "n", "mean", "median"] and set(table[2]) <= {"-", " "}
    printed = {(p[0], p[1]): p[2:] for p in (line.split() for line in table[3:] if line.strip())}
    _, rows = _read_csv(scores)
    expected = {}
    for method in ("otsu", "kmeans", "sobel"):
        for key in ["time_ms", *SCORE_KEYS]:
            values = [float(r[key]) for r in rows if r["method"] == method and r[key] != ""]
            if values:
                fmt = "{:.1f}" if key == "time_ms" else "{:.4f}"
                expected[method, key] = [str(len(values)), fmt.format(statistics.mean(values)),
                                         fmt.format(statistics.median(values))]
    assert printed == expected
    assert ("otsu", "iou") in printed and ("kmeans", "pri") in printed and ("sobel", "ap") not in printed
    assert printed["otsu", "iou"][0] == "2"  # coins and disc are binary, regions are labels
    # aligned: every number column ends at the same place on each line
    ends = {len(line.rstrip()) for line in table[1:] if line.strip()}
    assert len(ends) == 1


def test_a_ground_truth_file_for_a_single_image(scenes, tmp_path, capsys):
    photos, gt = scenes
    scores = tmp_path / "one.csv"
    rc = _run([str(photos / "disc.png"), "-m", "otsu", "--ground-truth", str(gt / "disc.npy"),
               "--metrics", str(scores), "-o", str(tmp_path / "o")])
    assert rc == 0
    _, rows = _read_csv(scores)
    assert len(rows) == 1 and rows[0]["ground_truth"] == "disc.npy" and float(rows[0]["dice"]) > 0.95
    out = capsys.readouterr().out
    assert "disc.png: 2 labels, 96x72 px" in out and "otsu    iou" in out
    # any name will do for a file given directly
    (tmp_path / "mask.png").write_bytes(encode((_disc_scene()[1] * 255).astype(np.uint8)))
    assert _run([str(photos / "disc.png"), "--ground-truth", str(tmp_path / "mask.png"), "-o", str(tmp_path / "o")]) == 0


def test_match_ground_truth_by_stem(tmp_path):
    gt = tmp_path / "gt"
    gt.mkdir()
    for name in ["cat.png", "cat.10.png", "cat.2.png", "cat.seg.npy", "catalogue.png", "cat.txt", "cat.1.jpg",
                 "dog.1.png", "dog.1.tif"]:
        (gt / name).write_bytes(b"x")
    images = [Path("photos/cat.jpg"), Path("photos/dog.png"), Path("photos/dog.1.png"), Path("photos/owl.png")]
    found = {img.name: [f.name for f in files] for img, files in batch.match_ground_truth(images, gt).items()}
    assert found == {
        "cat.jpg": ["cat.1.jpg", "cat.2.png", "cat.10.png", "cat.png", "cat.seg.npy"],
        "dog.png": [],  # dog.1.* belong to dog.1.png, the longer stem
        "dog.1.png": ["dog.1.png", "dog.1.tif"],
        "owl.png": [],
    }


def test_a_photo_beside_its_segmentations_is_not_its_own_ground_truth_when_the_input_is_a_copy_or_link(tmp_path):
    """The Berkeley layout: gt/12003.jpg (the photo) beside gt/12003.1.png, gt/12003.2.png; the inputs elsewhere."""
    gt, photos = tmp_path / "gt", tmp_path / "photos"
    gt.mkdir()
    photos.mkdir()
    picture, mask = _disc_scene()
    (gt / "12003.jpg").write_bytes(encode(picture, "JPEG"))
    for k in (1, 2):
        (gt / f"12003.{k}.png").write_bytes(encode((mask * 255).astype(np.uint8)))
    (photos / "12003.jpg").write_bytes((gt / "12003.jpg").read_bytes())  # a copy
    (photos / "linked.jpg").symlink_to(gt / "12003.jpg")
    (gt / "linked.jpg").symlink_to(gt / "12003.jpg")  # a link to the same photo under the input's name
    found = batch.match_ground_truth([photos / "12003.jpg", photos / "linked.jpg"], gt)
    assert [f.name for f in found[photos / "12003.jpg"]] == ["12003.1.png", "12003.2.png"]
    assert found[photos / "linked.jpg"] == []
    scores = tmp_path / "scores.csv"
    assert _run([str(photos / "12003.jpg"), "-m", "otsu", "--ground-truth", str(gt), "--metrics", str(scores),
                 "-o", str(tmp_path / "o")]) == 0
    row = next(csv.DictReader(scores.open()))
    assert row["ground_truth"] == "12003.1.png;12003.2.png" and not row["error"] and row["iou"]


def test_progress_redraws_on_a_tty_and_prints_plain_lines_elsewhere():
    tty = io.StringIO()
    bar = batch.Progress(4, stream=tty, tty=True)
    for _ in range(4):
        bar.update()
    bar.close()
    text = tty.getvalue()
    assert text.count("\r") >= 4 and "[" in text and "4/4 images (100%)" in text and text.endswith("\n")
    assert "images/s" in text and "ETA" in text

    log = io.StringIO()
    plain = batch.Progress(3, stream=log, tty=False, interval=3600)
    for _ in range(3):
        plain.update()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 1  # only the last one, with the interval this long
    assert lines[0].startswith("3/3 images (100%), ") and "elapsed" in lines[0]
    chatty = io.StringIO()
    every = batch.Progress(3, stream=chatty, tty=False, interval=0)
    for _ in range(3):
        every.update()
    assert [line.split(" ")[0] for line in chatty.getvalue().splitlines()] == ["1/3", "2/3", "3/3"]
    assert "ETA" in chatty.getvalue().splitlines()[0]


def test_a_two_worker_local_cluster_gives_the_same_csv(scenes, tmp_path, capsys):
    photos, gt = scenes
    (gt / "coins.png").unlink()  # one failing image too: its row must match as well
    here, there = tmp_path / "here.csv", tmp_path / "there.csv"
    common = [str(photos), "-m", "otsu,kmeans,canny", "-p", "kmeans.k=3", "--ground-truth", str(gt)]
    assert _run([*common, "--metrics", str(here), "-o", str(tmp_path / "o1"), "--workers", "0"]) == 2
    capsys.readouterr()
    assert _run([*common, "--metrics", str(there), "-o", str(tmp_path / "o2"), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "3 images on 2 worker(s) of a local Dask cluster" in err and "3/3 images (100%)" in err
    assert "no ground truth in" in err and "1 problem(s)" in err
    h_cols, h_rows = _read_csv(here)
    t_cols, t_rows = _read_csv(there)
    assert h_cols == t_cols and len(h_rows) == len(t_rows) == 9
    drop = lambda rows: [{k: v for k, v in r.items() if k != "time_ms"} for r in rows]  # noqa: E731
    assert drop(h_rows) == drop(t_rows)
    assert sorted(p.name for p in (tmp_path / "o1").iterdir()) == sorted(p.name for p in (tmp_path / "o2").iterdir())


def test_in_process_runs_never_import_dask(scenes, tmp_path):
    photos, gt = scenes
    code = (
        "import sys; from segcore.cli import main; "
        f"rc = main([{str(photos)!r}, '-m', 'otsu', '--ground-truth', {str(gt)!r}, '-o', {str(tmp_path / 'o')!r}, "
        "'--max-side', '64', '--workers', '0']); "
        "print(rc, sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "0 []"


def test_an_existing_scheduler_is_used_with_scheduler(scenes, tmp_path, capsys, monkeypatch):
    from distributed import LocalCluster  # noqa: PLC0415

    monkeypatch.setenv("SEGCORE_THREADS", "1")  # what a task sets on a worker; a threaded worker here shares our env
    photos, gt = scenes
    scores = tmp_path / "s.csv"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        rc = _run([str(photos), "-m", "otsu", "--ground-truth", str(gt), "--metrics", str(scores),
                   "-o", str(tmp_path / "o"), "--scheduler", cluster.scheduler_address])
        assert len(cluster.scheduler.workers) == 1  # still up: the command line closed only its client
    assert rc == 0
    assert f"3 images on 1 worker(s) of the Dask scheduler at {cluster.scheduler_address}" in capsys.readouterr().err
    _, rows = _read_csv(scores)
    assert [Path(r["image"]).name for r in rows] == ["coins.png", "disc.png", "regions.png"]
    assert all(r["error"] == "" for r in rows) and float(rows[1]["iou"]) > 0.95


def test_two_inputs_of_one_name_never_overwrite_each_others_outputs(tmp_path, capsys):
    """a.gif and a.webp in one folder both wrote a_otsu_labels.png, the second silently replacing the first."""
    from skimage import data

    from segcore.batch import output_stems
    from segcore.cli import main
    from segcore.io.loading import load_image
    from segcore.registry import run_method
    from segcore.render import read_label_png

    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.gif").write_bytes(encode(data.coins(), "GIF"))
    (photos / "a.webp").write_bytes(encode(data.astronaut()[::2, ::2], "WEBP", lossless=True))
    (photos / "b.png").write_bytes(encode(data.camera()[::2, ::2]))
    out = tmp_path / "out"
    assert main([str(photos), "-m", "otsu", "--workers", "0", "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["a.gif_otsu_labels.png", "a.gif_otsu_overlay.png", "a.webp_otsu_labels.png",
                     "a.webp_otsu_overlay.png", "b_otsu_labels.png", "b_otsu_overlay.png"]
    for name in ("a.gif", "a.webp"):
        expected = run_method("otsu", load_image((photos / name).read_bytes()).rgb).labels
        assert (read_label_png((out / f"{name}_otsu_labels.png").read_bytes()) == expected).all(), name
    assert "shares its name with another input" in capsys.readouterr().err
    assert output_stems(["x/a.png", "y/a.png", "y/A.jpg", "c.png"]) == ["a.png.1", "a.png.2", "A.jpg", "c"]


@pytest.mark.parametrize("where", ["a folder", "under a file", "in a file's place as parent"])
def test_an_unwritable_metrics_path_is_refused_before_any_work(scenes, tmp_path, capsys, where):
    photos, gt = scenes
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    metrics = {"a folder": tmp_path, "under a file": blocker / "scores.csv",
               "in a file's place as parent": blocker / "deeper" / "scores.csv"}[where]
    with pytest.raises(SystemExit) as stop:
        _run([str(photos), "-m", "otsu", "--ground-truth", str(gt), "--metrics", str(metrics), "-o", str(tmp_path / "o")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"--metrics {metrics}: cannot write this file" in err and "Traceback" not in err
    assert not list((tmp_path / "o").glob("*.png"))  # refused before any image was processed


def test_an_out_folder_that_cannot_be_made_is_refused_before_any_work(scenes, tmp_path, capsys):
    photos, _ = scenes
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should go")
    with pytest.raises(SystemExit) as stop:
        _run([str(photos), "-m", "otsu", "-o", str(blocker / "out")])
    assert stop.value.code == 2
    assert f"--out {blocker / 'out'}: cannot write there" in capsys.readouterr().err


def test_scores_are_kept_in_the_out_folder_when_metrics_cannot_be_written_at_the_end(scenes, tmp_path, capsys,
                                                                                      monkeypatch):
    photos, gt = scenes
    real = batch.write_csv
    target = tmp_path / "scores.csv"

    def failing(path, rows, keys):  # the disk fills up, or the file is taken away, during the run
        if not hasattr(path, "write") and Path(path) == target:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, rows, keys)

    monkeypatch.setattr(batch, "write_csv", failing)
    rc = _run([str(photos), "-m", "otsu", "--ground-truth", str(gt), "--metrics", str(target), "-o", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err
    spare = next((tmp_path / "o").glob("metrics-*.csv"))
    assert f"cannot write --metrics {target} (No space left on device)" in err and str(spare) in err
    _, rows = _read_csv(spare)
    assert {r["method"] for r in rows} == {"otsu"} and len(rows) == len(list(photos.iterdir()))


def test_outputs_appear_together_or_not_at_all(tmp_path, monkeypatch):
    """A run stopped between the label map and its overlay leaves neither under its final name."""
    files = {tmp_path / "a_labels.png": b"labels", tmp_path / "a_overlay.png": b"overlay"}
    real = Path.write_bytes

    def interrupted(self, data):
        if self.name.startswith(".a_overlay"):
            raise KeyboardInterrupt
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        batch.write_together(files)
    assert list(tmp_path.iterdir()) == []  # no label map alone, no temporary file left
    monkeypatch.setattr(Path, "write_bytes", real)
    batch.write_together(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_labels.png", "a_overlay.png"]
    assert (tmp_path / "a_overlay.png").read_bytes() == b"overlay"
