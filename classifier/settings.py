"""Paths and model name as a frozen dataclass; environment variables override the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The model itself (run by torch) and its ONNX export (run by onnxruntime, the default:
# the same vectors, faster on CPU; `make bench` measures both).
BASE_MODEL = "google/embeddinggemma-300m"
ONNX_MODEL = BASE_MODEL + "#onnx"
DEFAULT_MODEL = ONNX_MODEL


@dataclass(frozen=True)
class Settings:
    data_dir: Path = PROJECT_ROOT / "data"
    models_dir: Path = PROJECT_ROOT / "models"
    cache_dir: Path = Path.home() / ".cache" / "ai-registry-classifier"
    # Both default names resolve to the PyPI-assembled copy in cache_dir; any other
    # sentence-transformers name or local path is passed to SentenceTransformer as is.
    model: str = DEFAULT_MODEL
    # How many sub-items taxonomy.csv must hold (the seed's 87); None for a fixture taxonomy in tests.
    expected_items: int | None = 87

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        base = cls()
        values = {
            "data_dir": Path(env["AIREG_DATA_DIR"]) if env.get("AIREG_DATA_DIR") else base.data_dir,
            "models_dir": Path(env["AIREG_MODELS_DIR"]) if env.get("AIREG_MODELS_DIR") else base.models_dir,
            "cache_dir": Path(env["AIREG_CACHE_DIR"]) if env.get("AIREG_CACHE_DIR") else base.cache_dir,
            "model": env.get("AIREG_MODEL") or base.model,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(base, **values)

    @property
    def taxonomy_path(self) -> Path:
        return self.data_dir / "taxonomy.csv"

    @property
    def faq_path(self) -> Path:
        return self.data_dir / "faq_examples.csv"

    @property
    def examples_path(self) -> Path:
        return self.data_dir / "examples.csv"

    @property
    def real_train_path(self) -> Path:
        return self.data_dir / "real" / "real_train.csv"

    @property
    def real_dev_path(self) -> Path:
        return self.data_dir / "real" / "real_dev.csv"

    @property
    def ruling_examples_path(self) -> Path:
        return self.data_dir / "ruling_examples.csv"

    @property
    def detectors_path(self) -> Path:
        return self.data_dir / "detectors.jsonl"

    @property
    def rules_path(self) -> Path:
        return self.data_dir / "rules.jsonl"

    @property
    def crosswalk_path(self) -> Path:
        return self.data_dir / "crosswalk.csv"

    @property
    def decisions_path(self) -> Path:
        return Path(os.environ["AIREG_DECISIONS"]) if os.environ.get("AIREG_DECISIONS") else PROJECT_ROOT / "var" / "decisions.sqlite"

    @property
    def accounts_path(self) -> Path:
        return Path(os.environ["AIREG_ACCOUNTS"]) if os.environ.get("AIREG_ACCOUNTS") else PROJECT_ROOT / "var" / "accounts.sqlite"

    @property
    def notes_path(self) -> Path:
        return self.data_dir / "application_notes.json"

    @property
    def dev_eval_path(self) -> Path:
        return self.data_dir / "dev_eval.csv"
