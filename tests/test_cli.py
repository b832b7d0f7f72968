import argparse
import io
import json
import re

import pandas as pd
import pytest

from classifier.cli import build_parser, main
from classifier.messages import t
from classifier.settings import PROJECT_ROOT


@pytest.fixture
def cli_env(stub_classifier, stub_settings, monkeypatch):
    monkeypatch.setenv("AIREG_MODELS_DIR", str(stub_settings.models_dir))
    monkeypatch.setenv("AIREG_CACHE_DIR", str(stub_settings.cache_dir))
    return stub_settings  # stub_classifier saved its index there


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_classify_prints_a_readable_answer(cli_env, capsys):
    assert main(["classify", "我們的產品是基於人臉辨識的員工打卡系統"]) == 0
    out = capsys.readouterr().out
    assert "建議項目：" in out and "資格判定：" in out and "最相似的先例：" in out


def test_classify_joins_unquoted_words(cli_env, capsys):
    assert main(["classify", "人臉辨識", "打卡", "系統", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "人臉辨識 打卡 系統"


def test_classify_reads_standard_input(cli_env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("以深度學習檢測PCB焊點瑕疵\n"))
    assert main(["classify", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["text"].startswith("以深度學習檢測PCB焊點瑕疵")


def test_classify_json_is_the_public_record(cli_env, capsys):
    assert main(["classify", "RFID 無人店", "--json", "--top-k", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["suggestions"]) == 3 and data["verdict"] in {"eligible", "conditional", "ineligible"}
    assert isinstance(data["code"], str) and data["code"] == data["suggestions"][0]["code"]
    # One name for the calibrated confidence everywhere; the ranker's raw score is called raw_score.
    assert data["confidence"] == data["suggestions"][0]["confidence"] and "raw_score" in data["suggestions"][0]
    assert "score" not in data and {"model_version", "taxonomy_version"} <= set(data)
    assert all({"faq", "message"} <= set(r) for r in data["rulings"])
    assert all(set(r) == {"code", "label", "why"} for r in data["review_reasons"])


def test_english_translates_labels_and_review_reasons(cli_env, capsys):
    assert main(["classify", "我們是 RFID 門禁卡的代理商", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Suggested item:" in out and "Verdict:" in out
    review = next(line for line in out.splitlines() if line.startswith("Needs review:"))
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", review), review  # no raw ids such as low_confidence


def test_empty_text_is_one_line_and_exit_2(cli_env, capsys):
    assert main(["classify", "   "]) == 2
    assert one_line_error(capsys) == t("cli_error", message=t("error_empty_text"))


def test_errors_follow_the_language(cli_env, capsys):
    assert main(["classify", "   ", "--lang", "en"]) == 2
    assert one_line_error(capsys).startswith("error: Expected a product description")


def test_batch_round_trip_big5_in_bom_out(cli_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": ["1", "2", "3"], "說明": ["人臉辨識打卡", "", "AI瑕疵檢測"]}).to_csv(source, index=False, encoding="cp950")
    assert main(["batch", str(source), str(tmp_path / "out.csv")]) == 0
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8 when double-clicked
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert out["id"].tolist() == ["1", "2", "3"] and out.loc[1, "error"] == t("error_empty_text")
    assert set(out["verdict_zh"]) - {""} <= {"符合", "有條件", "不符合"}
    err = capsys.readouterr().err
    assert "說明文字「說明」" in err and "已寫出 3 列" in err


def test_quick_batch_answers_every_row_with_the_first_pass(cli_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    texts = ["人臉辨識打卡", "據報導，某銀行去年導入由新創公司開發的智慧客服系統，用於內部員工查詢人事規章。", "AI瑕疵檢測"]
    pd.DataFrame({"text": texts}).to_csv(source, index=False)
    assert main(["batch", str(source), str(tmp_path / "quick.csv"), "--quick"]) == 0
    assert main(["batch", str(source), str(tmp_path / "default.csv")]) == 0
    quick, default = (pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
                      for name in ("quick.csv", "default.csv"))
    assert quick["text"].tolist() == texts and set(quick["answered_by"]) == {"first_pass"}
    handed_on = default["answered_by"] == "full_model"
    assert handed_on.any()
    assert quick.loc[handed_on, "review_reasons"].str.contains("full_model_pending").all()
    assert not quick.loc[~handed_on, "review_reasons"].str.contains("full_model_pending").any()


def test_quick_and_full_model_together_are_refused(cli_env, capsys):
    assert main(["classify", "人臉辨識打卡", "--quick", "--full-model"]) == 2
    assert "--quick" in one_line_error(capsys)


def test_no_bom_opts_out(cli_env, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\n人臉辨識打卡\n", encoding="utf-8")
    assert main(["batch", str(source), str(tmp_path / "out.csv"), "--no-bom"]) == 0
    assert (tmp_path / "out.csv").read_bytes().startswith(b"text,")


def test_batch_with_wrong_column_exits_2_and_lists_columns(cli_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,desc\n1,x\n", encoding="utf-8")
    assert main(["batch", str(source), str(tmp_path / "out.csv"), "--lang", "en"]) == 2
    err = one_line_error(capsys)
    assert "found columns id, desc" in err and "--text-column" in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("argv, reason", [
    (["batch", "{tmp}/nope.csv", "{tmp}/out.csv"], "missing_file"),
    (["batch", "{tmp}/in.csv", "{tmp}/no/such/folder/x.csv"], "missing_folder"),
    (["batch", "{tmp}/in.csv", "{tmp}/out.txt"], "bad_output_type"),
    (["batch", "{tmp}", "{tmp}/out.csv"], "is_directory"),
    (["batch", "{tmp}/in.csv", "{tmp}/in.csv"], "same_file"),
    (["evaluate", "{tmp}/gold.csvv"], "missing_file"),
    (["evaluate", "{tmp}/in.csv"], "missing_column"),
    (["reclassify", "{tmp}/nope.xlsx", "{tmp}/out.csv"], "missing_file"),
    (["reclassify", "{tmp}/in.csv", "{tmp}/missing/out.xlsx"], "missing_folder"),
])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_paths_and_columns_are_one_line_with_exit_2(cli_env, tmp_path, capsys, argv, reason, lang):
    (tmp_path / "in.csv").write_text("id,text\n1,人臉辨識打卡\n", encoding="utf-8")
    argv = [a.format(tmp=tmp_path) for a in argv] + ["--lang", lang]
    assert main(argv) == 2
    err = one_line_error(capsys)
    assert err.startswith("錯誤：" if lang == "zh" else "error: ")
    from classifier.messages import CATALOGUE

    template = CATALOGUE[f"error_{reason}"][lang == "en"]
    assert err.split("：" if lang == "zh" else ": ", 1)[1].startswith(template.split("{")[0])
    assert not list(tmp_path.glob("*.partial.*"))


def _flags(parser) -> set[str]:
    flags = set()
    for action in parser._actions:
        flags |= set(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                flags |= _flags(command)
    return flags


def test_every_flag_an_error_names_exists():
    """Flags written in the catalogue, and the --<option>-column flag of every column the library asks for."""
    from classifier.messages import CATALOGUE

    named = {flag for pair in CATALOGUE.values() for text in pair for flag in re.findall(r"--[a-z][a-z-]*[a-z]", text)}
    for path in PROJECT_ROOT.joinpath("classifier").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for call in re.findall(r"(?:require_column|pick_column)\(([^)]*)\)", source):
            named |= {f"--{option}-column" for option in re.findall(r'(?<!kind=)"([a-z]+)"', call)}
    assert "--code-column" in named and "--text-column" in named
    assert named - _flags(build_parser()) == set()


def test_evaluate_label_error_names_the_code_column_flag(cli_env, tmp_path, capsys):
    path = tmp_path / "gold.csv"
    path.write_text("text,gold\n人臉辨識打卡,4.1.2\n", encoding="utf-8")
    assert main(["evaluate", str(path), "--lang", "en"]) == 2
    err = one_line_error(capsys)
    assert "--code-column" in err and "--label-column" not in err
    assert main(["evaluate", str(path), "--code-column", "gold"]) == 0


def test_help_describes_every_argument_and_shows_examples(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert command.epilog and "python -m classifier " + name in command.epilog, name
        for action in command._actions:
            if action.help != "==SUPPRESS==":
                assert action.help, f"{name} {action.dest} has no help"


def test_evaluate_reports_the_measures(cli_env, tmp_path, capsys):
    path = tmp_path / "gold.csv"
    pd.DataFrame({"text": ["人臉辨識打卡系統", "RFID 無人店結帳"], "code": ["4.1.2", "4.8.1"],
                  "verdict": ["eligible", "ineligible"], "rule_ids": ["", "rfid_only"]}).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "top-1:" in out and "verdict accuracy:" in out and "coverage at precision 0.95" in out
    assert json.loads((tmp_path / "r.json").read_text())["n"] == 2


def test_missing_index_fails_with_the_rebuild_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIREG_MODELS_DIR", str(tmp_path / "nothing"))
    assert main(["classify", "人臉辨識"]) == 1
    assert "python -m classifier build" in one_line_error(capsys)


def test_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
