"""Answers already given, per normalised description: a re-run costs a lookup, not a classification.

Keyed by the index that answered (its hash, which changes with the data, the model, the reviewed
decisions and the first pass), the path asked for, how many suggestions, and the normalised text.
Entries hold the prediction with its matched terms in normalised form; the caller maps them back
to the user's own spelling, which may differ between two texts that normalise alike. The per-item
ranker scores are not stored (nothing outside the classifier reads them). Stored as
JSON, never pickled, so a cache file cannot run code. SQLite keeps it across runs; a damaged or
locked file degrades to the in-memory map rather than failing a batch.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from classifier.engine.embedding import open_table, select_by_keys
from classifier.records import Prediction

SCHEMA = "CREATE TABLE IF NOT EXISTS predictions (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


class PredictionCache:
    def __init__(self, identity: str, path: Path | None = None, *, memory: int = 50_000):
        self.identity = identity
        self.path = path
        self.memory = memory
        self._map: OrderedDict[str, Prediction] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def key(self, path: str, top_k: int, normalised: str) -> str:
        return hashlib.sha256(f"{self.identity}\x1f{path}\x1f{top_k}\x1f{normalised}".encode()).hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        try:
            return open_table(self.path, SCHEMA, timeout=5)
        except (OSError, sqlite3.Error):
            return None

    def get_many(self, keys: list[str]) -> dict[str, Prediction]:
        found: dict[str, Prediction] = {}
        with self._lock:
            for key in keys:
                if key in self._map:
                    self._map.move_to_end(key)
                    found[key] = self._map[key]
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        conn = self._connect() if missing else None
        if conn is not None:
            try:
                for key, value in select_by_keys(conn, "predictions", "value", missing):
                    try:
                        found[key] = Prediction.from_dict(json.loads(value))
                    except (ValueError, TypeError, KeyError):
                        continue  # an entry from another version of the records: classify again
            except sqlite3.Error:
                pass
            finally:
                conn.close()
            self._remember({k: found[k] for k in missing if k in found})
        self.hits += sum(k in found for k in keys)
        self.misses += sum(k not in found for k in keys)
        return found

    def put_many(self, entries: dict[str, Prediction]) -> None:
        if not entries:
            return
        self._remember(entries)
        conn = self._connect()
        if conn is None:
            return
        try:
            with conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO predictions (key, value) VALUES (?, ?)",
                    [(k, json.dumps(p.to_dict(), ensure_ascii=False)) for k, p in entries.items()],
                )
        except sqlite3.Error:
            pass  # the answers stand; only the next run's shortcut is lost
        finally:
            conn.close()

    def _remember(self, entries: dict[str, Prediction]) -> None:
        with self._lock:
            for key, prediction in entries.items():
                self._map[key] = prediction
                self._map.move_to_end(key)
            while len(self._map) > self.memory:
                self._map.popitem(last=False)
