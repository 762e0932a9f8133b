"""Faults: a weights download that goes wrong, a cache folder that refuses, a model that will not load or run.

For each fault: a clear message (what is wrong, what to do), nothing broken left
where the loader would find it, and the next try works once the fault is gone.
Downloads run against a server on 127.0.0.1 that serves the shipped shapes
model's weights (a real state dict, so "works" means the file also loads);
the model faults are injected in this process, where AppTest runs the pages.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import encode
from streamlit.testing.v1 import AppTest

torch = pytest.importorskip("torch")

import segcore.methods.maskrcnn as MR  # noqa: E402
from segcore.methods.maskrcnn import model as M  # noqa: E402
from segcore.methods.maskrcnn import weights as W  # noqa: E402
from segcore.methods.maskrcnn.shapes import SHAPES_WEIGHTS, make_sample  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAYLOAD = SHAPES_WEIGHTS.read_bytes()  # 6 MB: several chunks of CHUNK_BYTES
NAME = f"shapes_maskrcnn-{hashlib.sha256(PAYLOAD).hexdigest()[:8]}.pth"  # the name carries the hash, as torch hub's do
OOM = "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 1.95 GiB free)"


@pytest.fixture(autouse=True)
def _clean(offline, monkeypatch):
    """An empty torch hub (conftest's ``offline``), no weights variables, no model loaded yet."""
    for name in (f"{W.ENV_WEIGHTS}_V1", f"{W.ENV_WEIGHTS}_V2", f"{W.ENV_WEIGHTS}_SHAPES"):
        monkeypatch.delenv(name, raising=False)
    M.clear_models()
    yield
    M.clear_models()


# ----------------------------------------------------------------------------- a server whose faults can be fixed


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD with the fault ``server.fault`` names; "ok" is the fixed server."""

    def do_GET(self):
        fault, payload = self.server.fault, self.server.payload
        self.server.hits.append(fault)
        body, length = payload, len(payload)
        if fault == "announces_more":  # Content-Length larger than the body, then the server hangs up
            length = len(payload) + 123_456
        elif fault == "announces_less":  # Content-Length smaller: the client reads that much, a cut file
            length = len(payload) // 3
        elif fault == "no_length_short":  # no Content-Length, a body of the wrong length, then close
            body, length = payload[: len(payload) // 2], None
        elif fault == "same_length_other_bytes":  # the announced size, the wrong content
            body = bytes(reversed(payload))
        elif fault == "one_byte_flipped":  # a damaged copy: the SHA-256 differs
            body = payload[:1000] + bytes([payload[1000] ^ 1]) + payload[1001:]
        elif fault == "cut":  # announce the whole file, send 40 % of it, hang up
            body = payload[: len(payload) * 2 // 5]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body[: length if length is not None else len(body)])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.fault, httpd.hits, httpd.payload = "ok", [], PAYLOAD
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def url(server):
    server.fault = "ok"
    yield f"http://127.0.0.1:{server.server_address[1]}/models/{NAME}"
    server.fault = "ok"


def _cache_files() -> list[str]:
    folder = W.cache_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _download_works_and_loads(url: str) -> None:
    """The retry: the file lands in the cache with the right bytes and loads as the shapes model."""
    assert W.cache_dir().is_relative_to(os.environ["TORCH_HOME"]), "the test's own torch hub, never the user's"
    path = W.download_weights("v1", url=url)
    assert path == W.cache_dir() / NAME and _cache_files() == [NAME]  # no partial file beside it
    assert path.read_bytes() == PAYLOAD
    model = M.load_model("shapes", "cpu", path=path)
    assert model.segcore["weights"] == path


# ----------------------------------------------------------------------------- the download


WRONG_SIZE = {
    "announces_more": f"closed after {len(PAYLOAD):,} of {len(PAYLOAD) + 123_456:,} bytes",
    "announces_less": "SHA-256 mismatch",  # as much as announced arrived: the hash tells it is not the file
    "no_length_short": "SHA-256 mismatch",
    "same_length_other_bytes": "SHA-256 mismatch",
}


@pytest.mark.parametrize("fault", list(WRONG_SIZE))
def test_a_download_of_the_wrong_size_is_refused_leaves_nothing_and_the_retry_works(fault, server, url):
    server.fault = fault
    with pytest.raises(W.DownloadError, match=WRONG_SIZE[fault]) as info:
        W.download_weights("v1", url=url)
    msg = str(info.value)
    assert url in msg and ("try again" in msg)
    assert _cache_files() == []  # no file, no .partial
    server.fault = "ok"
    _download_works_and_loads(url)


@pytest.mark.parametrize("fault, phrase", [
    ("cut", f"closed after {len(PAYLOAD) * 2 // 5:,} of {len(PAYLOAD):,} bytes"),
    ("one_byte_flipped", "SHA-256 mismatch"),
])
def test_after_a_cut_or_a_wrong_hash_the_retry_works(fault, phrase, server, url):
    server.fault = fault
    with pytest.raises(W.DownloadError, match=phrase):
        W.download_weights("v1", url=url)
    assert _cache_files() == []
    server.fault = "ok"
    _download_works_and_loads(url)


def test_the_page_level_message_for_a_bad_download_says_what_to_do(server, url):
    """What the Mask R-CNN page shows: resolve_weights' message, with the download's reason and the fixes."""
    server.fault = "one_byte_flipped"
    with pytest.raises(W.WeightsUnavailable) as info:
        W.resolve_weights("v1", url=url)
    msg = str(info.value)
    assert "the download failed" in msg and "SHA-256 mismatch" in msg and "the file was discarded" in msg
    assert "python -m segcore weights download --variant v1" in msg and W.ENV_WEIGHTS in msg
    server.fault = "ok"
    assert W.resolve_weights("v1", url=url).read_bytes() == PAYLOAD


# ----------------------------------------------------------------------------- a cache folder that refuses


def _writes_refused(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"x")
    except OSError:
        return True
    probe.unlink()
    return False


class _ReadOnly:
    """Make ``folder`` refuse new files as really as this machine allows, and undo it.

    As a normal user, ``chmod 0o555``. As root, that does not stop writes; the
    immutable attribute (``chattr +i``) does, where the file system and the
    container allow it; else opening a file for writing in ``folder`` is made
    to raise PermissionError (EACCES), as the read-only folder would.
    """

    def __init__(self, folder: Path):
        self.folder, self.how = folder, None
        self.monkeypatch = pytest.MonkeyPatch()  # its own: undoing it leaves the test's environment alone

    def __enter__(self):
        self.folder.chmod(0o555)
        if _writes_refused(self.folder):
            self.how = "chmod"
            return self
        self.folder.chmod(0o755)
        chattr = shutil.which("chattr")
        if chattr and subprocess.run([chattr, "+i", str(self.folder)], capture_output=True).returncode == 0:
            if _writes_refused(self.folder):
                self.how = "chattr"
                return self
            subprocess.run([chattr, "-i", str(self.folder)], check=True)
        self.how = "patched open"
        real_open = builtins.open

        def refusing_open(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+") and Path(os.fspath(file)).parent == self.folder:
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
            return real_open(file, mode, *args, **kwargs)

        self.monkeypatch.setattr(builtins, "open", refusing_open)
        self.monkeypatch.setattr(io, "open", refusing_open)
        assert _writes_refused(self.folder)
        return self

    def __exit__(self, *exc):
        if self.how == "chmod":
            self.folder.chmod(0o755)
        elif self.how == "chattr":
            subprocess.run([shutil.which("chattr"), "-i", str(self.folder)], check=True)
        else:
            self.monkeypatch.undo()


def test_a_read_only_cache_folder_is_named_with_the_fix_and_the_retry_works(url):
    folder = W.cache_dir()
    folder.mkdir(parents=True)
    with _ReadOnly(folder) as ro:
        with pytest.raises(W.WeightsUnavailable) as info:
            W.resolve_weights("v1", url=url)
        assert _cache_files() == []
    msg = str(info.value)
    assert f"cannot write the download into {folder}: the folder is read-only" in msg, (ro.how, msg)
    assert "TORCH_HOME to a writable folder" in msg and "then try again" in msg
    assert "connection" not in msg  # not blamed on the network
    _download_works_and_loads(url)


def test_a_cache_folder_that_cannot_be_created_is_named_with_the_fix(url):
    home = Path(os.environ["TORCH_HOME"])
    home.mkdir(parents=True)
    real_mkdir = Path.mkdir

    def refusing_mkdir(self, *args, **kwargs):
        if home in self.parents:
            raise PermissionError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as fault:
        fault.setattr(Path, "mkdir", refusing_mkdir)
        with pytest.raises(W.DownloadError, match="cannot create torch hub's cache folder .*: the folder is read-only") as info:
            W.download_weights("v1", url=url)
    assert "TORCH_HOME" in str(info.value)
    _download_works_and_loads(url)


class _FullDisk:
    """A file that takes ``room`` bytes, then fails as a full disk does (ENOSPC) -- at write or at flush."""

    def __init__(self, real, room: int, at: str):
        self.real, self.room, self.at, self.pending = real, room, at, 0

    def write(self, data):
        if self.pending + len(data) > self.room:
            if self.at == "write":
                raise OSError(errno.ENOSPC, "No space left on device")
            self.full = True
        self.pending += len(data)
        return self.real.write(data)

    def flush(self):
        if getattr(self, "full", False):
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.real.flush()

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


@pytest.mark.parametrize("at", ["write", "flush"])
def test_a_full_disk_says_so_removes_the_partial_file_and_the_retry_works(at, url):
    folder = W.cache_dir()
    real_open = builtins.open
    partial: list[Path] = []

    def open_on_a_full_disk(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+") and Path(os.fspath(file)).parent == folder:
            partial.append(Path(os.fspath(file)))
            return _FullDisk(fh, room=2 * W.CHUNK_BYTES + 10, at=at)  # 2 MB land on disk first
        return fh

    with pytest.MonkeyPatch.context() as fault:
        fault.setattr(builtins, "open", open_on_a_full_disk)
        fault.setattr(io, "open", open_on_a_full_disk)
        with pytest.raises(W.WeightsUnavailable) as info:
            W.resolve_weights("v1", url=url)
    msg = str(info.value)
    assert partial and not partial[0].exists(), "the partial file is left"
    assert _cache_files() == []
    assert f"cannot write the download into {folder}: the disk is full" in msg, msg
    assert "Free some space there" in msg and "TORCH_HOME" in msg and "then try again" in msg
    assert f"the file is {len(PAYLOAD) / 1e6:.1f} MB" in msg  # how much room it needs
    _download_works_and_loads(url)


# ----------------------------------------------------------------------------- the model will not load or run


def _ooms() -> dict:
    return {
        "cuda_runtime_error": lambda: RuntimeError(OOM),
        "torch_out_of_memory": lambda: torch.OutOfMemoryError(OOM),
        "memory_error": lambda: MemoryError(),
        "cpu_allocator": lambda: RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried to"
            " allocate 9663676416 bytes. Error code 12 (Cannot allocate memory)"),
    }


def _raise(exc_factory):
    def fail(*args, **kwargs):
        raise exc_factory()

    return fail


def _settings(model) -> tuple:
    heads = model.roi_heads
    return heads.score_thresh, heads.detections_per_img, heads.segcore_keep, model.transform.min_size


@pytest.mark.parametrize("kind", list(_ooms()))
def test_out_of_memory_in_a_pass_is_a_clear_error_and_the_next_pass_works(kind, monkeypatch):
    model = M.load_model("shapes", "cpu")
    rgb, _, _ = make_sample(3)
    before = _settings(model)
    real = M.run_model
    monkeypatch.setattr(M, "run_model", _raise(_ooms()[kind]))
    with pytest.raises(M.ModelOutOfMemory) as info:
        M.predict(model, rgb, min_size=None, score_threshold=0.3)
    msg = str(info.value)
    assert "Mask R-CNN shapes ran out of memory on cpu on a 128 x 128 px image at inference size 128 px" in msg, msg
    assert "smaller inference size" in msg and "the next try runs it again" in msg
    assert M.is_out_of_memory(info.value) and isinstance(info.value, MemoryError)
    assert _settings(model) == before  # the shared model's per-call settings are restored
    monkeypatch.setattr(M, "run_model", real)
    assert M.predict(model, rgb, min_size=None).extras["instances"]


def test_out_of_memory_while_loading_is_a_clear_error_and_nothing_is_kept(monkeypatch):
    real = M.fold_batch_norms
    monkeypatch.setattr(M, "fold_batch_norms", _raise(lambda: torch.OutOfMemoryError(OOM)))
    with pytest.raises(M.ModelOutOfMemory, match="ran out of memory while loading shapes_maskrcnn.pt onto cpu"):
        M.get_model("shapes", "cpu")
    assert not M._models  # the failed load is not cached
    monkeypatch.setattr(M, "fold_batch_norms", real)
    assert M.get_model("shapes", "cpu") is M.get_model("shapes", "cpu")


def test_other_errors_are_not_taken_for_out_of_memory():
    assert not M.is_out_of_memory(RuntimeError("shape mismatch"))
    assert not M.is_out_of_memory(ValueError("out of memory"))  # a refusal, not an allocation failure
    assert all(M.is_out_of_memory(make()) for make in _ooms().values())


# ----------------------------------------------------------------------------- ... on the pages


_seed = iter(range(300_000, 400_000, 7))  # a fresh picture per test: no result cached from another test


def mask_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/mask_rcnn.py").run()
    at.selectbox(key="mr_variant").set_value("shapes").run()
    at.radio(key="mr_picture").set_value("synthetic").run()
    at.number_input(key="mr_seed").set_value(next(_seed)).run()
    return at


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


@pytest.mark.parametrize("kind", ["cuda_runtime_error", "torch_out_of_memory", "memory_error"])
def test_mask_rcnn_page_explains_an_out_of_memory_and_the_next_try_works(kind, monkeypatch):
    at = mask_page()
    assert not at.exception, at.exception
    assert at.metric, "the working path: the shapes model runs"
    real = MR.predict
    monkeypatch.setattr(MR, "predict", _raise(_ooms()[kind]))  # what the registered method calls
    failing = next(_seed)
    at.number_input(key="mr_seed").set_value(failing).run()
    assert not at.exception, at.exception
    errors = _texts(at.error)
    assert "Mask R-CNN ran out of memory" in errors and "smaller inference size" in errors, errors
    assert not at.metric
    assert [b.label for b in at.button] == ["Try again"]
    at.switch_page("pages/thresholding.py").run()  # another page meanwhile: unaffected
    assert not at.exception and not at.error and at.metric
    at.switch_page("pages/mask_rcnn.py").run()  # back (Streamlit forgets the page's widgets meanwhile)
    at.selectbox(key="mr_variant").set_value("shapes").run()
    at.radio(key="mr_picture").set_value("synthetic").run()
    at.number_input(key="mr_seed").set_value(failing).run()
    assert "ran out of memory" in _texts(at.error)  # the fault is still there: said again, nothing stale
    monkeypatch.setattr(MR, "predict", real)  # the fault is gone
    at.button(key="mr_try_again").click().run()
    assert not at.exception, at.exception
    assert not at.error and int({m.label: m.value for m in at.metric}["Instances"]) >= 1


def test_mask_rcnn_page_explains_an_out_of_memory_while_loading(monkeypatch, tmp_path):
    copy = tmp_path / "shapes_copy.pt"  # a file of its own: a model of its own to load (none cached)
    shutil.copyfile(SHAPES_WEIGHTS, copy)
    monkeypatch.setenv(f"{W.ENV_WEIGHTS}_SHAPES", str(copy))
    real = M.fold_batch_norms
    monkeypatch.setattr(M, "fold_batch_norms", _raise(lambda: torch.OutOfMemoryError(OOM)))
    at = mask_page()
    assert not at.exception, at.exception
    errors = _texts(at.error)
    assert "ran out of memory while loading shapes_copy.pt onto cpu" in errors and OOM in errors, errors
    assert [b.label for b in at.button] == ["Try again"]
    monkeypatch.setattr(M, "fold_batch_norms", real)  # the memory is free again
    at.button(key="mr_try_again").click().run()
    assert not at.exception and not at.error, at.exception or _texts(at.error)
    assert at.metric and "shapes_copy.pt" in _texts(at.caption)  # the model from that file


def test_mask_rcnn_page_explains_a_damaged_weights_file_and_works_once_it_is_replaced(monkeypatch, tmp_path):
    bad = tmp_path / "shapes_damaged.pt"
    bad.write_bytes(PAYLOAD[: len(PAYLOAD) // 2])  # cut in half: not a readable torch file
    monkeypatch.setenv(f"{W.ENV_WEIGHTS}_SHAPES", str(bad))
    at = mask_page()
    assert not at.exception, at.exception
    errors = _texts(at.error)
    assert str(bad) in errors and "is not a PyTorch weights file" in errors and "build_shapes_model" in errors, errors
    assert [b.label for b in at.button] == ["Try again"]
    at.switch_page("pages/thresholding.py").run()
    assert not at.exception and not at.error and at.metric
    at.switch_page("pages/mask_rcnn.py").run()
    at.selectbox(key="mr_variant").set_value("shapes").run()
    assert str(bad) in _texts(at.error)
    shutil.copyfile(SHAPES_WEIGHTS, bad)  # the user puts a good copy in its place
    at.button(key="mr_try_again").click().run()
    assert not at.exception and not at.error, at.exception or _texts(at.error)
    assert at.metric


@pytest.fixture()
def v1_file_served(server, tmp_path, monkeypatch):
    """A v1 state dict (random weights) served as the official v1 file: its URL, name and hash stand in for torchvision's."""
    from torchvision.models.detection import maskrcnn_resnet50_fpn

    torch.manual_seed(0)
    path = tmp_path / "v1.pth"
    torch.save(maskrcnn_resnet50_fpn(weights=None, weights_backbone=None).state_dict(), path)
    data = path.read_bytes()
    name = f"maskrcnn_resnet50_fpn_coco-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    url = f"http://127.0.0.1:{server.server_address[1]}/models/{name}"
    monkeypatch.delenv(W.ENV_URL)  # the official URL, this one
    monkeypatch.setattr(W, "official_url", lambda variant: url)
    server.payload, server.fault = data, "ok"
    server.hits.clear()
    yield name
    server.payload, server.fault = PAYLOAD, "ok"


def test_mask_rcnn_page_retries_a_failed_download_once_the_server_is_fixed(v1_file_served, server):
    server.fault = "cut"
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.switch_page("pages/mask_rcnn.py").run()  # v1, not on this machine: the page downloads it
    assert not at.exception, at.exception
    errors = _texts([*at.error, *at.warning])
    assert "the download failed: the connection to" in errors and "try again" in errors, errors
    assert _cache_files() == []
    at.select_slider(key="mr_min_size").set_value(320).run()  # a rerun: no new download by itself...
    assert not at.exception and server.hits.count("cut") == 1
    assert [b.label for b in at.button] == ["Run the offline demo", "Try the download again"]
    server.fault = "ok"  # ...the server is fixed; the user clicks
    at.button(key="mr_retry").click().run()
    assert not at.exception, at.exception
    assert not at.error, _texts(at.error)
    assert server.hits.count("ok") == 1
    assert _cache_files() == [v1_file_served]
    assert {m.label for m in at.metric} >= {"Instances", "Device"}  # the model loaded from it and ran


def compare_with_mask_rcnn() -> AppTest:
    """The compare page on a fresh synthetic picture, Otsu and Mask R-CNN (the small shapes model)."""
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["methods"] = "otsu,maskrcnn"
    at.run()
    rgb, _, _ = make_sample(next(_seed))
    at.sidebar.file_uploader[0].upload(f"shapes_{next(_seed)}.png", encode(rgb), "image/png")
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    assert at.session_state["cmp.maskrcnn.variant"] == "shapes"
    return at


def _panels(at: AppTest) -> tuple[int, str]:
    """(how many panels show a picture, the panels' texts) of the compare grid."""
    spec = json.loads(next(c.proto.spec for c in at.get("plotly_chart") if '"panels"' in c.proto.spec))
    pictures = [t for t in spec["data"] if t["type"] == "image" and t["source"].startswith("data:image/png")]
    return len(pictures), " ".join(a.get("text", "").replace("<br>", " ") for a in spec["layout"].get("annotations", []))  # lines wrapped


@pytest.mark.parametrize("fault", ["out_of_memory", "damaged_file"])
def test_compare_page_explains_in_the_mask_rcnn_panel_and_the_other_panels_stay(fault, monkeypatch, tmp_path):
    if fault == "out_of_memory":
        monkeypatch.setattr(MR, "predict", _raise(lambda: torch.OutOfMemoryError(OOM)))
        phrase = "ran out of memory"
    else:
        bad = tmp_path / "damaged.pt"
        bad.write_bytes(b"not a torch file")
        monkeypatch.setenv(f"{W.ENV_WEIGHTS}_SHAPES", str(bad))
        phrase = "is not a PyTorch weights file"
    at = compare_with_mask_rcnn()
    pictures, texts = _panels(at)
    assert pictures == 1  # Otsu's
    assert phrase in texts, texts  # in the Mask R-CNN panel...
    assert any(c.value.startswith("**Mask R-CNN**: ") and phrase in c.value for c in at.caption)  # ...and under the grid
    assert not at.error


def test_compare_page_tries_mask_rcnn_again_once_the_fault_is_gone(monkeypatch):
    real = MR.predict
    monkeypatch.setattr(MR, "predict", _raise(lambda: torch.OutOfMemoryError(OOM)))
    at = compare_with_mask_rcnn()
    assert _panels(at)[0] == 1
    monkeypatch.setattr(MR, "predict", real)
    at.run()  # any next run: a control changed, the page reloaded
    assert not at.exception, at.exception
    assert _panels(at)[0] == 2, _panels(at)[1]
