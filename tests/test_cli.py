import json

import pandas as pd
import pytest

from classifier.cli import main


@pytest.fixture
def cli_env(stub_classifier, stub_settings, monkeypatch):
    monkeypatch.setenv("AIREG_MODELS_DIR", str(stub_settings.models_dir))
    monkeypatch.setenv("AIREG_CACHE_DIR", str(stub_settings.cache_dir))
    stub_classifier.save(stub_settings)
    return stub_settings


def test_classify_prints_a_readable_answer(cli_env, capsys):
    assert main(["classify", "我們的產品是基於人臉辨識的員工打卡系統"]) == 0
    out = capsys.readouterr().out
    assert "建議項目：" in out and "資格判定：" in out and "相似先例：" in out


def test_classify_json_is_a_full_prediction(cli_env, capsys):
    assert main(["classify", "RFID 無人店", "--json", "--top-k", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["suggestions"]) == 3 and data["verdict"] in {"eligible", "conditional", "ineligible"}
    assert isinstance(data["suggestions"][0]["code"], str)


def test_classify_english_labels(cli_env, capsys):
    assert main(["classify", "face recognition time clock", "--lang", "en"]) == 0
    assert "Suggested item:" in capsys.readouterr().out


def test_empty_text_is_a_usage_error(cli_env, capsys):
    assert main(["classify", "   "]) == 2
    assert "error: Expected a product description" in capsys.readouterr().err


def test_batch_round_trip(cli_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": ["1", "2", "3"], "描述": ["人臉辨識打卡", "", "AI瑕疵檢測"]}).to_csv(source, index=False, encoding="cp950")
    assert main(["batch", str(source), str(tmp_path / "out.csv"), "--text-column", "描述"]) == 0
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["id"].tolist() == ["1", "2", "3"] and out.loc[1, "error"] != ""
    assert "3 rows written" in capsys.readouterr().err


def test_batch_with_wrong_column_exits_2_and_lists_columns(cli_env, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,desc\n1,x\n", encoding="utf-8")
    assert main(["batch", str(source), str(tmp_path / "out.csv")]) == 2
    assert "found columns ['id', 'desc']" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


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
    assert "python -m classifier build" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
