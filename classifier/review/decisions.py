"""The reviewers' decision store: an append-only, versioned SQLite audit trail of accepted and changed suggestions."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from classifier.errors import DataFileError, InputError
from classifier.files.tables import to_csv_bytes
from classifier.records import VERDICTS

ACTIONS = ("accept", "change_code", "change_verdict", "change_both", "reject")
BUSY_TIMEOUT_S = 30.0

# One entry per schema version, oldest first: entry i takes a file from version i to version i + 1.
# A later version appends a step (e.g. "ALTER TABLE decisions ADD COLUMN ... NOT NULL DEFAULT ''");
# never edit a step that has shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id TEXT NOT NULL DEFAULT '',
            text_hash TEXT NOT NULL,
            text TEXT NOT NULL,
            suggested_code TEXT NOT NULL DEFAULT '',
            suggested_verdict TEXT NOT NULL DEFAULT '',
            final_code TEXT NOT NULL DEFAULT '',
            final_verdict TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            reviewer TEXT NOT NULL,
            created_at TEXT NOT NULL,
            model_version TEXT NOT NULL DEFAULT '',
            taxonomy_version TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX decisions_by_text ON decisions (text_hash, id)",
        "CREATE INDEX decisions_by_case ON decisions (case_id, id)",
        """
        CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead of changing one'); END
        """,
        """
        CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a reject instead of deleting a decision'); END
        """,
    ),
    # v2: the signed-in account that recorded the decision ('' for decisions typed under a name before sign-in).
    ("ALTER TABLE decisions ADD COLUMN account TEXT NOT NULL DEFAULT ''",),
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Decision:
    """One reviewer decision on one text, exactly as stored."""

    id: int
    case_id: str
    text_hash: str
    text: str
    suggested_code: str
    suggested_verdict: str
    final_code: str
    final_verdict: str
    action: str
    reason: str
    reviewer: str
    created_at: str
    model_version: str
    taxonomy_version: str
    source: str
    account: str = ""

    @property
    def learnable(self) -> bool:
        """True when the decision may teach the index (anything but a reject)."""
        return self.action != "reject"


COLUMNS = tuple(f.name for f in fields(Decision))
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM decisions"
_NEWEST_PER_TEXT = f"{_SELECT} WHERE id IN (SELECT MAX(id) FROM decisions GROUP BY text_hash) ORDER BY id"


def text_hash(text: str) -> str:
    """sha256 hex of the text exactly as given (UTF-8, no normalisation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def derive_action(suggested_code: str, suggested_verdict: str, final_code: str, final_verdict: str) -> str:
    """The action a suggestion→final change amounts to; no usable final code is a reject."""
    if not final_code:
        return "reject"
    code_changed = final_code != suggested_code
    verdict_changed = final_verdict != suggested_verdict
    if code_changed and verdict_changed:
        return "change_both"
    if code_changed:
        return "change_code"
    if verdict_changed:
        return "change_verdict"
    return "accept"


def _string(value: object, name: str) -> str:
    """A field as a stripped string; None is empty and anything but a string is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(
            f"Expected {name} as a string; found {type(value).__name__} {value!r}. Pass codes and names as text "
            "(read CSVs with dtype=str so 4.10 does not become 4.1).",
            reason="bad_type", field=name, found=repr(value),
        )
    return value.strip()


class DecisionStore:
    """The reviewers' decisions in one SQLite file, append-only and safe to share between threads and processes.

    Parameters
    ----------
    path : str or Path
        The database file. It and its parent folder are created on first use, not by the constructor.
    known_codes : iterable of str, optional
        When given, a final code must be one of these unless the decision is a reject.

    Every operation opens its own connection, so one store can be cached with ``st.cache_resource``
    and used by every session. Writes run in ``BEGIN IMMEDIATE … COMMIT`` in WAL mode with a busy
    timeout, so concurrent writers queue instead of failing. Triggers refuse any UPDATE or DELETE:
    a later decision (a reject, say) supersedes an earlier one without erasing it.
    """

    def __init__(self, path: str | Path, known_codes: Iterable[str] | None = None):
        self.path = Path(path)
        self.known_codes = frozenset(known_codes) if known_codes is not None else None

    # --- connections and schema -------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh autocommit connection to an up-to-date schema, closed afterwards."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._ensure_schema(conn)
            yield conn
        finally:
            conn.close()

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        """Refuse a newer file; bring an older (or new, empty) one up to SCHEMA_VERSION."""
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # locked or unreachable: not a damaged file
                raise
            raise DataFileError(
                f"Expected a SQLite decisions database at {self.path}; the file could not be read as one ({exc}). "
                "Move that file aside or point the decision store at another path."
            ) from exc
        self._check_version(version)
        if version == SCHEMA_VERSION:
            return
        self._use_wal(conn)
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another writer may have migrated first
            self._check_version(version)
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _use_wal(conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (persistent; not allowed inside a transaction).

        Changing the journal mode needs an exclusive lock and SQLite does not always wait for it
        through the busy handler, so two processes opening a new file retry here instead of failing.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                    return
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _check_version(self, found: int) -> None:
        if found > SCHEMA_VERSION:
            raise DataFileError(
                f"Expected a decisions database at schema version {SCHEMA_VERSION} or older; "
                f"{self.path} is at version {found}, written by a newer release of this tool. "
                "Upgrade the classifier, or point the decision store at another file."
            )

    def _query(self, sql: str, params: tuple = ()) -> list[Decision]:
        with self._connect() as conn:
            return [Decision(*row) for row in conn.execute(sql, params)]

    # --- writing ----------------------------------------------------------------------------

    def record(
        self,
        *,
        text: str,
        reviewer: str,
        suggested_code: str = "",
        suggested_verdict: str = "",
        final_code: str | None = None,
        final_verdict: str | None = None,
        action: str | None = None,
        reason: str = "",
        case_id: str = "",
        model_version: str = "",
        taxonomy_version: str = "",
        source: str = "",
        account: str = "",
    ) -> Decision:
        """Validate and append one decision; final code/verdict default to the suggestion (empty for a reject)."""
        values = self._validate(
            text=text, reviewer=reviewer, suggested_code=suggested_code, suggested_verdict=suggested_verdict,
            final_code=final_code, final_verdict=final_verdict, action=action, reason=reason, case_id=case_id,
            model_version=model_version, taxonomy_version=taxonomy_version, source=source, account=account,
        )
        names = [c for c in COLUMNS if c != "id"]
        sql = f"INSERT INTO decisions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                values["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
                row_id = conn.execute(sql, [values[c] for c in names]).lastrowid
                stored = Decision(*conn.execute(f"{_SELECT} WHERE id = ?", (row_id,)).fetchone())
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return stored

    def _validate(self, *, text, reviewer, suggested_code, suggested_verdict, final_code, final_verdict,
                  action, reason, **extra) -> dict[str, str]:
        """The cleaned column values, or InputError with a stable reason code."""
        reviewer = _string(reviewer, "reviewer")
        if not reviewer:
            raise InputError("Expected the reviewer's name; found none. Enter who made this decision.",
                             reason="missing_reviewer")
        if not isinstance(text, str):
            raise InputError(f"Expected the text as a string; found {type(text).__name__}.", reason="not_text",
                             found=type(text).__name__)
        if not text.strip():
            raise InputError("Expected the text that was reviewed; found an empty text.", reason="empty_text")
        suggested_code = _string(suggested_code, "suggested_code")
        suggested_verdict = _string(suggested_verdict, "suggested_verdict")
        action = _string(action, "action") or None
        if action is not None and action not in ACTIONS:
            raise InputError(f"Expected action to be one of {', '.join(ACTIONS)}; found {action!r}.",
                             reason="bad_action", found=action)
        rejecting = action == "reject"
        final_code = _string(final_code, "final_code") if final_code is not None else (
            "" if rejecting else suggested_code)
        final_verdict = _string(final_verdict, "final_verdict") if final_verdict is not None else (
            "" if rejecting else suggested_verdict)
        derived = derive_action(suggested_code, suggested_verdict, final_code, final_verdict)
        action = action or derived
        rejecting = action == "reject"

        for name, verdict in (("suggested_verdict", suggested_verdict), ("final_verdict", final_verdict)):
            if rejecting and name == "final_verdict" and not verdict:
                continue
            if verdict not in VERDICTS:
                raise InputError(
                    f"Expected {name} to be one of {', '.join(VERDICTS)}; found {verdict!r}. Choose one of those verdicts.",
                    reason="bad_verdict", field=name, found=verdict,
                )
        if not rejecting:
            if not final_code:
                raise InputError(
                    f"Expected a final code for action {action!r}; found none. Choose a code, or record a reject.",
                    reason="missing_code",
                )
            if action != derived:
                raise InputError(
                    f"Expected action {derived!r} for a change from {suggested_code}/{suggested_verdict} to "
                    f"{final_code}/{final_verdict}; found {action!r}. Leave action empty to derive it.",
                    reason="bad_action", found=action, expected=derived,
                )
            if self.known_codes is not None and final_code not in self.known_codes:
                raise InputError(
                    f"Expected a final code from the taxonomy; found {final_code!r}. Choose an existing code, "
                    "or record a reject if none fits.",
                    reason="unknown_code", code=final_code,
                )
        reason = _string(reason, "reason")
        if action != "accept" and not reason:
            raise InputError(
                f"Expected a reason when the suggestion is overridden ({action}: {suggested_code}/{suggested_verdict} "
                f"→ {final_code or '-'}/{final_verdict or '-'}); found none. Say why the suggestion was changed.",
                reason="missing_reason", action=action,
            )
        cleaned = {name: _string(value, name) for name, value in extra.items()}
        return {
            "text_hash": text_hash(text), "text": text, "reviewer": reviewer, "action": action, "reason": reason,
            "suggested_code": suggested_code, "suggested_verdict": suggested_verdict,
            "final_code": final_code, "final_verdict": final_verdict, **cleaned,
        }

    # --- reading ----------------------------------------------------------------------------

    def history(self, text_hash: str | None = None, case_id: str | None = None) -> list[Decision]:
        """Every decision, or those for one text and/or case, oldest first."""
        clauses, params = [], []
        if text_hash is not None:
            clauses.append("text_hash = ?")
            params.append(text_hash)
        if case_id is not None:
            clauses.append("case_id = ?")
            params.append(case_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._query(f"{_SELECT}{where} ORDER BY id", tuple(params))

    def latest_by_text(self) -> dict[str, Decision]:
        """The newest decision for each text_hash, rejects included."""
        return {d.text_hash: d for d in self._query(_NEWEST_PER_TEXT)}

    def approved_examples(self) -> list[Decision]:
        """Per text, its newest decision unless that is a reject (a later reject withdraws an approval), in id order."""
        return [d for d in self._query(_NEWEST_PER_TEXT) if d.learnable]

    def reviewed_hashes(self) -> set[str]:
        """The text hashes with at least one decision."""
        with self._connect() as conn:
            return {row[0] for row in conn.execute("SELECT DISTINCT text_hash FROM decisions")}

    def count(self) -> int:
        """How many decisions are stored."""
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]

    def fingerprint(self) -> str:
        """sha256 over the ids and final codes/verdicts of approved_examples(), for the index manifest."""
        digest = hashlib.sha256()
        for d in self.approved_examples():
            digest.update(f"{d.id}\t{d.final_code}\t{d.final_verdict}\n".encode())
        return digest.hexdigest()

    # --- export -----------------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """The whole audit trail in id order, every column as strings."""
        rows = [{k: str(v) for k, v in asdict(d).items()} for d in self.history()]
        return pd.DataFrame(rows, columns=list(COLUMNS), dtype=str)

    def export_csv(self, path: str | Path) -> Path:
        """Write the audit trail as UTF-8 CSV with formula-like cells neutralised, atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(to_csv_bytes(self.to_frame()))
        tmp.replace(path)
        return path
