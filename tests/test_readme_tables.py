"""The README's figure tables are written by `make bench` from bench/results/bench.json: they cannot drift."""

import json

import pytest

from classifier.evaluation.readme_tables import TABLES, render
from classifier.settings import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
RESULTS = PROJECT_ROOT / "bench" / "results" / "bench.json"


def test_every_table_has_its_markers_in_the_readme():
    text = README.read_text(encoding="utf-8")
    for name in TABLES:
        assert text.count(f"<!-- bench:{name} -->") == 1 and text.count(f"<!-- /bench:{name} -->") == 1, name


@pytest.mark.skipif(not RESULTS.is_file(), reason="no bench run committed yet")
def test_the_readme_tables_match_the_committed_bench_results():
    result = json.loads(RESULTS.read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    assert render(text, result) == text, "run `make bench` (it rewrites the README tables from bench.json)"


def test_a_changed_figure_changes_the_table():
    result = {"accuracy": {"dev_eval": {"rows": 2, **{s: {"top1": 0.5, "top3": 1.0, "verdict_macro_f1": 0.4,
                                                          "flag_recall": 0.3, "false_flag_rate": 0.1,
                                                          "unflagged_share": 0.6, "unflagged_precision": 0.9}
                                                      for s in ("full system", "lexical only", "names only")}}}}
    readme = "<!-- bench:quality -->\nold\n<!-- /bench:quality -->"
    first = render(readme, result)
    assert render("<!-- bench:quality -->\n<!-- /bench:quality -->", result) == first  # an empty section fills too
    assert "| 0.500 |" in first and "old" not in first
    result["accuracy"]["dev_eval"]["full system"]["top1"] = 0.75
    assert "| 0.750 |" in render(first, result)
    assert "| — |" in first  # names only has no verdicts
