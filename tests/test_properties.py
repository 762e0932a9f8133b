"""Property-based tests (hypothesis) of the loader, every technique and the partition metrics (issue 14).

Random shapes, Pillow modes, file formats and contents (constant images, two
colours, 1 x N strips, tiny images, random bytes, truncated files) go through
:func:`segcore.io.loading.load_image`, :func:`segcore.io.loading.load_array`, every
registered technique but Mask R-CNN (it needs torch weights) and the partition
scores of :mod:`segcore.scoring.metrics`. What must always hold:

* the loader returns an (H, W, 3) read-only uint8 image at the working size of
  the file's size, or refuses with :class:`ImageLoadError` and a message;
  never another exception;
* a technique returns a label map of the image's size, of non-negative
  integers, whose legend lists each value present exactly once with shares
  adding up to 1 and pixels adding up to H x W, and extras free of NaN; or it
  refuses with a ValueError, only where a refusal is expected (see
  :func:`_refusal_expected`);
* VoI >= 0, Rand index in [0, 1], VoI 0 and RI 1 for identical maps, and no
  score changes when the values of a map are renamed.

Each bug these found has a plain regression test beside them: truncated GIFs
and TIFFs with broken size tags (tracebacks from Pillow), Yen, Minimum, Mean
and the article's mean rules on constant images, Isodata without a level, and
the local threshold on a flat background.

Every property is derandomised (the same examples on every run, so CI is
reproducible) and keeps no example database (no ``.hypothesis`` folder).
"""

from __future__ import annotations

import io
import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.extra import numpy as hnp
from PIL import Image
from skimage import filters
from sklearn.metrics import adjusted_rand_score, rand_score

from segcore.fast.gray import to_gray
from segcore.io.loading import (
    MIN_SIDE,
    ImageLoadError,
    LoadedImage,
    array_sha256,
    load_array,
    load_image,
    working_size,
)
from segcore.registry import get_method, list_methods
from segcore.result import Segmentation
from segcore.scoring.metrics import label_scores, rand_index, variation_of_information

# Hypothesis caches the constants of our source files under ``.hypothesis/constants`` (at
# collection, and even with ``database=None``): keep that cache in the temporary folder instead
# of the working tree. It is only a cache; where it cannot be written, nothing fails.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "segcore-hypothesis")


def _settings(n: int) -> settings:
    """Reproducible (derandomised), no database, no deadline (2 shared cores are slow at times)."""
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --------------------------------------------------------------------------- loader

MODES = ("L", "LA", "RGB", "RGBA", "P", "I;16", "I", "F", "1")
FORMATS = ("PNG", "TIFF", "GIF", "WEBP", "BMP", "JPEG")
#: Formats that give back the exact pixels of the modes they store as such.
LOSSLESS = ("PNG", "TIFF", "BMP")


def _pil(mode: str, arr: np.ndarray) -> Image.Image:
    if mode == "1":
        return Image.fromarray(arr.astype(bool))
    if mode == "P":
        return Image.fromarray(arr, "L").convert("P")
    if mode == "LA":
        return Image.fromarray(arr, "LA")
    return Image.fromarray(arr)


#: Integer modes: (dtype, lowest, highest value).
_RANGES = {"I;16": (np.uint16, 0, 65535), "I": (np.int32, -(2**31), 2**31 - 1), "1": (np.uint8, 0, 1)}


def _raw_array(mode: str, h: int, w: int, kind: str, seed: int) -> np.ndarray:
    """Pixels for ``mode``: random over the mode's whole range, constant, two values, or (F) NaN/inf marks."""
    rng = np.random.default_rng(seed)
    channels = {"LA": 2, "RGB": 3, "RGBA": 4}.get(mode)
    shape = (h, w) if channels is None else (h, w, channels)
    if mode == "F":  # any magnitude from 1e-30 to 1e30
        a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-30, 31)).astype(np.float32)
        if kind == "constant":
            a[...] = a.flat[0]
        elif kind == "two":
            a = np.where(rng.random(shape) < 0.5, a.flat[0], a.flat[-1]).astype(np.float32)
        elif kind == "special":  # no-data marks among real values
            a.flat[rng.integers(0, a.size, max(1, a.size // 4))] = rng.choice([np.nan, np.inf, -np.inf])
        return a
    dtype, lo, hi = _RANGES.get(mode, (np.uint8, 0, 255))
    if kind == "constant":
        return np.full(shape, rng.integers(lo, hi, endpoint=True), dtype)
    if kind == "two":
        pair = rng.integers(lo, hi, size=2, endpoint=True)
        return np.where(rng.random(shape) < 0.5, pair[0], pair[1]).astype(dtype)
    return rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64).astype(dtype)


def _supported(mode: str, fmt: str) -> bool:
    """Whether Pillow writes ``mode`` as ``fmt`` at all (tried once on a tiny image)."""
    try:
        _encode(_pil(mode, _raw_array(mode, 2, 2, "random", 0)), fmt)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def _encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


COMBOS = [(m, f) for m in MODES for f in FORMATS if _supported(m, f)]


@st.composite
def encoded_images(draw):
    mode, fmt = draw(st.sampled_from(COMBOS))
    h = draw(st.integers(1, 64))
    w = draw(st.integers(1, 64))
    kind = draw(st.sampled_from(("random", "constant", "two") + (("special",) if mode == "F" else ())))
    seed = draw(st.integers(0, 2**32 - 1))
    arr = _raw_array(mode, h, w, kind, seed)
    img = _pil(mode, arr)
    kwargs = {}
    if fmt == "WEBP" and draw(st.booleans()):
        kwargs["lossless"] = True
    if fmt in ("PNG", "GIF") and mode == "P" and draw(st.booleans()):
        kwargs["transparency"] = int(np.asarray(img).flat[0])
    return mode, fmt, kind, arr, _encode(img, fmt, **kwargs)


def _check_loaded(img: LoadedImage, size: tuple[int, int], max_side) -> None:
    w, h = working_size(*size, max_side)
    assert isinstance(img, LoadedImage)
    assert img.rgb.dtype == np.uint8 and img.rgb.shape == (h, w, 3)
    assert img.size == (w, h)
    assert not img.rgb.flags.writeable
    assert img.original_size == size
    assert img.reduced == ((w, h) != size)
    assert img.sha256 == array_sha256(img.rgb)
    assert all(isinstance(n, str) and n for n in img.notes)


def _refused(exc: ImageLoadError) -> None:
    assert isinstance(exc, ValueError)
    assert str(exc).strip(), "a refusal says what is wrong"


@_settings(300)
@given(encoded_images(), st.sampled_from((None, 0, 1, 5, 8, 16, 33, 64, 1600)))
def test_load_image_of_any_mode_and_format(case, max_side):
    """A file Pillow wrote loads at the working size of its size, or is refused (too small, no finite value)."""
    mode, fmt, kind, arr, data = case
    h, w = arr.shape[:2]
    try:
        img = load_image(data, max_side=max_side, name="case.img")
    except ImageLoadError as exc:
        _refused(exc)
        too_small = min(h, w) < MIN_SIDE
        no_finite = mode == "F" and fmt == "TIFF" and not np.isfinite(arr).any()
        assert too_small or no_finite, f"a valid {w} x {h} {mode} {fmt} file was refused: {exc}"
        if too_small:
            assert "too small" in str(exc)
        return
    assert min(h, w) >= MIN_SIDE, f"a {w} x {h} image should be refused as too small"
    _check_loaded(img, (w, h), max_side)
    if kind == "constant" and fmt not in ("JPEG", "WEBP"):
        # one value in, one colour out (Lanczos reduction of a flat image stays flat)
        assert (img.rgb == img.rgb[0, 0]).all(), f"a constant {mode} {fmt} image is not one colour"
    if fmt in LOSSLESS and not img.reduced:
        _check_exact(mode, fmt, arr, img.rgb)


def _check_exact(mode: str, fmt: str, arr: np.ndarray, rgb: np.ndarray) -> None:
    """The documented conversions, pixel for pixel, where the file holds the mode as it is."""
    gray = rgb[..., 0]
    if mode in ("L", "1", "I;16", "I", "F"):
        assert (rgb == rgb[..., :1]).all(), f"{mode} {fmt}: gray shown with unequal channels"
    if mode == "RGB":
        assert np.array_equal(rgb, arr)
    elif mode == "L":
        assert np.array_equal(gray, arr)
    elif mode == "1":
        assert np.array_equal(gray, np.where(arr > 0, 255, 0).astype(np.uint8))
    elif mode == "I;16" or (mode == "I" and arr.min() >= 0 and arr.max() <= 65535):
        assert np.array_equal(gray, np.clip(np.rint(arr / 257.0), 0, 255).astype(np.uint8))
    elif mode == "RGBA" and fmt in ("PNG", "TIFF"):
        opaque, clear = arr[..., 3] == 255, arr[..., 3] == 0
        assert np.array_equal(rgb[opaque], arr[..., :3][opaque])
        assert (rgb[clear] == 255).all()  # composited onto white
    elif mode in ("I", "F"):  # rescaled: the lowest finite value black, the highest white
        finite = np.isfinite(arr)
        values = arr[finite]
        if values.min() < values.max():
            assert gray[finite].min() == 0 and gray[finite].max() == 255
        else:
            assert (gray[finite] == 0).all()


@_settings(40)
@given(
    st.sampled_from([(m, f) for m, f in COMBOS if f not in ("JPEG", "WEBP")]),
    st.integers(MIN_SIDE, 40),
    st.integers(MIN_SIDE, 40),
    st.integers(0, 2**32 - 1),
    st.integers(1, 2000),
)
def test_load_image_keeps_constant_images_constant_when_reduced(combo, h, w, seed, max_side):
    mode, fmt = combo
    arr = _raw_array(mode, h, w, "constant", seed)
    img = load_image(_encode(_pil(mode, arr), fmt), max_side=max_side)
    _check_loaded(img, (w, h), max_side)
    assert (img.rgb == img.rgb[0, 0]).all()


MAGICS = (
    b"",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF89a",
    b"GIF87a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"RIFF\x00\x00\x00\x00WEBPVP8L",
    b"\x00\x00\x01\x00",  # ICO
    b"P6\n",
)


def _load_any(data: bytes, max_side=64):
    """load_image with the only outcomes allowed: a LoadedImage, or ImageLoadError with a message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about odd files; only exceptions matter here
        try:
            img = load_image(data, max_side=max_side, name="bytes.bin")
        except ImageLoadError as exc:
            _refused(exc)
            return None
    assert isinstance(img, LoadedImage)
    assert img.rgb.dtype == np.uint8 and img.rgb.ndim == 3 and img.rgb.shape[2] == 3
    assert max(img.rgb.shape[:2]) <= max_side
    return img


@_settings(300)
@given(st.sampled_from(MAGICS), st.binary(max_size=2048))
def test_load_image_of_random_bytes(magic, body):
    _load_any(magic + body)


def _sample_files() -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:24, 0:32]
    rgb = np.stack([xx * 8, yy * 10, (xx + yy) * 4], axis=2).astype(np.uint8)
    rgb[4:12, 6:20] = rng.integers(0, 256, (8, 14, 3))
    img = Image.fromarray(rgb)
    frames = [img, Image.fromarray(255 - rgb)]
    return {
        "PNG": _encode(img, "PNG"),
        "JPEG": _encode(img, "JPEG", quality=90),
        "progressive JPEG": _encode(img, "JPEG", progressive=True),
        "GIF": _encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "TIFF": _encode(img, "TIFF"),
        "deflate TIFF": _encode(img, "TIFF", compression="tiff_adobe_deflate"),
        "WEBP": _encode(img, "WEBP"),
        "BMP": _encode(img, "BMP"),
        "16-bit PNG": _encode(Image.fromarray((rgb[..., 0].astype(np.uint16) * 257)), "PNG"),
    }


SAMPLE_FILES = _sample_files()


@_settings(400)
@given(st.sampled_from(sorted(SAMPLE_FILES)), st.data())
def test_load_image_of_truncated_files(kind, data):
    full = SAMPLE_FILES[kind]
    cut = data.draw(st.integers(0, len(full) - 1), label="cut")
    img = _load_any(full[:cut])
    if img is not None:  # a decoder that stops early may still give the whole frame
        assert img.original_size == (32, 24)


def test_every_truncation_of_a_two_frame_gif_is_refused_in_words():
    """Regression: a GIF cut inside its second frame (here after 1543 or 1551 of its 3076 bytes)
    raised IndexError / struct.error from Pillow's frame count: a traceback instead of a message."""
    full = SAMPLE_FILES["GIF"]
    damaged = 0
    for cut in range(1, len(full)):
        try:
            load_image(full[:cut])
        except ImageLoadError as exc:
            damaged += "truncated or damaged" in str(exc)
    assert damaged


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("where, value", [(8, 127), (133, 1)])
def test_a_tiff_with_broken_size_tags_is_refused_in_words(where, value):
    """Regression: one byte changed in a TIFF's header left Pillow without its size tags; its
    TypeError("Missing dimensions") went past the loader as a traceback."""
    data = bytearray(SAMPLE_FILES["TIFF"])
    data[where] = value
    with pytest.raises(ImageLoadError, match="truncated or damaged"):
        load_image(bytes(data))


@_settings(400)
@given(
    st.sampled_from(sorted(SAMPLE_FILES)),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_load_image_of_corrupted_files(kind, changes):
    data = bytearray(SAMPLE_FILES[kind])
    for where, value in changes:
        data[int(where * len(data))] = value
    _load_any(bytes(data))


DTYPES = (np.uint8, np.int8, np.uint16, np.int32, np.int64, np.float32, np.float64, np.bool_)


@_settings(150)
@given(
    hnp.arrays(
        st.sampled_from(DTYPES),
        st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, max_side=9),
            st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5)),
            hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
        ),
    )
)
def test_load_array(arr):
    """(H, W, 3) and (H, W) uint8 arrays are wrapped (gray repeated); anything else is refused."""
    ok = arr.dtype == np.uint8 and (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3))
    expected = np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr.copy()
    try:
        img = load_array(arr, name="arr")
    except ImageLoadError as exc:
        _refused(exc)
        assert not ok, f"a {arr.shape} {arr.dtype} array was refused: {exc}"
        return
    assert ok, f"a {arr.shape} {arr.dtype} array was accepted"
    h, w = arr.shape[:2]
    _check_loaded(img, (w, h), None)
    assert np.array_equal(img.rgb, expected)


# --------------------------------------------------------------------------- techniques

#: Every technique but Mask R-CNN (it needs torch and its weights: tests/test_maskrcnn_*.py) and the prompt methods
#: (they need the user's prompts: tests/test_prompt_methods.py).
METHODS = [s.name for s in list_methods() if s.family not in ("maskrcnn", "prompts")]


def _gray_bins(image: np.ndarray) -> int:
    """How many of 256 bins over the gray range hold a pixel (multi-Otsu's own count)."""
    gray = to_gray(image)
    lo, hi = float(gray.min()), float(gray.max())
    if lo == hi:
        return 1
    return int(np.count_nonzero(np.histogram(gray, bins=256, range=(lo, hi))[0]))


#: Refusals for the image's size: the same whatever the pixels.
TOO_THIN = "region methods need at least 2 x 2"
TOO_FEW_PIXELS = "k clusters need k pixels"
SIZE_REFUSALS = (TOO_THIN, TOO_FEW_PIXELS)


def _refusal_expected(name: str, image: np.ndarray) -> str | None:
    """Why ``name`` may refuse ``image`` (None: it must not).

    Refusals found and accepted here, each with its message:

    * region methods (felzenszwalb, slic, quickshift, watershed, chan_vese):
      images with a side under 2 px ("region methods need at least 2 x 2"),
      so 1 x N strips, but never 2 x N or N x 2;
    * k-means, k-means (article), GMM: fewer pixels than the k = 5 clusters
      ("5 clusters need at least 5 pixels"), i.e. 1 x 1 to 2 x 2 and 1 x 4;
    * multi-Otsu (3 classes): fewer than 3 occupied gray bins, i.e. constant
      and two-colour images (scikit-image: "cannot be thresholded in 3 classes");
    * Minimum: where ``skimage.filters.threshold_minimum`` finds no two maxima
      in the smoothed histogram (two-colour images among them). A constant
      image is not refused: its threshold is its one level, as Otsu's;
    * Isodata: a constant image ("it has one gray level only ... so nothing
      to separate", as tests/test_bad_input.py requires), and where
      ``skimage.filters.threshold_isodata`` finds no level (a few pixels of
      distinct levels, e.g. some 2 x 2 images: "no gray level lies halfway").
    """
    spec = get_method(name)
    h, w = image.shape[:2]
    if spec.family == "regions" and min(h, w) < 2:
        return TOO_THIN
    if spec.family == "clustering" and h * w < spec.defaults.get("k", 5):
        return TOO_FEW_PIXELS
    if name == "multiotsu" and _gray_bins(image) < spec.defaults["classes"]:
        return "fewer gray levels than classes"
    if name in ("minimum", "isodata") and _gray_bins(image) > 1:
        gray = to_gray(image)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name == "minimum":
                    filters.threshold_minimum(gray)
                elif not len(filters.threshold_isodata(gray, return_all=True)):
                    return "no isodata level"
        except RuntimeError:
            return "histogram without two maxima"
    if name == "isodata" and _gray_bins(image) == 1:
        return "one gray level only"
    return None


def _float_values(value, depth: int = 0):
    """Float arrays and floats in extras, walking dicts, lists and tuples two levels down."""
    if isinstance(value, np.ndarray):
        if np.issubdtype(value.dtype, np.floating):
            yield value
    elif isinstance(value, (float, np.floating)):
        yield np.asarray(value)
    elif isinstance(value, dict) and depth < 2:
        for v in value.values():
            yield from _float_values(v, depth + 1)
    elif isinstance(value, (list, tuple)) and depth < 2:
        for v in value:
            yield from _float_values(v, depth + 1)


def check_segmentation(seg: Segmentation, name: str, image: np.ndarray) -> None:
    h, w = image.shape[:2]
    assert isinstance(seg, Segmentation)
    labels = np.asarray(seg.labels)
    assert labels.shape == (h, w), f"{name}: labels {labels.shape} for a {h} x {w} image"
    assert np.issubdtype(labels.dtype, np.integer), f"{name}: labels of dtype {labels.dtype}"
    assert labels.min() >= 0, f"{name}: negative label {labels.min()}"
    values = [lab.value for lab in seg.legend]
    present = np.unique(labels)
    assert values == sorted(set(values)), f"{name}: legend values {values} not unique and increasing"
    assert values == present.tolist(), f"{name}: legend {values}, labels {present.tolist()}"
    counts = np.bincount(labels.ravel())
    assert [lab.pixels for lab in seg.legend] == counts[present].tolist()
    assert sum(lab.pixels for lab in seg.legend) == h * w
    assert abs(sum(lab.share for lab in seg.legend) - 1.0) <= 1e-9
    assert all(0.0 < lab.share <= 1.0 for lab in seg.legend)
    for key, value in seg.extras.items():
        for arr in _float_values(value):
            assert not np.isnan(arr).any(), f"{name}: NaN in extras[{key!r}]"
    if get_method(name).family == "threshold":  # (a local mean may round to -2e-20 over black)
        for t in seg.extras["thresholds"]:
            assert -1e-12 <= t <= 1.0 + 1e-12, f"{name}: threshold {t} outside the gray range [0, 1]"


def run_and_check(name: str, image: np.ndarray) -> Segmentation | None:
    before = image.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-image's RuntimeWarnings on flat histograms
            seg = get_method(name).run(image)
    except ValueError as exc:
        assert str(exc).strip(), f"{name} refused with an empty message"
        why = _refusal_expected(name, image)
        assert why is not None, f"{name} refused a {image.shape[1]} x {image.shape[0]} image: {exc}"
        return None
    assert np.array_equal(image, before), f"{name} changed its input image"
    check_segmentation(seg, name, image)
    return seg


@st.composite
def rgb_images(draw):
    """RGB uint8 images from 1 x 1 to 40 x 40 and strips to 1 x 300, of varied contents."""
    shape = draw(
        st.one_of(
            st.tuples(st.integers(1, 40), st.integers(1, 40)),
            st.tuples(st.integers(1, 2), st.integers(1, 300)),
            st.tuples(st.integers(1, 300), st.integers(1, 2)),
        ),
        label="shape",
    )
    h, w = shape
    kind = draw(st.sampled_from(("random", "constant", "two", "few", "gradient", "drawn")), label="kind")
    if kind == "drawn" and h * w <= 144:  # hypothesis's own pixels: shrinks to the simplest failing image
        return draw(hnp.arrays(np.uint8, (h, w, 3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    if kind == "constant":
        return np.full((h, w, 3), rng.integers(0, 256, 3), np.uint8)
    if kind in ("two", "few"):
        n = 2 if kind == "two" else int(rng.integers(3, 7))
        colors = rng.integers(0, 256, (n, 3)).astype(np.uint8)
        return colors[rng.integers(0, n, (h, w))]
    if kind == "gradient":
        yy, xx = np.mgrid[0:h, 0:w]
        ramp = (xx * 255 // max(w - 1, 1) + yy * 255 // max(h - 1, 1)) // 2
        return np.repeat(ramp[..., None], 3, axis=2).astype(np.uint8)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("name", METHODS)
@_settings(60)
@given(image=rgb_images(), read_only=st.booleans())
def test_technique_on_random_images(name, image, read_only):
    """A label map of the image's size with a legend adding up, or a refusal _refusal_expected allows."""
    image = np.ascontiguousarray(image)
    image.setflags(write=not read_only)  # the app passes the loader's read-only image
    run_and_check(name, image)


def _strip(h: int, w: int, kind: str) -> np.ndarray:
    if kind == "constant":
        return np.full((h, w, 3), 77, np.uint8)
    if kind == "two-colour":
        return np.where((np.arange(h * w) % 7 < 3).reshape(h, w, 1), 40, 210).repeat(3, axis=2).astype(np.uint8)
    return np.random.default_rng(h * w + h).integers(0, 256, (h, w, 3), dtype=np.uint8)


#: Images no technique may refuse for their size: constant images from 2 x 2 (but k-means needs
#: k = 5 pixels), and strips two pixels wide (one pixel wide: all but the region methods).
MUST_RUN = {
    "constant 2x2": np.full((2, 2, 3), 128, np.uint8),
    "constant 3x3 black": np.zeros((3, 3, 3), np.uint8),
    "constant 40x40 white": np.full((40, 40, 3), 255, np.uint8),
    "constant 17x23 colour": np.full((17, 23, 3), (200, 30, 90), np.uint8),
    **{
        f"{kind} strip {h}x{w}": _strip(h, w, kind)
        for kind in ("random", "constant", "two-colour")
        for h, w in ((2, 10_000), (10_000, 2), (1, 10_000), (10_000, 1))
    },
}


@pytest.mark.parametrize("case", sorted(MUST_RUN))
@pytest.mark.parametrize("name", METHODS)
def test_technique_accepts_constant_images_and_strips(name, case):
    image = MUST_RUN[case]
    why = _refusal_expected(name, image)  # 2 x 2 is 4 pixels, under k-means' k = 5; multi-Otsu on 1 or 2 levels...
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seg = get_method(name).run(image)
    except ValueError as exc:
        assert why is not None, f"{name} refused the {case} image: {exc}"
        return
    assert why not in SIZE_REFUSALS, f"{name} ran on an image it says is too small"
    check_segmentation(seg, name, image)
    if case.startswith("constant") and get_method(name).family in ("threshold", "clustering"):
        assert len(seg.legend) == 1, f"{name}: a constant image in {len(seg.legend)} labels"


#: The global thresholds that take a constant image's level as its threshold.
LEVEL_AT_ONE_LEVEL = ("global_mean", "otsu", "li", "yen", "triangle", "mean", "minimum")


@pytest.mark.parametrize("name", LEVEL_AT_ONE_LEVEL)
@pytest.mark.parametrize("level", [0, 1, 77, 254, 255])
def test_threshold_of_a_constant_image_is_its_level(name, level):
    """Regression: Yen gave a black image the threshold -0.498 (all "foreground (gray > -0.4980)"),
    white 0.502 (all foreground too), Minimum refused constant images, and Mean and the article's
    global mean put a 6 x 9 image of level 1 all in the foreground (the rounded mean a hair below
    the level; 153 of the 256 levels at 6 x 9); each now takes the one level, every pixel at it
    (background), as Otsu does."""
    image = np.full((6, 9, 3), level, np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero or NaN on the way
        seg = get_method(name).run(image)
    check_segmentation(seg, name, image)
    assert seg.extras["thresholds"] == [pytest.approx(level / 255.0, abs=1e-12)]
    assert [(lab.value, lab.pixels) for lab in seg.legend] == [(0, 54)]


@pytest.mark.parametrize("level", range(0, 256, 3))
def test_the_articles_multilevel_rule_on_a_constant_image(level):
    """Regression: a constant image was "3: gray > mean" for about a third of the levels."""
    seg = get_method("multilevel_article").run(np.full((6, 9, 3), level, np.uint8))
    gray = level / 255.0
    expected = 0 if gray <= 0.25 else 1 if gray <= 0.5 else 2
    assert [(lab.value, lab.pixels) for lab in seg.legend] == [(expected, 54)]


@pytest.mark.parametrize("method", ["mean", "gaussian", "median"])
@pytest.mark.parametrize("level", [0, 37, 128, 200, 255])
def test_local_threshold_leaves_a_flat_background_below(method, level):
    """Regression: at offset 0 the running block mean of a flat area came out a few 1e-16 either
    side of its level, so about half of a flat background 40 px from any texture was "above local
    threshold", in stripes (9,600 of its 20,000 pixels for black)."""
    image = np.full((200, 200, 3), level, np.uint8)
    image[:, :60] = np.random.default_rng(0).integers(0, 256, (200, 60, 3))
    seg = get_method("local").run(image, method=method)
    assert not seg.labels[:, 100:].any()
    assert seg.labels[:, :60].any() and not seg.labels[:, :60].all()  # texture is still split


def test_isodata_without_a_level_refuses_in_words():
    """Regression: a 2 x 2 image whose four gray levels have no isodata fixed point raised
    scikit-image's IndexError (a traceback in the "try all" grid, which catches ValueError)."""
    image = np.array([[[163, 31, 189], [164, 98, 111]], [[29, 97, 112], [100, 211, 184]]], np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="no gray level lies halfway"):
            get_method("isodata").run(image)


def test_isodata_and_multiotsu_refuse_a_constant_image_saying_why():
    image = np.full((6, 9, 3), 77, np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="one gray level only"):
            get_method("isodata").run(image)
        with pytest.raises(ValueError, match="3 classes"):
            get_method("multiotsu").run(image)


# --------------------------------------------------------------------------- metrics


@st.composite
def label_map_pairs(draw):
    h = draw(st.integers(1, 30))
    w = draw(st.integers(1, 30))
    dtype = draw(st.sampled_from((np.uint8, np.uint16, np.int32, np.int64, np.uint32, np.bool_)))
    top = 1 if dtype == np.bool_ else draw(st.integers(0, 12))
    elements = st.integers(0, top)
    a = draw(hnp.arrays(dtype, (h, w), elements=elements))
    b = draw(hnp.arrays(dtype, (h, w), elements=elements))
    return a, b


def _relabel(a: np.ndarray, draw_perm) -> np.ndarray:
    """``a`` with its values renamed injectively (to small or very large numbers)."""
    values = np.unique(a)
    new = np.asarray(draw_perm(len(values)), dtype=np.int64)
    out = np.zeros(a.shape, np.int64)
    for v, n in zip(values, new):
        out[a == v] = n
    return out


def _perm_strategy(data, size: int):
    """Renamings to small values, to values just under the renumbering bound (so a contingency
    table too large to count densely: sklearn's sparse one), or to huge values (renumbered)."""

    def draw_perm(n):
        pool = data.draw(st.sampled_from(("small", "medium", "large")), label="pool")
        hi = {"small": n + 5, "medium": 4 * size + 65535, "large": 10**12}[pool]
        return data.draw(st.lists(st.integers(0, hi), min_size=n, max_size=n, unique=True), label="values")

    return draw_perm


def _voi_reference(a: np.ndarray, b: np.ndarray) -> float:
    """H(a|b) + H(b|a) in bits, from the joint counts, the plain way."""
    _, joint = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1, return_counts=True)
    _, ca = np.unique(a, return_counts=True)
    _, cb = np.unique(b, return_counts=True)
    n = a.size

    def h(c):
        p = c / n
        return float(-(p * np.log2(p)).sum())

    return 2 * h(joint) - h(ca) - h(cb)


@_settings(300)
@given(label_map_pairs(), st.data())
def test_partition_scores(pair, data):
    a, b = pair
    voi, split, merge = variation_of_information(a, b)
    ri = rand_index(a, b)
    scores = label_scores(a, b)
    for v in (voi, split, merge, ri, *scores.values()):
        assert math.isfinite(v)
    assert voi >= 0 and split >= 0 and merge >= 0
    assert voi == pytest.approx(split + merge, abs=1e-12)
    assert voi == pytest.approx(_voi_reference(a.astype(np.int64), b.astype(np.int64)), abs=1e-9)
    assert 0.0 <= ri <= 1.0
    assert ri == pytest.approx(rand_score(b.ravel(), a.ravel()), abs=1e-12) or a.size < 2
    assert scores["ari"] == pytest.approx(adjusted_rand_score(b.ravel(), a.ravel()), abs=1e-9)
    assert 0.0 <= scores["are"] <= 1.0 + 1e-12 and scores["ari"] <= 1.0 + 1e-12
    assert scores["voi"] == pytest.approx(voi, abs=1e-12) and scores["pri"] == pytest.approx(ri, abs=1e-12)
    # symmetric: split and merge trade places
    voi_ba, split_ba, merge_ba = variation_of_information(b, a)
    assert voi_ba == pytest.approx(voi, abs=1e-9)
    assert (split_ba, merge_ba) == (pytest.approx(merge, abs=1e-9), pytest.approx(split, abs=1e-9))
    assert rand_index(b, a) == pytest.approx(ri, abs=1e-12)
    # identical maps
    assert variation_of_information(a, a)[0] == pytest.approx(0.0, abs=1e-9)
    assert rand_index(a, a) == 1.0
    same = label_scores(a, a)
    assert same["voi"] == pytest.approx(0.0, abs=1e-9) and same["pri"] == 1.0
    assert same["ari"] == 1.0 and same["are"] == pytest.approx(0.0, abs=1e-12)
    # renaming the values of either map changes nothing
    draw_perm = _perm_strategy(data, a.size)
    a2, b2 = _relabel(a, draw_perm), _relabel(b, draw_perm)
    assert variation_of_information(a2, b2) == pytest.approx((voi, split, merge), abs=1e-9)
    assert rand_index(a2, b2) == pytest.approx(ri, abs=1e-12)
    assert label_scores(a2, b2) == pytest.approx(scores, abs=1e-9)
    assert variation_of_information(a2, a)[0] == pytest.approx(0.0, abs=1e-9)
    # several ground truths: the mean of the scores against each
    both = label_scores(a, [b, a])
    assert both == pytest.approx({k: (scores[k] + same[k]) / 2 for k in scores}, abs=1e-9)


@_settings(8)
@given(image=rgb_images())
def test_mask_rcnn_shapes_model_on_random_images(image):
    """Mask R-CNN too (the shipped shapes model, offline, on the CPU): its label map and legend hold the same properties.

    Each instance's score is in [0, 1], and its visible area is the pixels the label map gives its id.
    """
    image = np.ascontiguousarray(image)
    seg = run_and_check_mask_rcnn(image)
    if seg is not None:
        for inst in seg.extras.get("instances", []):
            assert 0.0 <= float(inst["score"]) <= 1.0
            assert inst["visible_area"] == int((np.asarray(seg.labels) == inst["id"]).sum())


def run_and_check_mask_rcnn(image: np.ndarray) -> Segmentation | None:
    before = image.copy()
    try:
        seg = get_method("maskrcnn").run(image, variant="shapes")
    except ValueError as exc:  # a refusal must say why; tiny images may be refused
        assert str(exc).strip()
        assert min(image.shape[:2]) < 8 or "too small" in str(exc) or "pixel" in str(exc), str(exc)
        return None
    assert np.array_equal(image, before), "maskrcnn changed its input image"
    check_segmentation(seg, "maskrcnn", image)
    return seg
