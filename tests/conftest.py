import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from classifier.engine.embedding import HashingEncoder
from classifier.engine.index import RankerConfig
from classifier.settings import PROJECT_ROOT, Settings

DATA = PROJECT_ROOT / "data"
REAL_CACHE = Settings().cache_dir  # the default, whatever the environment says


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path, monkeypatch):
    """Every test gets its own models/ and cache; the real model's folder is read, never written."""
    monkeypatch.setenv("AIREG_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("AIREG_DATA_DIR", str(DATA))
    monkeypatch.setenv("AIREG_DECISIONS", str(tmp_path / "decisions.sqlite"))
    monkeypatch.setenv("AIREG_ACCOUNTS", str(tmp_path / "accounts.sqlite"))
    monkeypatch.delenv("AIREG_VIEW", raising=False)
    # Everything a test writes to the cache goes to its own folder; tests that run the real model
    # point at REAL_CACHE, where `make` put it.
    monkeypatch.setenv("AIREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIREG_MODEL", raising=False)
    yield


def quick_config(data_dir: Path = DATA, *, first_pass: bool = False) -> RankerConfig:
    """The project's ranker settings with one head candidate instead of a grid: the same code paths,
    a third of the cross-validation fits (the choice among candidates has its own unit test). The
    first pass doubles a build, so only the shared stub classifier builds one."""
    config = RankerConfig.load(data_dir / "ranker.json")
    return replace(config, head_c=config.head_c[:1], first_pass=first_pass and config.first_pass)


def copy_data(target: Path) -> Path:
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="session")
def stub_settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("stub")
    return Settings(data_dir=DATA, models_dir=root / "models", cache_dir=root / "cache", model="hashing-512")


@pytest.fixture(scope="session")
def stub_classifier(stub_settings):
    """The real data with the deterministic stand-in encoder: fast, and exercises every step."""
    from classifier.engine.pipeline import Classifier

    clf = Classifier.build(stub_settings, encoder=HashingEncoder(512), config=quick_config(first_pass=True))
    clf.save(stub_settings)
    return clf


@pytest.fixture(scope="session")
def real_classifier():
    """The index `make test` builds in models/ with the real embedding model."""
    from classifier.engine.pipeline import Classifier

    settings = Settings(data_dir=DATA, models_dir=PROJECT_ROOT / "models")
    return Classifier.load(settings)
