import json

import pytest
from conftest import copy_data, quick_config

from classifier.engine.embedding import HashingEncoder
from classifier.engine.pipeline import Classifier
from classifier.errors import ArtifactError

TEXTS = ["我們的產品是基於人臉辨識的員工打卡系統", "RFID 無人店", "以AI預測設備故障，提前安排保養"]


def test_save_load_round_trip_gives_identical_predictions(stub_classifier, stub_settings):
    loaded = Classifier.load(stub_settings)
    assert loaded.classify_many(TEXTS) == stub_classifier.classify_many(TEXTS)
    manifest = json.loads((stub_settings.models_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == "hashing-512"
    assert {"taxonomy.csv", "faq_examples.csv", "examples.csv", "detectors.jsonl"} <= set(manifest["data"])
    assert {"scikit-learn", "sentence-transformers", "python"} <= set(manifest["libraries"])


@pytest.fixture
def built(tmp_path, stub_classifier):
    """A private copy of data and index that a test may damage."""
    settings = _settings(tmp_path)
    stub_classifier.save(settings)
    return settings


def _settings(tmp_path):
    from classifier.settings import Settings

    return Settings(data_dir=copy_data(tmp_path / "data"), models_dir=tmp_path / "models",
                    cache_dir=tmp_path / "cache", model="hashing-512")


def test_missing_index_names_the_build_command(tmp_path):
    with pytest.raises(ArtifactError) as err:
        Classifier.load(_settings(tmp_path))
    assert "Run `python -m classifier build`" in str(err.value)


def test_changed_examples_make_the_index_stale(built):
    with open(built.examples_path, "a", encoding="utf-8") as handle:
        handle.write('new-1,一筆新增的範例描述,4.1.2,eligible,,entry\n')
    with pytest.raises(ArtifactError) as err:
        Classifier.load(built)
    assert str(err.value) == (
        "The index in models/ is stale: data changed since the build: examples.csv. "
        "Run `python -m classifier build` to rebuild it."
    )


def test_another_model_is_refused(built):
    with pytest.raises(ArtifactError, match="built with model 'hashing-512', but 'hashing-64' is configured"):
        Classifier.load(built, encoder=HashingEncoder(64))


@pytest.mark.parametrize("damage", ["truncate", "flip", "replace"])
def test_damaged_index_is_refused_before_unpickling(built, damage):
    index = built.models_dir / "index.joblib"
    data = index.read_bytes()
    if damage == "truncate":
        index.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        index.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    else:
        import joblib

        joblib.dump({"malicious": True}, index)
    with pytest.raises(ArtifactError, match="does not match its manifest.*will not be loaded"):
        Classifier.load(built)


def test_damaged_manifest_is_refused(built):
    (built.models_dir / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        Classifier.load(built)


def test_rebuild_after_stale_works(built):
    with open(built.examples_path, "a", encoding="utf-8") as handle:
        handle.write('new-1,以人臉辨識做會員入場,4.1.2,eligible,,entry\n')
    Classifier.build(built, encoder=HashingEncoder(512), config=quick_config()).save(built)
    assert Classifier.load(built).classify("人臉辨識入場").scores
