"""The package's layers: lower layers never import higher ones; the core stays a plain library."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.settings import PROJECT_ROOT

CORE = PROJECT_ROOT / "classifier"
BASE = {"errors", "records", "settings", "messages"}
# Layer of each package (or top-level module); an import may only go to the same or a lower layer.
LAYERS = {**{m: 0 for m in BASE}, "taxonomy": 1, "engine": 2, "files": 3, "review": 4, "evaluation": 5,
          "cli": 6, "__main__": 6, "__init__": 6}
FRAMEWORKS = {"streamlit", "fastapi", "uvicorn", "argparse"}


def _modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def _layer_of(path: Path) -> str:
    parts = path.relative_to(CORE).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_every_module_has_a_layer():
    unknown = {_layer_of(p) for p in _modules()} - set(LAYERS)
    assert unknown == set(), f"give these a layer in LAYERS: {unknown}"


def test_the_listing_reads_like_the_architecture():
    top = [p for p in CORE.glob("*.py")]
    packages = [p for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert len(packages) >= 3 and len(top) <= 12


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(CORE)))
def test_lower_layers_never_import_higher_ones(path):
    own = LAYERS[_layer_of(path)]
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "classifier" or len(parts) < 2 or parts[1] not in LAYERS:
            continue
        assert LAYERS[parts[1]] <= own, f"{path.relative_to(CORE)} (layer {own}) imports {name} (layer {LAYERS[parts[1]]})"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_never_imports_ui_or_cli_frameworks(path):
    roots = {n.split(".")[0] for n in _imports(path)}
    allowed = {"argparse"} if path.name == "cli.py" and path.parent == CORE else set()
    assert roots & FRAMEWORKS <= allowed


def test_nothing_heavy_happens_at_import_time():
    code = ("import sys, classifier, classifier.cli; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'jieba', 'opencc') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _exits_or_prints(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"print", "exit", "quit"}:
            found.add(func.id)
        elif isinstance(func, ast.Attribute) and func.attr in {"exit", "_exit"} and isinstance(func.value, ast.Name) \
                and func.value.id in {"sys", "os"}:
            found.add(f"{func.value.id}.{func.attr}")
    return found


@pytest.mark.parametrize("path", [p for p in _modules() if p.name not in ("cli.py", "__main__.py")],
                         ids=lambda p: str(p.relative_to(CORE)))
def test_core_has_no_print_or_exit(path):
    assert _exits_or_prints(ast.parse(path.read_text(encoding="utf-8"))) == set()


def test_the_exit_check_sees_sys_exit():
    # Regression: the check used to look only at bare names and missed sys.exit.
    assert _exits_or_prints(ast.parse("import sys\nsys.exit(2)\nprint('x')")) == {"sys.exit", "print"}
