import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from classifier.errors import DataFileError, InputError
from classifier.review.decisions import SCHEMA_VERSION, Decision, DecisionStore, text_hash
from classifier.settings import PROJECT_ROOT

CODES = {"1.1.1", "1.1.2", "2.1.1"}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "var" / "decisions.sqlite"


@pytest.fixture
def store(db):
    return DecisionStore(db, known_codes=CODES)


def accept(store, text="人臉辨識門禁系統", code="1.1.1", **kw):
    return store.record(text=text, suggested_code=code, suggested_verdict="eligible", reviewer="amy", **kw)


def change(store, text, final_code, *, suggested_code="1.1.1", reason="定義較符合", **kw):
    return store.record(text=text, suggested_code=suggested_code, suggested_verdict="eligible",
                        final_code=final_code, final_verdict="eligible", reason=reason, reviewer="bob", **kw)


def reject(store, text, reason="不是 AI 服務", **kw):
    return store.record(text=text, suggested_code="1.1.1", suggested_verdict="eligible", action="reject",
                        reason=reason, reviewer="bob", **kw)


def _run_python(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# --- schema ----------------------------------------------------------------------------------


def test_first_use_creates_the_file_and_folder_at_the_current_version(db):
    store = DecisionStore(db)
    assert not db.exists()  # nothing happens in the constructor
    assert store.count() == 0
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2 == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_file_from_a_newer_version_is_refused_with_the_fix(db):
    DecisionStore(db).count()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 3")
    with pytest.raises(DataFileError) as err:
        DecisionStore(db).history()
    assert str(err.value) == (
        f"Expected a decisions database at schema version 2 or older; {db} is at version 3, "
        "written by a newer release of this tool. Upgrade the classifier, or point the decision store at another file."
    )


def test_a_version_1_file_is_migrated_and_keeps_its_decisions(db):
    """A decision file written before sign-in existed: its rows stay, with no account; new rows carry one."""
    from classifier.review.decisions import MIGRATIONS

    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO decisions (text_hash, text, final_code, final_verdict, action, reviewer, created_at) "
                     "VALUES ('h', '舊的決定', '4.1.2', 'eligible', 'accept', '王小明', '2026-01-01T00:00:00+00:00')")
    store = DecisionStore(db)
    old = store.history()
    assert len(old) == 1 and old[0].reviewer == "王小明" and old[0].account == ""
    new = store.record(text="新的決定", reviewer="lin", account="lin", suggested_code="4.1.2",
                       suggested_verdict="eligible")
    assert new.account == "lin" and store.count() == 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "decisions.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataFileError, match="could not be read as one"):
        DecisionStore(path).count()


# --- recording -------------------------------------------------------------------------------


def test_record_returns_the_stored_row(store):
    d = accept(store, case_id="R-17", source="batch.csv", model_version="m1", taxonomy_version="t1")
    assert isinstance(d, Decision)
    assert d.id == 1 and d.case_id == "R-17" and d.source == "batch.csv"
    assert (d.action, d.final_code, d.final_verdict, d.reason) == ("accept", "1.1.1", "eligible", "")
    assert d.text_hash == text_hash("人臉辨識門禁系統") == text_hash(d.text)
    assert d.created_at.endswith("+00:00") and len(d.created_at) == len("2026-01-01T00:00:00+00:00")
    assert store.history() == [d]


def test_text_hash_is_of_the_text_exactly_as_given():
    assert text_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert text_hash("abc ") != text_hash("abc")


@pytest.mark.parametrize(("final_code", "final_verdict", "action"), [
    ("1.1.1", "eligible", "accept"),
    ("1.1.2", "eligible", "change_code"),
    ("1.1.1", "conditional", "change_verdict"),
    ("2.1.1", "ineligible", "change_both"),
    ("", "", "reject"),
])
def test_action_is_derived_from_suggestion_and_final(store, final_code, final_verdict, action):
    d = store.record(text="語音轉文字", suggested_code="1.1.1", suggested_verdict="eligible", final_code=final_code,
                     final_verdict=final_verdict, reason="因為", reviewer="amy")
    assert d.action == action


def test_history_is_append_only(store):
    first = accept(store, case_id="R-1")
    second = change(store, first.text, "1.1.2", case_id="R-1")
    assert [d.id for d in store.history(case_id="R-1")] == [first.id, second.id]
    assert store.history(text_hash=first.text_hash) == [first, second]
    assert store.history(text_hash=first.text_hash, case_id="R-2") == []


@pytest.mark.parametrize("statement", ["UPDATE decisions SET final_code = '2.1.1'", "DELETE FROM decisions"])
def test_raw_update_or_delete_is_aborted_by_the_database(store, db, statement):
    original = accept(store)
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    assert store.history() == [original]


def test_override_without_reason_is_refused(store):
    with pytest.raises(InputError) as err:
        change(store, "影像瑕疵檢測", "1.1.2", reason="  ")
    assert err.value.reason == "missing_reason"
    with pytest.raises(InputError) as err:
        reject(store, "影像瑕疵檢測", reason="")
    assert err.value.reason == "missing_reason"
    assert store.count() == 0


def test_accept_needs_no_reason(store):
    assert accept(store).reason == ""
    assert store.count() == 1


def test_unknown_code_is_refused_when_codes_are_known(store, db):
    with pytest.raises(InputError) as err:
        change(store, "影像瑕疵檢測", "9.9.9")
    assert err.value.reason == "unknown_code"
    assert reject(store, "影像瑕疵檢測").action == "reject"  # a reject needs no usable code
    assert change(DecisionStore(db), "影像瑕疵檢測", "9.9.9").final_code == "9.9.9"  # no known codes: not checked


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"reviewer": " "}, "missing_reviewer"),
    ({"suggested_verdict": "maybe"}, "bad_verdict"),
    ({"final_verdict": "Eligible"}, "bad_verdict"),
    ({"action": "approve"}, "bad_action"),
    ({"action": "accept", "final_code": "1.1.2"}, "bad_action"),
    ({"final_code": 1.1}, "bad_type"),
    ({"text": "   "}, "empty_text"),
])
def test_invalid_decisions_are_refused_with_a_reason_code(store, kwargs, reason):
    args = {"text": "聊天機器人", "suggested_code": "1.1.1", "suggested_verdict": "eligible", "reviewer": "amy",
            "reason": "因為", **kwargs}
    with pytest.raises(InputError) as err:
        store.record(**args)
    assert err.value.reason == reason
    assert store.count() == 0


# --- what learning sees ----------------------------------------------------------------------


def test_approved_examples_take_the_newest_decision_per_text(store):
    accept(store, text="A")
    newer = change(store, "A", "1.1.2")
    only = accept(store, text="B", code="2.1.1")
    assert store.approved_examples() == [newer, only]
    assert store.latest_by_text() == {newer.text_hash: newer, only.text_hash: only}


def test_a_later_reject_withdraws_an_approval(store):
    approved = accept(store, text="A")
    before = store.fingerprint()
    withdrawn = reject(store, "A")
    assert store.approved_examples() == []
    assert store.latest_by_text() == {approved.text_hash: withdrawn}
    assert store.fingerprint() != before
    assert store.reviewed_hashes() == {approved.text_hash}
    assert store.history() == [approved, withdrawn]  # withdrawn, not erased


def test_rejected_decisions_never_appear_in_approved_examples(store):
    reject(store, "A")
    kept = accept(store, text="B")
    reject(store, "C")
    assert store.approved_examples() == [kept]
    assert all(d.action != "reject" for d in store.approved_examples())


def test_fingerprint_follows_the_approved_examples(store, tmp_path):
    assert store.fingerprint() == DecisionStore(tmp_path / "other.sqlite").fingerprint()  # empty stores agree
    accept(store, text="A")
    first = store.fingerprint()
    assert store.fingerprint() == first
    reject(store, "B")  # a reject of a new text changes no approved example
    assert store.fingerprint() == first
    change(store, "A", "1.1.2")
    assert store.fingerprint() != first


# --- concurrency and crashes -----------------------------------------------------------------

WRITER = """
    import sys, time
    from pathlib import Path
    from classifier.review.decisions import DecisionStore
    db, tag, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    store = DecisionStore(db)
    Path(go.parent / f"ready-{tag}").touch()
    while not go.exists():
        time.sleep(0.005)
    for i in range(n):
        store.record(text=f"{tag} text {i}", suggested_code="1.1.1", suggested_verdict="eligible",
                     reviewer=tag, case_id=f"{tag}-{i}")
"""


def test_two_processes_writing_at_once_lose_nothing(db, tmp_path):
    go = tmp_path / "go"
    writers = [_run_python(WRITER, str(db), tag, "200", str(go)) for tag in ("p1", "p2")]
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"ready-{tag}").exists() for tag in ("p1", "p2")):
        assert time.monotonic() < deadline, "writers did not start"
        assert all(w.poll() is None for w in writers), [w.communicate() for w in writers]
        time.sleep(0.01)
    go.touch()  # both start writing to the fresh file at the same moment
    for w in writers:
        _, err = w.communicate(timeout=60)
        assert w.returncode == 0, err
    store = DecisionStore(db)
    rows = store.history()
    assert store.count() == 400 == len(rows)
    assert len({d.id for d in rows}) == 400
    assert {d.reviewer for d in rows} == {"p1", "p2"}
    assert {d.case_id for d in rows if d.reviewer == "p1"} == {f"p1-{i}" for i in range(200)}


def test_threads_can_share_one_store(store):
    def write(tag):
        for i in range(25):
            accept(store, text=f"{tag}-{i}")

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 100
    assert len(store.reviewed_hashes()) == 100


def test_a_killed_writer_leaves_a_sound_database(db, tmp_path):
    go = tmp_path / "go"
    go.touch()
    writer = _run_python(WRITER, str(db), "k", "100000", str(go))
    store = DecisionStore(db)
    deadline = time.monotonic() + 30
    try:
        while not db.exists() or store.count() < 50:
            assert time.monotonic() < deadline, "the writer made no progress"
            assert writer.poll() is None, writer.communicate()
            time.sleep(0.01)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.communicate()
    assert writer.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        readable = conn.execute("SELECT id, text FROM decisions ORDER BY id").fetchall()
    n = store.count()
    assert n == len(readable) >= 50
    rows = store.history()
    assert [d.id for d in rows] == [r[0] for r in readable] == list(range(1, n + 1))
    assert store.history(case_id="k-0")[0].text == "k text 0"
    new = accept(store, text="after the crash")
    assert new.id == n + 1 and store.count() == n + 1


# --- export ----------------------------------------------------------------------------------


def test_export_csv_neutralises_formulas_and_keeps_every_row(store, tmp_path):
    accept(store, text="=cmd|' /C calc'!A0", case_id="+1")
    change(store, "@SUM(A1)", "1.1.2", reason="-因為")
    accept(store, text="一般文字")
    out = store.export_csv(tmp_path / "export" / "audit.csv")
    raw = out.read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == store.count() == 3
    assert rows[0]["text"] == "'=cmd|' /C calc'!A0" and rows[0]["case_id"] == "'+1"
    assert rows[1]["text"] == "'@SUM(A1)" and rows[1]["reason"] == "'-因為"
    assert rows[2]["text"] == "一般文字"
    assert [r["id"] for r in rows] == ["1", "2", "3"]


def test_to_frame_is_the_audit_trail_as_strings(store):
    assert list(store.to_frame().columns)[:3] == ["id", "case_id", "text_hash"]
    assert store.to_frame().empty
    accept(store, code="2.1.1")
    frame = store.to_frame()
    assert frame.loc[0, "id"] == "1" and frame.loc[0, "final_code"] == "2.1.1"
    assert all(isinstance(v, str) for v in frame.iloc[0])
