"""Reviewer accounts: scrypt-hashed passwords in SQLite, two roles, and a lock after repeated failures.

Passwords are never stored or logged in clear: each is hashed with ``hashlib.scrypt`` (memory-hard,
in the standard library) and a random salt. After ``MAX_FAILURES`` failed sign-ins in a row an
account is locked for ``LOCK_SECONDS``; every failed attempt is also answered a little later than
the one before, so guessing is slow even before the lock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from classifier.errors import DataFileError, InputError

ROLES = ("reviewer", "admin")
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
MIN_PASSWORD = 10
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    active: bool
    created_at: str

    @property
    def can_review(self) -> bool:
        return self.active and self.role in ROLES

    @property
    def is_admin(self) -> bool:
        return self.active and self.role == "admin"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    found = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                           dklen=len(bytes.fromhex(digest)))
    return hmac.compare_digest(found.hex(), digest)


# Compared against when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = hash_password("not-a-password", salt=b"\x00" * 16)


class AccountStore:
    """Reviewer accounts in one SQLite file (``AIREG_ACCOUNTS``, default ``var/accounts.sqlite``)."""

    def __init__(self, path: str | Path, *, max_failures: int = MAX_FAILURES, lock_seconds: float = LOCK_SECONDS,
                 clock=time.time, sleep=time.sleep):
        self.path = Path(path)
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self._clock = clock
        self._sleep = sleep

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DataFileError(f"Expected a SQLite accounts database at {self.path}; it could not be read ({exc}). "
                                "Move the file aside or set AIREG_ACCOUNTS to another path.") from exc
        try:
            yield conn
        finally:
            conn.close()

    # --- managing accounts ------------------------------------------------------------------

    def add(self, username: str, password: str, role: str = "reviewer") -> Account:
        username = username.strip()
        if not _USERNAME.match(username):
            raise InputError(f"Expected a username of 2-64 letters, digits or . _ @ -; found {username!r}.",
                             reason="bad_username", found=username)
        if role not in ROLES:
            raise InputError(f"Expected a role of {' or '.join(ROLES)}; found {role!r}.", reason="bad_role", found=role)
        if len(password) < MIN_PASSWORD:
            raise InputError(f"Expected a password of at least {MIN_PASSWORD} characters; found {len(password)}.",
                             reason="short_password", n=MIN_PASSWORD)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            try:
                conn.execute("INSERT INTO accounts (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                             (username, role, hash_password(password), created))
            except sqlite3.IntegrityError:
                raise InputError(f"Expected a new username; {username!r} already exists.", reason="user_exists",
                                 found=username) from None
        return Account(username, role, True, created)

    def set_active(self, username: str, active: bool) -> Account:
        with self._connect() as conn:
            changed = conn.execute("UPDATE accounts SET active = ?, failures = 0, locked_until = 0 WHERE username = ?",
                                   (int(active), username)).rowcount
        if not changed:
            raise InputError(f"Expected an existing username; found {username!r}.", reason="unknown_user",
                             found=username)
        return self.get(username)

    def get(self, username: str) -> Account | None:
        with self._connect() as conn:
            row = conn.execute("SELECT username, role, active, created_at FROM accounts WHERE username = ?",
                               (username,)).fetchone()
        return Account(row[0], row[1], bool(row[2]), row[3]) if row else None

    def list(self) -> list[Account]:
        with self._connect() as conn:
            rows = conn.execute("SELECT username, role, active, created_at FROM accounts ORDER BY username").fetchall()
        return [Account(r[0], r[1], bool(r[2]), r[3]) for r in rows]

    # --- signing in -------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> Account:
        """The account, or InputError (``bad_credentials``, ``account_locked``) that never says which part was wrong."""
        username = (username or "").strip()
        now = self._clock()
        with self._connect() as conn:
            row = conn.execute("SELECT role, password_hash, active, failures, locked_until, created_at "
                               "FROM accounts WHERE username = ?", (username,)).fetchone()
        if row is None:
            verify_password(password or "", _DUMMY_HASH)
            self._slow_down(1)
            raise InputError("Expected a known username and its password; they do not match.",
                             reason="bad_credentials")
        role, stored, active, failures, locked_until, created = row
        if locked_until > now:
            raise InputError("This account is locked after repeated failed sign-ins.", reason="account_locked",
                             minutes=max(1, round((locked_until - now) / 60)))
        if not verify_password(password or "", stored) or not active:
            failures += 1
            lock = now + self.lock_seconds if failures >= self.max_failures else 0
            with self._connect() as conn:
                conn.execute("UPDATE accounts SET failures = ?, locked_until = ? WHERE username = ?",
                             (0 if lock else failures, lock, username))
            self._slow_down(failures)
            raise InputError("Expected a known username and its password; they do not match.",
                             reason="bad_credentials")
        if failures:
            with self._connect() as conn:
                conn.execute("UPDATE accounts SET failures = 0 WHERE username = ?", (username,))
        return Account(username, role, True, created)

    def _slow_down(self, failures: int) -> None:
        self._sleep(min(0.25 * failures, 2.0))
