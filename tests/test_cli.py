"""``python -m segcore`` on files and folders, its help, and its errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import encode
from skimage import data

from segcore.cli import main, parse_param
from segcore.render import read_label_png

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def folder(tmp_path):
    d = tmp_path / "photos"
    d.mkdir()
    (d / "coffee.png").write_bytes(encode(data.coffee()))
    (d / "coins.jpg").write_bytes(encode(data.coins(), "JPEG"))
    (d / "notes.txt").write_text("not an image, and not picked up: wrong suffix")
    return d


def test_cli_runs_a_method_on_a_folder(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(folder), "--method", "multiotsu", "-p", "classes=4", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "coffee_multiotsu_labels.png", "coffee_multiotsu_overlay.png",
        "coins_multiotsu_labels.png", "coins_multiotsu_overlay.png",
    ]
    labels = read_label_png((out / "coffee_multiotsu_labels.png").read_bytes())
    assert labels.shape == (400, 600) and set(np.unique(labels)) == {0, 1, 2, 3}
    assert "coffee.png: 4 labels, 600x400 px" in capsys.readouterr().out


def test_cli_params_and_max_side(folder, tmp_path):
    out = tmp_path / "out"
    assert main([str(folder / "coffee.png"), "-m", "kmeans", "-p", "k=3", "--max-side", "300", "-o", str(out)]) == 0
    labels = read_label_png((out / "coffee_kmeans_labels.png").read_bytes())
    assert labels.shape == (200, 300) and len(np.unique(labels)) == 3


def test_cli_bad_inputs_exit_non_zero_with_a_message(folder, tmp_path, capsys):
    (folder / "broken.png").write_bytes(b"definitely not a png")
    assert main([str(folder), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "broken.png" in err and "is not an image this app can read" in err
    assert main([str(tmp_path / "missing.png"), "-o", str(tmp_path / "o")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main([str(folder), "--method", "nope"])
    assert info.value.code == 2
    assert "unknown method 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(folder), "--method", "otsu", "-p", "k=3"])
    assert "otsu has no parameter(s) ['k']" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # a prompt method needs clicks: the noc command gives it some
        main([str(folder), "--method", "otsu,grabcut"])
    assert info.value.code == 2
    assert "grabcut answer(s) prompts" in (err := capsys.readouterr().err) and "python -m segcore noc" in err


def test_help_lists_methods_with_defaults():
    res = subprocess.run([sys.executable, "-m", "segcore", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0
    for line in ["multiotsu", "classes=3", "kmeans", "k=5", "canny", "sigma=1.0", "maskrcnn", "variant='v1'"]:
        assert line in res.stdout


def test_parse_param_reads_literals_and_strings():
    assert parse_param("k=8") == ("k", 8)
    assert parse_param("thresholds=(0.2, 0.6)") == ("thresholds", (0.2, 0.6))
    assert parse_param("color_space=lab") == ("color_space", "lab")


def test_weights_status_and_offline_download(tmp_path, monkeypatch):
    env = {"TORCH_HOME": str(tmp_path / "torch"), "SEGCORE_MASKRCNN_URL": "http://127.0.0.1:9/",
           "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-m", "segcore", "weights", "status"], cwd=ROOT, capture_output=True,
                         text=True, env=env)
    assert res.returncode == 0
    assert "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth" in res.stdout and "missing" in res.stdout
    res = subprocess.run([sys.executable, "-m", "segcore", "weights", "download", "--variant", "v1"], cwd=ROOT,
                         capture_output=True, text=True, env=env)
    assert res.returncode == 2
    assert "cannot reach" in res.stderr and "SEGCORE_MASKRCNN_WEIGHTS" in res.stderr
    assert not list((tmp_path / "torch").rglob("*.pth"))


def test_cli_runs_a_request_over_the_dashboards_budget_as_asked_and_warns(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("segcore.cost.BUDGET_S", 0.01)  # any run is over it: the warning, not a slow run, is tested
    out = tmp_path / "out"
    csv = tmp_path / "scores.csv"
    assert main([str(folder / "coffee.png"), "-m", "multiotsu", "-p", "classes=4", "-o", str(out),
                 "--metrics", str(csv)]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "coffee.png: multiotsu is estimated at " in err
    assert "on 600 x 400 px, over the dashboard's 0.0 s budget" in err
    assert "(the dashboard would run it with 32 histogram bins); running it as asked." in err
    assert '"{""classes"": 4}"' in csv.read_text()  # what was asked: 4 classes on 256 bins (nbins not lowered)


def test_cli_says_nothing_of_the_budget_for_a_request_within_it(folder, tmp_path, capsys):
    assert main([str(folder / "coffee.png"), "-m", "otsu", "-o", str(tmp_path / "out")]) == 0
    assert "budget" not in capsys.readouterr().err
