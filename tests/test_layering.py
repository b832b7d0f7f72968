import ast
import subprocess
import sys
from pathlib import Path

from classifier.settings import PROJECT_ROOT

CORE = PROJECT_ROOT / "classifier"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit():
    offenders = [p.name for p in CORE.glob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_only_the_cli_module_parses_arguments():
    offenders = [p.name for p in CORE.glob("*.py") if "argparse" in _imports(p) and p.name != "cli.py"]
    assert offenders == []


def test_nothing_heavy_happens_at_import_time():
    code = ("import sys, classifier, classifier.cli; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'jieba', 'opencc') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_core_has_no_print_or_exit():
    for path in CORE.glob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"print", "exit"}, path.name
