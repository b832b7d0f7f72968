import sqlite3

import pytest

from classifier.cli import main
from classifier.errors import InputError
from classifier.review.accounts import AccountStore, hash_password, verify_password


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return AccountStore(tmp_path / "accounts.sqlite", clock=clock, sleep=lambda s: None)


def test_passwords_are_stored_only_as_salted_hashes(store, tmp_path):
    store.add("wang.mei", "correct horse battery", "reviewer")
    raw = (tmp_path / "accounts.sqlite").read_bytes()
    assert b"correct horse battery" not in raw
    with sqlite3.connect(tmp_path / "accounts.sqlite") as conn:
        stored = conn.execute("SELECT password_hash FROM accounts").fetchone()[0]
    assert stored.startswith("scrypt$") and verify_password("correct horse battery", stored)
    assert hash_password("same password!") != hash_password("same password!")  # salted


def test_sign_in_gives_the_account_and_its_role(store):
    store.add("lin.admin", "a long admin password", "admin")
    account = store.authenticate("lin.admin", "a long admin password")
    assert account.username == "lin.admin" and account.is_admin and account.can_review


@pytest.mark.parametrize("username, password", [("lin", "wrong password!"), ("nobody", "a long admin password")])
def test_wrong_name_or_password_says_the_same(store, username, password):
    store.add("lin", "a long admin password", "admin")
    with pytest.raises(InputError) as err:
        store.authenticate(username, password)
    assert err.value.reason == "bad_credentials"


def test_repeated_failures_lock_the_account_for_a_while(store, clock):
    store.add("wang", "the right password", "reviewer")
    for _ in range(5):
        with pytest.raises(InputError):
            store.authenticate("wang", "guess guess guess")
    with pytest.raises(InputError) as err:
        store.authenticate("wang", "the right password")  # even the right password waits out the lock
    assert err.value.reason == "account_locked"
    clock.now += 16 * 60
    assert store.authenticate("wang", "the right password").username == "wang"


def test_failed_sign_ins_are_slowed(tmp_path):
    waits = []
    store = AccountStore(tmp_path / "a.sqlite", sleep=waits.append)
    store.add("wang", "the right password")
    for _ in range(3):
        with pytest.raises(InputError):
            store.authenticate("wang", "nope nope nope")
    assert waits == sorted(waits) and waits[-1] > waits[0] > 0


def test_a_disabled_account_cannot_sign_in(store):
    store.add("chen", "the right password")
    store.set_active("chen", False)
    with pytest.raises(InputError):
        store.authenticate("chen", "the right password")
    store.set_active("chen", True)
    assert store.authenticate("chen", "the right password").active


@pytest.mark.parametrize("username, password, role, reason", [
    ("a", "long enough pw", "reviewer", "bad_username"),
    ("ok.name", "short", "reviewer", "short_password"),
    ("ok.name", "long enough pw", "root", "bad_role"),
])
def test_bad_accounts_are_refused(store, username, password, role, reason):
    with pytest.raises(InputError) as err:
        store.add(username, password, role)
    assert err.value.reason == reason


def test_users_command(tmp_path, monkeypatch, capsys):
    import io

    monkeypatch.setenv("AIREG_ACCOUNTS", str(tmp_path / "accounts.sqlite"))
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password here\n"))
    assert main(["users", "add", "wang.mei", "--role", "admin", "--password-stdin"]) == 0
    assert "a long password here" not in capsys.readouterr().err
    assert main(["users", "list"]) == 0
    assert "wang.mei\tadmin\t啟用" in capsys.readouterr().out
    assert main(["users", "disable", "wang.mei"]) == 0
    assert main(["users", "disable", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "chen", "--password-stdin"]) == 2
