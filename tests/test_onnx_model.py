"""The ONNX encoder path: the stamp that vouches for the export, and (with the real model)
that it gives the original model's vectors, whatever the batch."""

import hashlib
import json

import numpy as np
import pytest

from classifier.engine.embedding import CachedEncoder, HashingEncoder, SentenceTransformerEncoder
from classifier.engine.model_store import MODEL_DIRNAME
from classifier.engine.onnx_model import (
    EXPORT_FORMAT,
    FILES,
    ONNX_DATA,
    ONNX_FILE,
    STAMP,
    OnnxEncoder,
    onnx_dir,
    open_onnx_encoder,
    verify_onnx_dir,
)
from classifier.engine.pipeline import Classifier, default_encoder
from classifier.errors import ArtifactError, ModelFetchError
from classifier.settings import BASE_MODEL, DEFAULT_MODEL, PROJECT_ROOT, Settings


def _fake_export(folder, cosine=1.0):
    """An export as fetch-model leaves it: graph, weights and the stamp that vouches for both."""
    folder.mkdir(parents=True)
    files = {}
    for name in FILES:
        payload = f"{name} bytes".encode()
        (folder / name).write_bytes(payload)
        st = (folder / name).stat()
        files[name] = {"sha256": hashlib.sha256(payload).hexdigest(), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    stamp = {"format": EXPORT_FORMAT, "files": files, "min_probe_cosine": cosine}
    (folder / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    return folder / ONNX_DATA


def test_a_stamped_export_verifies(tmp_path):
    _fake_export(tmp_path / "x")
    assert verify_onnx_dir(tmp_path / "x") == []
    assert verify_onnx_dir(tmp_path / "x", full=True) == []


def test_a_tampered_export_is_refused_by_its_hash(tmp_path):
    path = _fake_export(tmp_path / "x")
    path.write_bytes(b"model.onnx.data bytez")
    problems = verify_onnx_dir(tmp_path / "x")
    assert problems == [f"{ONNX_DATA}: expected sha256 {hashlib.sha256(b'model.onnx.data bytes').hexdigest()}, "
                        f"found {hashlib.sha256(b'model.onnx.data bytez').hexdigest()}"]


def test_an_unfinished_or_poor_export_is_refused(tmp_path):
    _fake_export(tmp_path / "a")
    (tmp_path / "a" / STAMP).unlink()
    assert "did not finish" in verify_onnx_dir(tmp_path / "a")[0]
    _fake_export(tmp_path / "b", cosine=0.9)
    assert "probe cosine" in verify_onnx_dir(tmp_path / "b")[0]
    _fake_export(tmp_path / "c")
    (tmp_path / "c" / ONNX_DATA).unlink()
    assert verify_onnx_dir(tmp_path / "c") == [f"missing {ONNX_DATA}"]
    assert verify_onnx_dir(tmp_path / "missing") == [f"missing {ONNX_FILE}", f"missing {ONNX_DATA}"]


def test_the_encoder_refuses_a_damaged_export_and_names_the_fix(tmp_path):
    path = _fake_export(onnx_dir(tmp_path))
    path.write_bytes(b"truncated")
    with pytest.raises(ModelFetchError, match="make model"):
        OnnxEncoder(DEFAULT_MODEL, tmp_path / MODEL_DIRNAME, onnx_dir(tmp_path))


def test_without_fetch_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelFetchError, match="python -m classifier fetch-model"):
        open_onnx_encoder(DEFAULT_MODEL, tmp_path, fetch=False)


def test_the_encoder_fingerprint_names_the_exported_file(tmp_path):
    _fake_export(onnx_dir(tmp_path))
    encoder = OnnxEncoder(DEFAULT_MODEL, tmp_path / MODEL_DIRNAME, onnx_dir(tmp_path))
    assert encoder.name == DEFAULT_MODEL
    hashes = "".join(hashlib.sha256(f"{name} bytes".encode()).hexdigest() for name in FILES)
    assert encoder.fingerprint == DEFAULT_MODEL + "@" + hashlib.sha256(hashes.encode()).hexdigest()[:12]


class _Fingerprinted(HashingEncoder):
    def __init__(self, fingerprint):
        super().__init__(64)
        self.fingerprint = fingerprint
        self.calls = 0

    def encode(self, texts, kind):
        self.calls += 1
        return super().encode(texts, kind)


def test_cached_vectors_are_keyed_by_model_file(tmp_path):
    db = tmp_path / "cache.sqlite"
    first, second = _Fingerprinted("m@aaa"), _Fingerprinted("m@bbb")
    CachedEncoder(first, db).encode(["同一句話"], "query")
    CachedEncoder(second, db).encode(["同一句話"], "query")
    assert second.calls == 1
    again = _Fingerprinted("m@aaa")
    CachedEncoder(again, db).encode(["同一句話"], "query")
    assert again.calls == 0


def test_an_index_built_with_another_model_file_is_refused(tmp_path):
    # The four-item fixture taxonomy: what is tested is the fingerprint check, not the data.
    settings = Settings(data_dir=PROJECT_ROOT / "tests" / "fixtures" / "mini", models_dir=tmp_path / "models",
                        cache_dir=tmp_path / "cache", model="hashing-64", expected_items=None)
    Classifier.build(settings, encoder=_Fingerprinted("hashing-64@aaa")).save(settings)
    with pytest.raises(ArtifactError, match="model file 'hashing-64@aaa'.*'hashing-64@bbb' is installed.*classifier build"):
        Classifier.load(settings, encoder=_Fingerprinted("hashing-64@bbb"))
    assert Classifier.load(settings, encoder=_Fingerprinted("hashing-64@aaa")).classify("人臉辨識打卡").code


@pytest.fixture(scope="module")
def encoders():
    settings = Settings()
    onnx = default_encoder(settings, DEFAULT_MODEL).inner
    torch_path = SentenceTransformerEncoder(BASE_MODEL, settings.cache_dir, fetch=False)
    return onnx, torch_path


@pytest.mark.model
class TestRealExport:
    TEXTS = [
        "我們的產品是基於人臉辨識的員工打卡系統",
        "利用机器学习预测工厂设备故障",
        "An OCR library that reads invoices.",
        "長" * 900,
        "",
        "🙂🙂",
    ]

    def test_the_default_model_is_the_verified_onnx_export(self):
        assert verify_onnx_dir(onnx_dir(Settings().cache_dir)) == []
        assert isinstance(default_encoder(Settings()).inner, OnnxEncoder)

    @pytest.mark.parametrize("kind", ["query", "document"])
    def test_it_gives_the_original_vectors(self, encoders, kind):
        onnx, torch_path = encoders
        a, b = onnx.encode(self.TEXTS, kind), torch_path.encode(self.TEXTS, kind)
        assert a.shape == b.shape
        assert np.min(np.sum(a * b, axis=1)) > 0.9999

    def test_a_vector_does_not_depend_on_its_batch(self, encoders):
        onnx, _ = encoders
        together = onnx.encode(self.TEXTS, "query")
        alone = np.vstack([onnx.encode([t], "query") for t in self.TEXTS])
        assert np.allclose(together, alone, atol=1e-4)
