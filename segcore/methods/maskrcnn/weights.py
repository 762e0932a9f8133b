"""Where Mask R-CNN weights come from, and how a weights file is checked.

The COCO variants use torchvision's published state dicts. They are looked
for, in this order:

1. an explicit file: the ``path`` argument (the page may take one from
   Streamlit secrets), else the environment variable
   ``SEGCORE_MASKRCNN_WEIGHTS_<VARIANT>`` (e.g. ``..._V2``), else
   ``SEGCORE_MASKRCNN_WEIGHTS``;
2. torch hub's cache, ``<torch.hub.get_dir()>/checkpoints/<file name>``, where
   ``torchvision`` itself keeps them (the file name is the last part of the
   weights enum's URL, e.g. ``maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth``);
3. a download from the weights enum's URL (or a mirror given by ``url`` or
   ``SEGCORE_MASKRCNN_URL``) into that cache, checked against the SHA-256
   prefix carried in the file name, as ``torch.hub`` does.

When all of them fail, :class:`WeightsUnavailable` says what failed and how to
fix it. Files are read with ``torch.load(..., weights_only=True)``: a weights
file is a pickle, and a pickle can run code; ``weights_only`` refuses any
object that is not plain tensors and containers.

The ``"shapes"`` variant is a small model trained on synthetic shapes whose
weights are committed to the repository (``segcore.methods.maskrcnn.shapes``); it is
never downloaded.

Nothing here imports torch at module level: the registry imports this package
when the dashboard starts.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import sys
import threading
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segcore.methods.maskrcnn import shapes

#: Environment variable naming a weights file (for v1 and v2).
ENV_WEIGHTS = "SEGCORE_MASKRCNN_WEIGHTS"
#: Environment variable naming a download mirror: a folder URL holding the official file names.
ENV_URL = "SEGCORE_MASKRCNN_URL"
#: The command that fetches the weights ahead of time (written by the CLI).
DOWNLOAD_COMMAND = "python -m segcore weights download --variant {variant}"
#: Same pattern as ``torch.hub.HASH_REGEX``: the SHA-256 prefix in a file name.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
#: Bytes read per step of a download (one progress report per chunk).
CHUNK_BYTES = 1 << 20
#: Seconds without data before a download gives up.
TIMEOUT_S = 30.0

ProgressCallback = Callable[[int, "int | None"], None]


#: Variants whose weights come from torchvision (downloadable, COCO classes).
COCO_VARIANTS = ("v1", "v2")


@dataclass(frozen=True)
class Variant:
    """One Mask R-CNN model the dashboard can run.

    ``builder`` names the function that builds it: for the COCO variants a
    torchvision detection builder, whose weights enum (URL, hash prefix,
    categories, metrics) is ``torchvision.models.get_model_weights(builder)``
    (:func:`weights_enum_member`); for ``"shapes"`` the builder of
    :mod:`segcore.methods.maskrcnn.shapes`. Names only, so that describing a
    variant does not import torch.
    """

    name: str
    title: str
    builder: str

    @property
    def coco(self) -> bool:
        """Whether the weights are torchvision's COCO ones (downloadable; else they ship with the project)."""
        return self.name in COCO_VARIANTS


VARIANTS: dict[str, Variant] = {
    "v1": Variant("v1", "Mask R-CNN R50-FPN (COCO)", "maskrcnn_resnet50_fpn"),
    "v2": Variant("v2", "Mask R-CNN R50-FPN v2 (COCO)", "maskrcnn_resnet50_fpn_v2"),
    "shapes": Variant("shapes", "Small Mask R-CNN (synthetic shapes)", "build_shapes_model"),
}


class WeightsUnavailable(RuntimeError):
    """No usable weights for a variant; the message says what failed and how to fix it."""


class WeightsFileError(WeightsUnavailable):
    """A weights file exists but is not a state dict of the expected model."""


class DownloadError(WeightsUnavailable):
    """A download failed (network, truncated file, hash mismatch); no file was left behind."""


_download_lock = threading.Lock()


def _variant(variant: str) -> Variant:
    try:
        return VARIANTS[variant]
    except KeyError:
        raise ValueError(f"unknown Mask R-CNN variant {variant!r}; choose one of {', '.join(VARIANTS)}") from None


def weights_enum_member(variant: str):
    """The torchvision weights enum member of a COCO variant, ``COCO_V1`` (imports torchvision).

    It carries everything known about the published weights: ``.url`` (whose
    file name holds the SHA-256 prefix), ``.meta["categories"]`` and the COCO
    metrics in ``.meta``.
    """
    v = _variant(variant)
    if not v.coco:
        raise ValueError(f"variant {variant!r} has no torchvision weights")
    from torchvision.models import get_model_weights

    return get_model_weights(v.builder).COCO_V1


def categories(variant: str) -> list[str]:
    """Class names by label index, ``"__background__"`` first.

    For v1/v2 this is the weights enum's ``meta["categories"]``: torchvision's
    91-entry COCO list with ``"N/A"`` at the ids COCO leaves unused, so label
    index ``i`` *is* COCO ``category_id`` ``i`` (1 person ... 90 toothbrush).
    """
    if not _variant(variant).coco:
        return list(shapes.SHAPES_CATEGORIES)
    return list(weights_enum_member(variant).meta["categories"])


def official_url(variant: str) -> str:
    """The weights enum's download URL for a COCO variant."""
    return weights_enum_member(variant).url


def file_name(variant: str) -> str:
    """The weights file name: the last part of the official URL (it carries the hash prefix)."""
    if not _variant(variant).coco:
        return shapes.SHAPES_WEIGHTS.name
    return official_url(variant).rsplit("/", 1)[-1]


def cache_dir() -> Path:
    """torch hub's checkpoint folder, ``$TORCH_HOME/hub/checkpoints`` by default."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


def hub_checkpoints_without_torch() -> Path:
    """torch hub's checkpoint folder as :func:`cache_dir` gives it, found without importing torch.

    ``torch.hub.get_dir()`` is documented as ``$TORCH_HOME/hub``, ``$TORCH_HOME`` defaulting to
    ``$XDG_CACHE_HOME/torch`` and that to ``~/.cache/torch`` (tested equal). Where torch is
    already imported its own answer is used, since ``torch.hub.set_dir`` may have moved it.
    """
    if "torch" in sys.modules:
        return cache_dir()
    home = os.getenv("TORCH_HOME") or os.path.join(os.getenv("XDG_CACHE_HOME") or "~/.cache", "torch")
    return Path(os.path.expanduser(home)) / "hub" / "checkpoints"


def certainly_missing(variant: str) -> bool:
    """True when ``variant``'s weights cannot be on this machine, decided without importing torch.

    That is: a COCO variant with no file named by the user and no ``.pth`` file at all in torch
    hub's checkpoint folder. False means "they may be here": :func:`resolve_weights` then looks
    for the exact file (importing torchvision for its name). The compare page asks this on a first
    visit, where importing torch only to learn that nothing is there cost 3 s and 630 MB.
    """
    if not _variant(variant).coco or explicit_weights(variant) is not None:
        return False
    folder = hub_checkpoints_without_torch()
    return not (folder.is_dir() and any(folder.glob("*.pth")))


def hash_prefix(name: str) -> str | None:
    """The SHA-256 prefix a file name carries (``"-bf2d0c1e."`` -> ``"bf2d0c1e"``), as torch.hub reads it."""
    m = HASH_REGEX.search(name)
    return m.group(1) if m and m.group(1) else None


def download_source(variant: str, url: str | None = None) -> str:
    """The URL a download of ``variant`` reads.

    ``url`` overrides the official one: a value ending in ``/`` is a mirror
    folder holding the official file names, anything else is the full URL of
    the file (its last part then names the file and carries the hash prefix).
    Else ``$SEGCORE_MASKRCNN_URL`` names a mirror folder (one variable serves
    every variant).
    """
    if url is None:
        mirror = os.environ.get(ENV_URL, "").strip()
        if not mirror:
            return official_url(variant)
        url = mirror if mirror.endswith("/") else mirror + "/"  # the variable always names a folder
    if url.endswith("/"):
        return url + file_name(variant)
    return url


def _env_names(variant: str) -> list[str]:
    names = [f"{ENV_WEIGHTS}_{variant.upper()}"]
    if variant in COCO_VARIANTS:
        names.append(ENV_WEIGHTS)
    return names


def explicit_weights(variant: str, path: str | os.PathLike | None = None) -> tuple[Path, str] | None:
    """The file the user named for ``variant`` and where the name came from, or None.

    ``path`` wins, then ``SEGCORE_MASKRCNN_WEIGHTS_<VARIANT>``, then (v1/v2)
    ``SEGCORE_MASKRCNN_WEIGHTS``. An empty variable counts as unset.
    """
    if path is not None and str(path) != "":
        return Path(path).expanduser(), "the path argument"
    for name in _env_names(variant):
        value = os.environ.get(name, "").strip()
        if value:
            return Path(value).expanduser(), f"${name}"
    return None


def _fix_text(variant: str, target: Path | None) -> str:
    name = file_name(variant)
    folder = target.parent if target is not None else cache_dir()
    return (
        "To fix it, do one of:\n"
        f"  - run `{DOWNLOAD_COMMAND.format(variant=variant)}` where the internet is reachable: it saves {name}"
        f" in torch hub's cache (here: {folder}; copy the file there if you ran it on another machine);\n"
        f"  - download {download_source(variant)} yourself and put it in {folder} under the name {name};\n"
        f"  - or point the environment variable {ENV_WEIGHTS} (for this variant alone:"
        f" {ENV_WEIGHTS}_{variant.upper()}) at a copy of {name} anywhere on disk."
    )


def host_advice(variant: str) -> str:
    """What whoever runs the server can do about missing ``variant`` weights, without naming a server path.

    For a web page, where a visitor should not read the server's folders:
    :class:`WeightsUnavailable`'s own message (for the command line and the
    server's log) names them.
    """
    return (
        f"For whoever hosts this app: the page downloads {file_name(variant)} once when the server can reach the "
        f"internet. Otherwise run `{DOWNLOAD_COMMAND.format(variant=variant)}` where it can and copy the file into "
        f"torch hub's checkpoint folder on the server, or point the environment variable {ENV_WEIGHTS} (or a "
        f"`{ENV_WEIGHTS}` entry in Streamlit's secrets) at the file. The server's log says where it looked."
    )


def resolve_weights(
    variant: str = "v1",
    *,
    path: str | os.PathLike | None = None,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
    url: str | None = None,
) -> Path:
    """Find (or fetch) the weights file of ``variant`` and return its path.

    Parameters
    ----------
    variant : {"v1", "v2", "shapes"}
    path : path-like, optional
        A file to use; else the environment variables, see the module docs.
        A named file that does not exist is an error, not a reason to look
        elsewhere: the user asked for that file.
    allow_download : bool
        Try the download (step 3) when the file is not on disk.
    progress : callable(done_bytes, total_bytes or None), optional
        Called while downloading.
    url : str, optional
        Download from here instead of the official URL (see :func:`download_source`).

    Returns
    -------
    pathlib.Path
        An existing file. Its contents are checked when the model loads it
        (:func:`load_state_dict_file`), not here.

    Raises
    ------
    WeightsUnavailable
        Nothing worked; the message names the file, the cache folder, the
        environment variable and the download command.
    """
    v = _variant(variant)
    explicit = explicit_weights(variant, path)
    if explicit is not None:
        file, origin = explicit
        if file.is_file():
            return file
        raise WeightsUnavailable(
            f"Mask R-CNN {variant} weights: {origin} names {file}, which is not a file. "
            f"Correct or unset it{' to use the torch hub cache / download' if v.coco else ''}."
        )
    if not v.coco:  # shapes: the committed file
        file = Path(shapes.SHAPES_WEIGHTS)
        if file.is_file():
            return file
        raise WeightsUnavailable(
            f"Mask R-CNN shapes weights: {file} is missing. The file is committed with the project:"
            f" restore it from git, train it again with segcore/methods/maskrcnn/train_shapes.py,"
            f" or point {ENV_WEIGHTS}_SHAPES at a copy."
        )

    source = download_source(variant, url)
    name = source.rsplit("/", 1)[-1]
    target = cache_dir() / name
    if target.is_file():
        return target
    tried = [f"{ENV_WEIGHTS} is not set", f"{name} is not in the torch hub cache {target.parent}"]
    if allow_download:
        try:
            return download_weights(variant, progress=progress, url=url)
        except DownloadError as exc:
            tried.append(f"the download failed: {exc}")
            cause: BaseException | None = exc
    else:
        tried.append("downloading is turned off")
        cause = None
    msg = (
        f"Mask R-CNN {variant} weights ({name}) are not available: "
        + "; ".join(tried)
        + ".\n"
        + _fix_text(variant, target)
    )
    raise WeightsUnavailable(msg) from cause


def download_weights(
    variant: str = "v1",
    *,
    progress: ProgressCallback | None = None,
    url: str | None = None,
) -> Path:
    """Download the weights of ``variant`` into torch hub's cache and return the file.

    The bytes go to a temporary file in the cache folder while the SHA-256 is
    computed; only a complete file (as long as the server announced) whose
    hash starts with the prefix in its name is renamed into place
    (``os.replace``, atomic, after an ``fsync``). Anything else -- refused
    connection, a cut mid-file, a body shorter or longer than announced, a
    hash mismatch, a read-only or full cache folder -- removes the temporary
    file and raises :class:`DownloadError`, so no broken file is ever left
    where the loader would pick it up, and the next call starts afresh.

    Parameters
    ----------
    variant : {"v1", "v2"}
    progress : callable(done_bytes, total_bytes or None), optional
        Called once before the first byte and after every chunk
        (:data:`CHUNK_BYTES`); ``total_bytes`` is the Content-Length, or None
        when the server does not send one.
    url : str, optional
        Override of the official URL (see :func:`download_source`).

    Returns
    -------
    pathlib.Path
        ``<cache_dir()>/<file name>``. An existing file there is kept as is.
    """
    if not _variant(variant).coco:
        raise ValueError(f"variant {variant!r} is not downloaded: its weights ship with the project")
    source = download_source(variant, url)
    name = source.rsplit("/", 1)[-1]
    folder = cache_dir()
    target = folder / name
    expected = hash_prefix(name)
    with _download_lock:
        if target.is_file():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DownloadError(_disk_problem(exc, folder, "cannot create torch hub's cache folder")) from exc
        tmp = folder / f"{name}.{uuid.uuid4().hex}.partial"
        try:
            _fetch(source, tmp, expected, progress)
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise DownloadError(
                    _disk_problem(exc, folder, f"cannot move the finished download into place as {name} in")
                ) from exc
        finally:
            _remove_quietly(tmp)
    return target


def _remove_quietly(path: Path) -> None:
    """Delete ``path`` if it is there; a folder that refuses (read-only) leaves it, under its ``.partial`` name."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _disk_problem(exc: OSError, folder: Path, what: str, done: int = 0, total: int | None = None) -> str:
    """One message for a file-system error in the cache folder: what is wrong there and what to do."""
    where = f"{what} {folder}"
    fix_place = (
        "set the environment variable TORCH_HOME to a folder on a disk with room"
        " (the weights then go to $TORCH_HOME/hub/checkpoints)"
    )
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        need = f"; the file is {total / 1e6:.1f} MB" if total else ""
        return (
            f"{where}: the disk is full ({exc.strerror or exc}) after {done:,} bytes were written{need}."
            f" The partial file was removed. Free some space there, or {fix_place}; then try again."
        )
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"{where}: the folder is read-only here ({exc.strerror or exc}). Make it writable, or set the"
            " environment variable TORCH_HOME to a writable folder (the weights then go to"
            " $TORCH_HOME/hub/checkpoints); then try again."
        )
    return f"{where}: {exc.strerror or exc}. Check that folder, or {fix_place}; then try again."


def _fetch(source: str, tmp: Path, expected_hash: str | None, progress: ProgressCallback | None) -> None:
    """Stream ``source`` into ``tmp``; raise DownloadError unless it is complete and verified.

    Network failures and file-system failures get different messages: a
    full or read-only cache folder is not a broken connection.
    """
    req = urllib.request.Request(source, headers={"User-Agent": "segcore (torch.hub compatible)"})
    sha = hashlib.sha256()
    done = 0
    total: int | None = None
    network_errors = (OSError, ValueError, http.client.HTTPException)  # reset, timeout, IncompleteRead...
    try:
        resp = urllib.request.urlopen(req, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{source} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise DownloadError(f"cannot reach {source} ({exc.reason})") from exc
    except network_errors as exc:
        raise DownloadError(f"cannot reach {source} ({exc!r})") from exc
    with resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.strip().isdigit() else None
        try:
            out = open(tmp, "wb")
        except OSError as exc:
            raise DownloadError(_disk_problem(exc, tmp.parent, "cannot write the download into")) from exc
        try:
            if progress is not None:
                progress(0, total)
            while True:
                try:
                    chunk = resp.read(CHUNK_BYTES)
                except network_errors as exc:
                    raise DownloadError(
                        f"the connection to {source} broke after {done:,} of {_size(total)} bytes ({exc!r});"
                        " the partial file was removed: try again"
                    ) from exc
                if not chunk:
                    break
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise DownloadError(
                        _disk_problem(exc, tmp.parent, "cannot write the download into", done, total)
                    ) from exc
                sha.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            try:  # buffered bytes reach the disk here: a full disk shows now, not after the rename
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:
                raise DownloadError(
                    _disk_problem(exc, tmp.parent, "cannot write the download into", done, total)
                ) from exc
        finally:
            try:
                out.close()
            except OSError:
                pass  # the file is removed by the caller either way
    if total is not None and done != total:
        raise DownloadError(
            f"the connection to {source} closed after {done:,} of {total:,} bytes (the size the server"
            " announced); the partial file was removed: try again"
        )
    if done == 0:
        raise DownloadError(f"{source} sent an empty file")
    digest = sha.hexdigest()
    if expected_hash is not None and not digest.startswith(expected_hash):
        raise DownloadError(
            f"{source}: SHA-256 mismatch, the file name promises a hash starting {expected_hash!r},"
            f" the {done:,} bytes received hash to {digest}; the file was discarded. The server sent"
            f" another file, or a damaged or cut one{' (of the size it announced)' if total is not None else ''}:"
            f" try again later, or check the mirror (${ENV_URL}) if one is set"
        )


def _size(total: int | None) -> str:
    return "an unknown number of" if total is None else f"{total:,}"


def weights_status() -> list[dict[str, Any]]:
    """Where each variant's weights are, for ``python -m segcore weights status``.

    Returns
    -------
    list of dict
        One per variant with keys ``variant``, ``title``, ``file`` (file name),
        ``found`` (path or None), ``source`` (``"path"``/``"env"``/``"cache"``/
        ``"committed"`` or None), ``size`` (bytes or None), ``expected`` (where
        the file is looked for: the cache path, or the committed file),
        ``url`` (download URL or None), ``error`` (why the variant is unusable,
        or None). Nothing is downloaded.
    """
    rows = []
    for name, v in VARIANTS.items():
        row: dict[str, Any] = {
            "variant": name,
            "title": v.title,
            "file": None,
            "found": None,
            "source": None,
            "size": None,
            "expected": None,
            "url": None,
            "error": None,
        }
        try:
            row["file"] = file_name(name)
            if v.coco:
                row["url"] = download_source(name)
                row["expected"] = cache_dir() / row["url"].rsplit("/", 1)[-1]
            else:
                row["expected"] = Path(shapes.SHAPES_WEIGHTS)
            explicit = explicit_weights(name)
            if explicit is not None:
                file, origin = explicit
                row["source"] = "env"
                if not file.is_file():
                    row["error"] = f"{origin} names {file}, which is not a file"
            else:
                file = row["expected"]
                row["source"] = "cache" if v.coco else "committed"
            if file.is_file():
                row["found"] = file
                row["size"] = file.stat().st_size
            else:
                row["source"] = None
        except WeightsUnavailable as exc:
            row["error"] = str(exc)
        rows.append(row)
    return rows


# --- reading and checking a file ---------------------------------------------------------


def _describe(obj: Any) -> str:
    if isinstance(obj, Mapping):
        keys = [str(k) for k in list(obj.keys())[:4]]
        return f"a dict of {len(obj)} entries with keys like {', '.join(keys) or '(none)'}"
    return f"a {type(obj).__name__}"


def _unwrap(obj: Any) -> Any:
    """Training checkpoints often wrap the state dict: {"model": sd, "optimizer": ...}."""
    if isinstance(obj, Mapping) and not any(hasattr(v, "shape") for v in obj.values()):
        for key in ("model", "state_dict", "model_state_dict"):
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                return inner
    return obj


def read_state_dict(file: str | os.PathLike) -> dict:
    """``torch.load(file, map_location="cpu", weights_only=True)``, with clear errors.

    Returns
    -------
    dict of str -> Tensor
        The state dict (unwrapped from a ``{"model": ...}`` checkpoint).

    Raises
    ------
    WeightsFileError
        Not a torch file, a pickle holding code or other objects, or not a
        mapping of names to tensors. The message names the file.
    """
    import pickle

    import torch

    file = Path(file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols before refusing
            obj = torch.load(file, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise WeightsFileError(f"{file}: no such file") from exc
    except pickle.UnpicklingError as exc:
        text = str(exc)
        detail = text.split("WeightsUnpickler error:", 1)[-1].split("Check the documentation", 1)[0]
        detail = " ".join(detail.split()) or (text.strip().splitlines() or [type(exc).__name__])[0]
        if "unsupported global" in detail.lower() or "global" in detail.lower():
            raise WeightsFileError(
                f"{file} is not a plain state dict: it holds Python objects (code) that"
                f" torch.load(weights_only=True) refuses to run; nothing in it was executed ({detail})"
            ) from exc
        raise WeightsFileError(f"{file} is not a PyTorch weights file ({detail})") from exc
    except Exception as exc:
        from segcore.methods.maskrcnn.memory import is_out_of_memory  # noqa: PLC0415

        if is_out_of_memory(exc):  # not the file's fault: the caller says so, and the next try may work
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsFileError(f"{file} is not a PyTorch weights file ({type(exc).__name__}: {first})") from exc
    obj = _unwrap(obj)
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightsFileError(f"{file} does not hold a state dict (names -> tensors); it holds {_describe(obj)}")
    return dict(obj)


_KEY_EXAMPLES = (
    "backbone.body.conv1.weight",
    "rpn.head.conv.0.0.weight",
    "roi_heads.mask_predictor.mask_fcn_logits.weight",
)


def _guess_variant(keys: set[str]) -> str | None:
    """Tell v1 and v2 state dicts apart by keys only v2 has (conv box head, BN in the FPN)."""
    if "roi_heads.box_head.0.0.weight" in keys:
        return "v2"
    if "roi_heads.box_head.fc6.weight" in keys and "backbone.body.conv1.weight" in keys:
        return "v1"
    return None


def load_state_dict_file(model, file: str | os.PathLike, *, variant: str, origin: str = "") -> None:
    """Load ``file`` into ``model`` with ``strict=True``; translate failures into one clear message.

    ``model`` may live on the meta device: the tensors are then assigned
    (``assign=True``) rather than copied, so the weights exist in memory once.

    Raises
    ------
    WeightsFileError
        Naming the file, the model it should hold (with example keys) and what
        it holds instead: missing / unexpected keys, wrong shapes, or a guess
        at the other variant.
    """
    import torch

    file = Path(file)
    v = _variant(variant)
    expected = set(model.state_dict().keys())
    want = f"expected a state dict of {v.builder} ({variant}) with keys like {', '.join(_examples(expected))}"
    try:
        sd = read_state_dict(file)
    except WeightsFileError as exc:
        raise WeightsFileError(f"{exc}; {want}" + (f" (file from {origin})" if origin else "")) from exc
    on_meta = any(p.is_meta for p in model.parameters())
    got = set(sd.keys())
    # BatchNorm fills in num_batches_tracked for files saved with FrozenBatchNorm2d (torchvision's v1).
    missing = sorted(k for k in expected - got if not k.endswith("num_batches_tracked"))
    unexpected = sorted(got - expected)
    where = f"{file}{f' (from {origin})' if origin else ''}"
    if missing or unexpected:
        parts = [f"got {len(got)} tensors with keys like {', '.join(sorted(got)[:3]) or '(none)'}"]
        if missing:
            parts.append(f"{len(missing)} expected keys are missing (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} keys are not part of the model (e.g. {', '.join(unexpected[:3])})")
        guess = _guess_variant(got)
        if guess and guess != variant:
            parts.append(f"this looks like the {guess} weights: choose variant {guess}, or name a {variant} file")
        raise WeightsFileError(f"{where} does not fit Mask R-CNN {variant}: {want}; " + "; ".join(parts) + ".")
    if on_meta:
        sd = {k: (t.float() if t.is_floating_point() and t.dtype != torch.float32 else t) for k, t in sd.items()}
    try:
        model.load_state_dict(sd, strict=True, assign=on_meta)
    except RuntimeError as exc:
        mismatches = re.findall(
            r"size mismatch for ([\w.]+): copying a param with shape (torch.Size\(\[[^\]]*\]\))"
            r".*?current model is (torch.Size\(\[[^\]]*\]\))",
            str(exc),
        )
        if mismatches:
            detail = "; ".join(f"{k}: file {a[11:-1]}, model {b[11:-1]}" for k, a, b in mismatches[:3])
            more = f" (and {len(mismatches) - 3} more)" if len(mismatches) > 3 else ""
            raise WeightsFileError(
                f"{where} does not fit Mask R-CNN {variant}: {want}; the keys match but shapes differ"
                f" -- {detail}{more}. A model trained with another number of classes needs its own variant."
            ) from exc
        raise WeightsFileError(f"{where} does not fit Mask R-CNN {variant}: {want}; {exc}") from exc


def _examples(keys: set[str]) -> list[str]:
    ex = [k for k in _KEY_EXAMPLES if k in keys]
    return ex or sorted(keys)[:3]
