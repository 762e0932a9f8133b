"""Where SAM 2.1 weights come from: a folder you name, the Hugging Face cache, or a download.

A SAM 2.1 checkpoint is a folder laid out as on the Hugging Face Hub (the
output of ``Sam2Model.save_pretrained`` and ``Sam2Processor.save_pretrained``):
``config.json``, ``model.safetensors`` and the processor's settings,
``processor_config.json`` and/or ``preprocessor_config.json`` (the Hub's
``facebook/sam2.1-hiera-*`` repositories hold both; transformers 5 writes the
first alone). It is looked for, in this order:

1. the folder the environment variable ``SEGCORE_SAM2_WEIGHTS`` names: either
   one checkpoint folder, or a folder holding one subfolder per checkpoint
   named as the Hub repository (``sam2.1-hiera-tiny/``, ``sam2.1-hiera-small/``,
   ...: what ``hf download facebook/sam2.1-hiera-tiny --local-dir
   DIR/sam2.1-hiera-tiny`` writes). A single checkpoint folder serves the
   checkpoint whose architecture its ``config.json`` describes; a folder of a
   size none of the four has (a model of your own) serves every choice. A
   named folder that lacks a file is an error, not a reason to look elsewhere;
2. the Hugging Face cache (``huggingface_hub``'s, ``$HF_HUB_CACHE``, by
   default ``$HF_HOME/hub`` = ``~/.cache/huggingface/hub``), read without any
   network call;
3. a download from the Hub (``$HF_ENDPOINT`` when set: a mirror) into that
   cache with :func:`huggingface_hub.hf_hub_download`, reporting bytes done
   and total to a callback. Each file is then checked against the hash the Hub
   gave for it (its ETag: the SHA-256 of a large file, the git hash of a small
   one); a file that does not match is removed. ``HF_HUB_OFFLINE=1`` turns
   downloads off.

The Hub variables are read when a function here is called, not when
``huggingface_hub`` was imported, so a server, a test or the command line can
set them at any time. Nothing here imports torch or transformers, and
``huggingface_hub`` only inside the functions that use it: the registry
imports this module when the dashboard starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Environment variable naming a checkpoint folder (or a folder of checkpoint folders).
ENV_WEIGHTS = "SEGCORE_SAM2_WEIGHTS"
#: The command that fetches the default checkpoint ahead of time (see :mod:`segcore.weights_cli`).
DOWNLOAD_COMMAND = "python -m segcore weights download sam2"
#: Files a checkpoint folder must hold.
MODEL_FILES = ("config.json", "model.safetensors")
#: The processor's settings: a folder needs at least one (see the module docs).
PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")
#: Seconds a download waits for the Hub's first answer about a file.
TIMEOUT_S = 30.0

ProgressCallback = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class Checkpoint:
    """One SAM 2.1 checkpoint on the Hub: its repository, size, and the image encoder that tells it apart.

    ``params_m``: millions of parameters, ``size_mb``: the ``model.safetensors``
    file (float32), as Meta's SAM 2.1 table and the Hub list them (the
    parameters include the video memory modules, which ``Sam2Model`` leaves
    out: tiny's image model has 31.4 M).
    ``hidden_size`` and ``blocks_per_stage`` are its Hiera encoder's (the values
    of transformers' conversion script): a ``config.json`` is matched on them.
    """

    repo_id: str
    size: str
    params_m: float
    size_mb: int
    hidden_size: int
    blocks_per_stage: tuple[int, ...]

    @property
    def folder_name(self) -> str:
        """The repository's name without its owner: the subfolder name under ``$SEGCORE_SAM2_WEIGHTS``."""
        return self.repo_id.rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        """How a menu names it: ``"tiny (38.9 M parameters, 156 MB)"``."""
        return f"{self.size} ({self.params_m:g} M parameters, {self.size_mb} MB)"


CHECKPOINTS: dict[str, Checkpoint] = {
    c.repo_id: c
    for c in (
        Checkpoint("facebook/sam2.1-hiera-tiny", "tiny", 38.9, 156, 96, (1, 2, 7, 2)),
        Checkpoint("facebook/sam2.1-hiera-small", "small", 46.0, 184, 96, (1, 2, 11, 2)),
        Checkpoint("facebook/sam2.1-hiera-base-plus", "base-plus", 80.8, 323, 112, (2, 3, 16, 3)),
        Checkpoint("facebook/sam2.1-hiera-large", "large", 224.4, 898, 144, (2, 6, 36, 4)),
    )
}
DEFAULT_CHECKPOINT = "facebook/sam2.1-hiera-tiny"


def download_command(checkpoint: str) -> str:
    """The command that fetches ``checkpoint`` ahead of time: :data:`DOWNLOAD_COMMAND`, naming any but the default."""
    return DOWNLOAD_COMMAND if checkpoint == DEFAULT_CHECKPOINT else f"{DOWNLOAD_COMMAND} --checkpoint {checkpoint}"


class WeightsUnavailable(RuntimeError):
    """No usable SAM 2.1 checkpoint; the message says what is missing and how to fetch it."""


class WeightsFileError(WeightsUnavailable):
    """A checkpoint folder exists but transformers cannot load it (a damaged or foreign file)."""


class DownloadError(WeightsUnavailable):
    """A download failed (offline, network, a file that does not match its hash); nothing broken was kept."""


_download_lock = threading.Lock()


def checkpoint_info(checkpoint: str) -> Checkpoint:
    """The :class:`Checkpoint` called ``checkpoint`` (a Hub repository id); ValueError lists the four."""
    try:
        return CHECKPOINTS[checkpoint]
    except KeyError:
        raise ValueError(f"unknown SAM 2.1 checkpoint {checkpoint!r}; choose one of {', '.join(CHECKPOINTS)}") from None


# --- the Hub's settings, read when called -------------------------------------------------


@dataclass(frozen=True)
class HubSettings:
    """Where the Hub is and where its cache lies, as huggingface_hub's environment variables say now."""

    endpoint: str
    cache_dir: Path
    offline: bool


def _truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def hub_settings() -> HubSettings:
    """``$HF_ENDPOINT``, the cache folder (``$HF_HUB_CACHE``, else ``$HF_HOME/hub``) and ``$HF_HUB_OFFLINE``.

    huggingface_hub reads these once, when it is imported; they are read here
    on every call and passed to it explicitly, so a change made afterwards (a
    test, a server's settings) holds. Unset, its own defaults apply.
    """
    from huggingface_hub import constants, is_offline_mode

    env = os.environ
    if env.get("HF_HUB_CACHE", "").strip():
        cache = Path(env["HF_HUB_CACHE"]).expanduser()
    elif env.get("HF_HOME", "").strip():
        cache = Path(env["HF_HOME"]).expanduser() / "hub"
    else:
        cache = Path(constants.HF_HUB_CACHE)
    offline_env = env.get("HF_HUB_OFFLINE")
    offline = _truthy(offline_env) if offline_env is not None else is_offline_mode()
    endpoint = (env.get("HF_ENDPOINT", "").strip() or constants.ENDPOINT).rstrip("/")
    return HubSettings(endpoint, cache, offline)


# --- a folder named by the user -----------------------------------------------------------


def missing_files(folder: Path) -> list[str]:
    """The files a checkpoint folder lacks: :data:`MODEL_FILES` and one of :data:`PROCESSOR_FILES`."""
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in PROCESSOR_FILES):
        missing.append(" or ".join(PROCESSOR_FILES))
    return missing


def architecture_of(folder: Path) -> str | None:
    """The checkpoint whose image encoder ``folder/config.json`` describes; None for none of the four.

    Reads ``vision_config.backbone_config``'s ``hidden_size`` and
    ``blocks_per_stage`` (transformers' defaults, the tiny model's, where the
    file leaves them out). Raises :class:`WeightsFileError` when the file is
    not JSON.
    """
    file = folder / "config.json"
    try:
        config = json.loads(file.read_text())
        backbone = (config.get("vision_config") or {}).get("backbone_config") or {}
        hidden = int(backbone.get("hidden_size", 96))
        blocks = tuple(int(b) for b in backbone.get("blocks_per_stage", (1, 2, 7, 2)))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise WeightsFileError(f"{file} is not a transformers model configuration ({exc})") from exc
    for c in CHECKPOINTS.values():
        if (c.hidden_size, c.blocks_per_stage) == (hidden, blocks):
            return c.repo_id
    return None


def explicit_folder(checkpoint: str) -> tuple[Path, str] | None:
    """The folder ``$SEGCORE_SAM2_WEIGHTS`` offers for ``checkpoint``, with a note on why; None when it offers none.

    The variable's folder itself when it holds ``config.json`` and that
    describes this checkpoint (or none of the four: a model of your own); else
    its subfolder named as the repository (``sam2.1-hiera-tiny``). Raises
    :class:`WeightsUnavailable` when the variable names no folder, or a folder
    with neither layout, or a subfolder that lacks files: the user asked for
    that folder.
    """
    c = checkpoint_info(checkpoint)
    value = os.environ.get(ENV_WEIGHTS, "").strip()
    if not value:
        return None
    root = Path(value).expanduser()
    if not root.is_dir():
        raise WeightsUnavailable(f"SAM 2.1 weights: ${ENV_WEIGHTS} names {root}, which is not a folder. "
                                 f"Correct or unset it to use the Hugging Face cache.")
    if (root / "config.json").is_file():
        holds = architecture_of(root)
        if holds is None or holds == checkpoint:
            what = "a model of your own, none of the four checkpoints" if holds is None else c.folder_name
            return root, f"${ENV_WEIGHTS}: {what}"
        return None  # it holds another checkpoint: this one comes from the cache
    sub = root / c.folder_name
    if sub.is_dir():
        return sub, f"${ENV_WEIGHTS}/{c.folder_name}"
    if any((root / other.folder_name).is_dir() for other in CHECKPOINTS.values()):
        return None  # a folder of checkpoints without this one
    raise WeightsUnavailable(
        f"SAM 2.1 weights: ${ENV_WEIGHTS} names {root}, which holds neither a checkpoint (config.json, "
        f"model.safetensors, processor_config.json) nor checkpoint folders named like {c.folder_name}."
    )


# --- the Hugging Face cache ---------------------------------------------------------------


def cached_folder(checkpoint: str, cache_dir: Path | None = None) -> Path | None:
    """The snapshot folder of ``checkpoint`` in the Hugging Face cache when it holds every file; else None.

    Uses :func:`huggingface_hub.try_to_load_from_cache` (no network): the
    revision ``main`` as the last download recorded it.
    """
    from huggingface_hub import try_to_load_from_cache

    cache = str(cache_dir or hub_settings().cache_dir)
    found = {}
    for name in MODEL_FILES + PROCESSOR_FILES:
        path = try_to_load_from_cache(checkpoint, name, cache_dir=cache)
        if isinstance(path, str):
            found[name] = Path(path)
    if all(name in found for name in MODEL_FILES) and any(name in found for name in PROCESSOR_FILES):
        return found["config.json"].parent
    return None


def _cache_missing(checkpoint: str, cache_dir: Path) -> list[str]:
    """Which of a checkpoint's files the cache lacks (all of them when it has none)."""
    from huggingface_hub import try_to_load_from_cache

    have = {n for n in MODEL_FILES + PROCESSOR_FILES
            if isinstance(try_to_load_from_cache(checkpoint, n, cache_dir=str(cache_dir)), str)}
    missing = [n for n in MODEL_FILES if n not in have]
    if not have & set(PROCESSOR_FILES):
        missing.append(" or ".join(PROCESSOR_FILES))
    return missing


# --- finding, for the method, the page and the command line ---------------------------------


def locate(checkpoint: str = DEFAULT_CHECKPOINT) -> tuple[Path, str] | None:
    """The checkpoint folder on disk and where it came from (``$SEGCORE_SAM2_WEIGHTS...`` or ``"cache"``); None.

    No network. Raises :class:`WeightsUnavailable` for a folder the variable
    names that lacks files (see :func:`explicit_folder`).
    """
    explicit = explicit_folder(checkpoint)
    if explicit is not None:
        folder, origin = explicit
        missing = missing_files(folder)
        if missing:
            raise WeightsUnavailable(
                f"SAM 2.1 weights: {origin} names {folder}, which lacks {', '.join(missing)}. A checkpoint folder "
                f"holds what Sam2Model.save_pretrained and Sam2Processor.save_pretrained write; complete it, or "
                f"unset {ENV_WEIGHTS} to use the Hugging Face cache."
            )
        return folder, origin
    folder = cached_folder(checkpoint)
    return (folder, "cache") if folder is not None else None


def weights_found(checkpoint: str = DEFAULT_CHECKPOINT) -> bool:
    """Whether ``checkpoint`` can load without a download (a complete named folder, or the cache has it)."""
    try:
        return locate(checkpoint) is not None
    except WeightsUnavailable:
        return False


def status_text(checkpoint: str = DEFAULT_CHECKPOINT) -> str:
    """A few sentences for the page and the command line: where it looked, what is missing, how to fetch it."""
    row = weights_status(checkpoint)[0]
    c = checkpoint_info(checkpoint)
    if row["found"]:
        return f"SAM 2.1 {c.size} ({c.repo_id}): found in {row['found']} ({row['source']})."
    looked = "; ".join(row["looked"])
    return (
        f"SAM 2.1 {c.size} ({c.repo_id}, {c.size_mb} MB) is not on this machine. Looked in: {looked}. "
        f"Missing: {', '.join(row['missing'])}. {_fix_text(checkpoint)}"
    )


def _fix_text(checkpoint: str) -> str:
    c = checkpoint_info(checkpoint)
    hub = hub_settings()
    return (
        f"To fetch it ahead of time, run `{download_command(checkpoint)}` where the internet "
        f"is reachable (it saves the files in the Hugging Face cache, here {hub.cache_dir}; copy that folder if "
        f"you ran it elsewhere), or point {ENV_WEIGHTS} at a folder holding {c.folder_name}'s config.json, "
        f"model.safetensors and processor_config.json."
    )


def host_advice(checkpoint: str = DEFAULT_CHECKPOINT) -> str:
    """What whoever runs the server can do about a missing checkpoint, without naming a server path (for a page)."""
    c = checkpoint_info(checkpoint)
    return (
        f"For whoever hosts this app: SAM 2.1 {c.size} ({c.size_mb} MB) downloads once when the server can reach "
        f"the Hugging Face Hub. Otherwise run `{download_command(checkpoint)}` where it can and "
        f"copy the Hugging Face cache to the server, or point {ENV_WEIGHTS} at a checkpoint folder. "
        f"`python -m segcore weights status` says where it looked."
    )


def weights_status(checkpoint: str | None = None) -> list[dict[str, Any]]:
    """Where each checkpoint is (or ``checkpoint`` alone), for the page and ``python -m segcore weights status``.

    Returns
    -------
    list of dict
        One per checkpoint with ``checkpoint`` (repo id), ``size`` (tiny ...),
        ``size_mb``, ``found`` (folder or None), ``source`` (``"$SEGCORE_SAM2_WEIGHTS..."``,
        ``"cache"`` or None), ``looked`` (the places searched, in order),
        ``missing`` (files not found, empty when found), ``error`` (a named
        folder that is wrong, or None), ``command`` (the download command).
        Nothing is downloaded and no network is used.
    """
    hub = hub_settings()
    rows = []
    for repo_id in [checkpoint] if checkpoint else list(CHECKPOINTS):
        c = checkpoint_info(repo_id)
        value = os.environ.get(ENV_WEIGHTS, "").strip()
        looked = [f"${ENV_WEIGHTS} ({value})" if value else f"${ENV_WEIGHTS} (not set)",
                  f"the Hugging Face cache ({hub.cache_dir / ('models--' + repo_id.replace('/', '--'))})"]
        row: dict[str, Any] = {"checkpoint": repo_id, "size": c.size, "size_mb": c.size_mb, "found": None,
                               "source": None, "looked": looked, "missing": [], "error": None,
                               "command": download_command(repo_id)}
        try:
            found = locate(repo_id)
        except WeightsUnavailable as exc:
            row["error"] = str(exc)
            found = None
        if found is not None:
            row["found"], row["source"] = found
        else:
            row["missing"] = _cache_missing(repo_id, hub.cache_dir)
        rows.append(row)
    return rows


def resolve_weights(
    checkpoint: str = DEFAULT_CHECKPOINT,
    *,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
) -> tuple[Path, str]:
    """The checkpoint folder to load and where it came from: a named folder, the cache, or a fresh download.

    Raises
    ------
    WeightsUnavailable
        Nothing worked (offline, no network, a named folder that is wrong):
        the message says what is missing, where it looked and the download
        command.
    """
    found = locate(checkpoint)
    if found is not None:
        return found
    c = checkpoint_info(checkpoint)
    hub = hub_settings()
    missing = _cache_missing(checkpoint, hub.cache_dir)
    tried = [f"{ENV_WEIGHTS} offers no folder for it",
             f"the Hugging Face cache {hub.cache_dir} lacks {', '.join(missing)}"]
    cause: BaseException | None = None
    if not allow_download:
        tried.append("downloading is turned off")
    else:
        try:
            return download_weights(checkpoint, progress=progress), "download"
        except DownloadError as exc:
            tried.append(str(exc))
            cause = exc
    raise WeightsUnavailable(
        f"SAM 2.1 {c.size} ({c.repo_id}) is not available: " + "; ".join(tried) + ".\n" + _fix_text(checkpoint)
    ) from cause


# --- the download -------------------------------------------------------------------------


def _progress_bar(report: Callable[[int], None]) -> type:
    """A class with the part of tqdm's interface huggingface_hub's downloads use, counting file bytes into ``report``.

    huggingface_hub builds one bar per file from ``tqdm_class`` and calls
    ``update(n)`` per chunk written (both for plain HTTP and Xet downloads); a
    class that has ``update_transfer`` gets the network bytes there instead of
    on a second bar (as its own ``snapshot_download`` aggregates them): they
    are not the file's bytes, so they are not counted.
    """

    class _BytesBar:
        def __init__(self, *args: Any, total: int | None = None, initial: int = 0, **kwargs: Any):
            self.total, self.n = total, 0
            self.format_dict: dict = {}
            self.update(initial)

        def update(self, n: int | float | None = 1) -> None:
            self.n = max(0, self.n + int(n or 0))
            report(self.n)

        def update_transfer(self, n: int | float | None = 1) -> None:
            pass

        def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
            pass

        set_transfer_postfix_str = set_postfix_str
        refresh = set_postfix_str

        def close(self) -> None:
            pass

        def __enter__(self) -> _BytesBar:
            return self

        def __exit__(self, *exc: Any) -> None:
            pass

    return _BytesBar


def _git_blob_sha1(path: Path) -> str:
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_hash(pointer: Path, name: str, source: str) -> None:
    """Compare a downloaded file with the hash its cache name carries; remove it and raise if they differ.

    The cache stores each file as ``blobs/<ETag>``: the Hub's ETag is the
    SHA-256 of a large (LFS / Xet) file and the git blob hash of a small one.
    A blob named otherwise (a copy instead of a link) is left unchecked.
    """
    blob = pointer.resolve()
    etag = blob.name
    if len(etag) == 64 and all(ch in "0123456789abcdef" for ch in etag):
        got, kind = _sha256(blob), "SHA-256"
    elif len(etag) == 40 and all(ch in "0123456789abcdef" for ch in etag):
        got, kind = _git_blob_sha1(blob), "git hash"
    else:
        return
    if got != etag:
        for path in (pointer, blob):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
        raise DownloadError(
            f"{name} from {source} does not match the {kind} the Hub gave for it ({etag[:12]}..., the bytes "
            f"received hash to {got[:12]}...): the file was discarded; try again"
        )


def _why(exc: BaseException) -> str:
    """One line on why a Hub call failed: the exception, or the connection error behind huggingface_hub's own."""
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    inner = exc.__cause__
    if isinstance(exc, OfflineModeIsEnabled) or isinstance(inner, OfflineModeIsEnabled):
        return "downloads are turned off (HF_HUB_OFFLINE=1)"
    shown = inner if isinstance(exc, LocalEntryNotFoundError) and inner is not None else exc
    text = " ".join(str(shown).split()) or type(shown).__name__
    return f"{type(shown).__name__}: {text[:300]}"


def download_weights(checkpoint: str = DEFAULT_CHECKPOINT, *, progress: ProgressCallback | None = None) -> Path:
    """Download ``checkpoint`` into the Hugging Face cache (files already there are kept) and return its folder.

    First asks the Hub for each file's size (a dry run of
    :func:`huggingface_hub.hf_hub_download`, which also says what the cache
    already holds), then downloads the missing ones; a repository without
    one of the two processor files is fine. huggingface_hub writes each file
    under a temporary name and renames it when complete, with the size the Hub
    announced; its hash is then checked (:func:`_check_hash`).

    Parameters
    ----------
    checkpoint : str
        One of :data:`CHECKPOINTS` (a Hub repository id).
    progress : callable(done_bytes, total_bytes), optional
        Called with ``(0, total)`` before the first byte and after every chunk;
        ``total`` is the bytes still to fetch (0 when the cache has them all).

    Returns
    -------
    pathlib.Path
        The snapshot folder, ready for ``from_pretrained``.

    Raises
    ------
    DownloadError
        Offline (``HF_HUB_OFFLINE``), unreachable, a file the Hub lacks, a
        file that does not match its hash, a cache folder that cannot be
        written; the message says which and names the file.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    c = checkpoint_info(checkpoint)
    hub = hub_settings()
    source = f"{hub.endpoint}/{c.repo_id}"
    if hub.offline:
        raise DownloadError(f"cannot download {c.repo_id}: downloads are turned off (HF_HUB_OFFLINE=1)")
    common = dict(cache_dir=str(hub.cache_dir), endpoint=hub.endpoint, etag_timeout=TIMEOUT_S)
    programming = (TypeError, AttributeError, NameError)
    with _download_lock:
        plan = []
        for name in MODEL_FILES + PROCESSOR_FILES:
            try:
                plan.append(hf_hub_download(c.repo_id, name, dry_run=True, **common))
            except EntryNotFoundError:
                if name in MODEL_FILES:
                    raise DownloadError(f"{source} has no {name}; is it a SAM 2.1 checkpoint?") from None
            except programming:
                raise
            except Exception as exc:  # noqa: BLE001 - network, HTTP, offline, disk: said in one line
                raise DownloadError(f"cannot download {name} from {source} ({_why(exc)})") from exc
        if not any(info.filename in PROCESSOR_FILES for info in plan):
            raise DownloadError(f"{source} has neither {' nor '.join(PROCESSOR_FILES)}")
        total = sum(info.file_size or 0 for info in plan if info.will_download)
        done = 0
        if progress is not None:
            progress(0, total)
        folder = None
        for info in plan:
            start = done

            def report(n: int, start: int = start) -> None:
                if progress is not None:
                    progress(min(start + n, total), total)

            try:
                path = Path(hf_hub_download(c.repo_id, info.filename, tqdm_class=_progress_bar(report), **common))
            except programming:
                raise
            except Exception as exc:  # noqa: BLE001
                raise DownloadError(
                    f"cannot download {info.filename} from {source} ({_why(exc)}); files already fetched stay in "
                    f"the cache {hub.cache_dir}: try again to fetch the rest"
                ) from exc
            if info.will_download:
                _check_hash(path, info.filename, source)
                done += info.file_size or 0
                if progress is not None:
                    progress(done, total)
            folder = path.parent
    assert folder is not None
    return folder
