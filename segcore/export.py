"""One zip for a comparison: every label map, every overlay, the scores and how to reproduce them.

The archive holds, for an image and the methods compared on it:

- ``labels/<stem>_<method>_labels.png``: 16-bit PNG, pixel value = label (lossless);
- ``overlays/<stem>_<method>_overlay.png``: the label map blended over the image;
- ``metrics.csv``: the scores table, when a ground truth was given;
- ``manifest.json``: the image (name, SHA-256 of its working pixels, sizes), each
  method's exact parameters, time and files, the ground truth, the library
  versions, and the ``python -m segcore`` command that reproduces each panel;
  for a promptable method (which the command line does not run) the prompts it
  answered, as the dashboard's link writes them, instead of a command.
"""

from __future__ import annotations

import io
import json
import platform
import shlex
import zipfile
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from segcore.io.loading import LoadedImage
from segcore.prompts import Prompts
from segcore.registry import get_method
from segcore.render import label_png, overlay, rgb_png
from segcore.result import Segmentation

#: The packages whose versions decide the results (requirements.txt's runtime pins).
VERSIONED = ("numpy", "scipy", "scikit-image", "scikit-learn", "pillow", "torch", "torchvision", "pycocotools")


def library_versions() -> dict[str, str]:
    """Installed versions of Python and the libraries behind every method ("not installed" if absent)."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def stem(name: str) -> str:
    """The file name without its last suffix, as the CLI names its outputs."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def _cli_value(value: Any) -> str:
    """A parameter value as the CLI's ``-p key=value`` reads it back (a Python literal, or a bare word)."""
    return value if isinstance(value, str) else repr(tuple(value) if isinstance(value, list) else value)


def cli_command(image_name: str, method: str, params: Mapping[str, Any], max_side: int | None) -> str:
    """The ``python -m segcore`` line that recomputes this method's label map on the original file.

    The file name comes last, after ``--``: a name such as ``--out=x.png`` is then a file, not an option.
    """
    parts = ["python", "-m", "segcore", "-m", method]
    for key, value in params.items():
        if key != "device":  # the machine's choice, not a result-defining setting
            parts += ["-p", f"{key}={_cli_value(value)}"]
    parts += ["--max-side", str(max_side or 0), "--", image_name]
    return " ".join(shlex.quote(p) for p in parts)


def comparison_zip(
    image: LoadedImage,
    results: Mapping[str, Segmentation],
    *,
    max_side: int | None,
    alpha: float = 0.5,
    metrics_csv: str | None = None,
    ground_truth: Mapping[str, Any] | None = None,
    prompts: Prompts | None = None,
) -> bytes:
    """The zip of a comparison (see the module docstring); returns its bytes.

    ``results`` maps a panel name (the method's registry name) to its
    Segmentation, at the working size of ``image``; ``max_side`` is the
    working-size cap the image was loaded with (None: full resolution), so
    the commands reproduce the same pixels. ``prompts``: what the promptable
    methods among ``results`` answered, written into the manifest (their
    ``command`` is None: the command line takes no prompts).
    """
    base = stem(image.name)
    manifest: dict[str, Any] = {
        "image": {
            "name": image.name,
            "sha256_of_working_pixels": image.sha256,
            "working_size": list(image.size),
            "original_size": list(image.original_size),
            "max_side": max_side,
        },
        "methods": {},
        "ground_truth": dict(ground_truth) if ground_truth else None,
        "prompts": prompts.to_text() if prompts else None,
        "versions": library_versions(),
        "reproduce": "Each method's 'command' writes the same label map (the 16-bit PNG) from the original file.",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, seg in results.items():
            labels_file = f"labels/{base}_{name}_labels.png"
            overlay_file = f"overlays/{base}_{name}_overlay.png"
            # PNGs are compressed already: stored as they are, not deflated a second time
            zf.writestr(labels_file, label_png(seg.labels, compress_level=1), compress_type=zipfile.ZIP_STORED)
            spec = get_method(seg.method)
            picture = overlay(image.rgb, seg, alpha=alpha, skip_zero=spec.family == "maskrcnn")
            zf.writestr(overlay_file, rgb_png(picture, compress_level=1), compress_type=zipfile.ZIP_STORED)
            manifest["methods"][name] = {
                "title": spec.title,
                "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in seg.params.items()},
                "labels": seg.n_labels,
                "time_s": round(seg.elapsed_s, 4),
                "files": [labels_file, overlay_file],
                "command": None if spec.prompted else cli_command(image.name, seg.method, seg.params, max_side),
            }
            if spec.prompted:
                manifest["methods"][name]["answers"] = "the prompts above (the command line takes no prompts)"
        if metrics_csv is not None:
            zf.writestr("metrics.csv", metrics_csv)
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, default=str))
    return buf.getvalue()
