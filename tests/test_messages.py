"""The one message catalogue: both languages, the same placeholders, and no sentence written twice."""

import ast
import re
import string
from collections import Counter

import pytest

from classifier.messages import CATALOGUE, error_text, review_label, t, verdict_label
from classifier.settings import PROJECT_ROOT

CJK = re.compile(r"[\u3400-\u9fff]")
SOURCES = [*PROJECT_ROOT.joinpath("classifier").rglob("*.py"), *PROJECT_ROOT.joinpath("webui").rglob("*.py"),
           PROJECT_ROOT / "app.py"]
# Modules that talk to users; Chinese in them may only be column names or sample inputs.
ADAPTERS = ("classifier/cli.py", "classifier/files/", "classifier/review/reclassify.py", "webui/", "app.py",
            "classifier/engine/application_form.py")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _literals(path):
    """String constants that are not docstrings, with the name they are assigned to (if any)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        for inner in ast.walk(node) if names else ():
            inner._assigned_to = names
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.value, getattr(node, "_assigned_to", set())


def test_every_entry_has_both_languages_with_the_same_placeholders():
    for key, (zh, en) in CATALOGUE.items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key
        assert not CJK.search(en) or key == "lang", f"{key}: the English text has Chinese in it"


def test_no_chinese_sentence_is_defined_twice_in_the_catalogue():
    counts = Counter(zh for zh, _ in CATALOGUE.values())
    assert [zh for zh, n in counts.items() if n > 1] == []


def test_no_chinese_sentence_is_defined_twice_in_the_code():
    seen = Counter()
    for path in SOURCES:
        for value, assigned in _literals(path):
            column_name = any(name.endswith("COLUMNS") for name in assigned)  # names users give columns
            if CJK.search(value) and len(value) >= 3 and not column_name:
                seen[value] += 1
    assert [v for v, n in seen.items() if n > 1] == []


def test_adapters_take_their_sentences_from_the_catalogue():
    offenders = []
    for path in SOURCES:
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        if not relative.startswith(ADAPTERS):
            continue
        for value, assigned in _literals(path):
            named = any(name.endswith(("EXAMPLES", "COLUMNS", "CHOICES")) for name in assigned)
            letters = [ch for ch in value if ch.isalpha()]
            # English help may quote a Chinese example or column name; a Chinese sentence may not live here.
            mostly_chinese = sum(bool(CJK.match(ch)) for ch in letters) >= len(letters) / 2
            if CJK.search(value) and mostly_chinese and not named:
                offenders.append((relative, value))
    assert offenders == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_review_reason_and_verdict_has_words(lang):
    from classifier.engine import pipeline
    from classifier.review import reclassify

    reasons = set()
    for module in (pipeline, reclassify):
        source = open(module.__file__, encoding="utf-8").read()
        reasons |= set(re.findall(r'reasons\.append\("([a-z_]+)"\)', source))
    reasons.add(pipeline.PENDING)
    assert {"low_confidence", "registered_ruling", "registered_differs"} <= reasons
    for reason in reasons:
        assert review_label(reason, lang) != reason and t(f"review_why_{reason}", lang)
    for verdict in ("eligible", "conditional", "ineligible"):
        assert verdict_label(verdict, lang) != verdict or lang == "en"


def test_errors_without_all_their_details_still_read():
    from classifier.errors import InputError

    text = error_text(InputError("x", reason="missing_file"), "zh")
    assert "{" not in text and "找不到檔案" in text
