"""segcore's layers (docs/architecture.md): each module imports only what its layer may, no private module of
another library, no Streamlit, and scoring no torch. Every import is read, the lazy ones in functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SEGCORE = Path(__file__).resolve().parents[1] / "segcore"

#: Layer of a module -> the segcore layers it may import (its own always allowed).
ALLOWED = {
    "base": set(),
    "registry": {"base"},
    "fast": set(),
    "io": {"base"},
    "render": {"base"},
    "scoring": {"base", "io", "registry", "fast"},
    "methods": {"base", "registry", "fast", "io"},
    "top": {"base", "registry", "fast", "io", "render", "scoring", "methods"},
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "top"  # the package itself re-exports the public names
    head = parts[1]
    if head in ("result", "spec", "palette", "prompts", "imports"):
        return "base"
    if head in ("registry", "fast", "io", "render", "scoring", "methods"):
        return head
    return "top"  # cli, batch, export, explain, __main__


def imports() -> list[tuple[str, str, int]]:
    """(importing module, imported module, line) for every import statement under segcore/."""
    found = []
    for path in sorted(SEGCORE.rglob("*.py")):
        module = ".".join(path.relative_to(SEGCORE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(module, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(module, node.module, node.lineno)]
                found += [(module, f"{node.module}.{a.name}", node.lineno) for a in node.names]
    return found


IMPORTS = imports()


def test_the_import_reader_sees_lazy_imports_too():
    """metrics asks the registry for a method's family inside a function: the reader must see that import."""
    assert any(a == "segcore.scoring.metrics" and b == "segcore.registry" for a, b, _ in IMPORTS)


@pytest.mark.parametrize("module, target, line", [i for i in IMPORTS if i[1].startswith("segcore")])
def test_each_segcore_import_stays_within_its_layers_reach(module, target, line):
    mine, theirs = layer_of(module), layer_of(target)
    if theirs == mine or target == "segcore":
        return
    assert theirs in ALLOWED[mine], f"{module}:{line} ({mine}) imports {target} ({theirs})"


def test_no_private_module_or_function_of_another_library_is_imported():
    private = {
        f"{module} {target}"
        for module, target, line in IMPORTS
        if not target.startswith("segcore") and not target.startswith("__future__")
        and any(part.startswith("_") for part in target.split("."))
    }
    assert not private, sorted(private)


def test_segcore_never_imports_streamlit_and_scoring_never_torch():
    assert not [i for i in IMPORTS if i[1].split(".")[0] == "streamlit"]
    scoring = [i for i in IMPORTS if i[0].startswith("segcore.scoring") and i[1].split(".")[0] in ("torch", "torchvision")]
    assert not scoring, scoring
    reach = [i for i in IMPORTS if i[0].startswith("segcore.scoring") and i[1].startswith("segcore.methods")]
    assert not reach, reach


LIBRARY_NAMES = {"torch", "torchvision", "np", "numpy", "ndi", "scipy", "skimage", "cv2", "sklearn", "PIL", "dask"}


def test_no_private_attribute_of_another_library_is_used():
    """``torch._nnpack_spatial_convolution`` and the like: reached as attributes, not imported."""
    used = []
    for path in sorted(SEGCORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in LIBRARY_NAMES):
                used.append(f"{path.relative_to(SEGCORE.parent)} {node.value.id}.{node.attr}")
    assert not used, used


def test_the_dashboard_uses_streamlit_through_its_public_api_only():
    """No page reaches into Streamlit's runtime (script contexts, the pages manager): those break on upgrades."""
    inside = []
    for path in [SEGCORE.parent / "app.py", *sorted((SEGCORE.parent / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            inside += [f"{path.name}:{node.lineno} {n}" for n in names
                       if n.startswith("streamlit.") and not n.startswith(("streamlit.components.v1", "streamlit.testing"))]
    assert not inside, inside


def test_scikit_learn_is_imported_only_through_the_one_thread_at_a_time_loader():
    """Methods run on worker threads; two threads inside scikit-learn's circular imports at once broke the compare
    page's first run on a fresh server ("partially initialized module 'sklearn.base'"). segcore.imports.load takes a
    lock: no module of segcore may import scikit-learn, or skimage.future (which imports it), another way."""
    direct = [f"{module}:{line} {target}" for module, target, line in IMPORTS
              if target.split(".")[0] == "sklearn" or target.startswith("skimage.future")]
    assert direct == []
