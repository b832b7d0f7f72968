"""The review queue, driven by AppTest with the stand-in classifier and a private decision store."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from classifier.messages import t
from classifier.review.accounts import AccountStore
from classifier.review.decisions import DecisionStore
from classifier.settings import PROJECT_ROOT

REGISTRY = pd.DataFrame({
    "applicant": ["甲", "乙", "丙"],
    "description": ["以人臉辨識進行員工打卡", "以深度學習檢測PCB瑕疵並提升良率", "為銀行建置信用卡盜刷偵測模型"],
    "registered_code": ["4.1.2", "4.10.1", "2.3.4 無人機應用"],
})


def _app(stub_classifier, stub_settings, monkeypatch, tmp_path) -> AppTest:
    monkeypatch.setenv("AIREG_MODELS_DIR", str(stub_settings.models_dir))
    monkeypatch.setenv("AIREG_DECISIONS", str(tmp_path / "decisions.sqlite"))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90)
    at.run()
    return at


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in_user").input(username)
    at.text_input(key="sign_in_password").input(password)
    return _form_button(at, "登入").click().run()


@pytest.fixture
def accounts(tmp_path):
    store = AccountStore(tmp_path / "accounts.sqlite")
    store.add("wang.mei", "reviewer password", "reviewer")
    store.add("lin.admin", "the admin password", "admin")
    return store


def _open_queue(at: AppTest) -> AppTest:
    at.radio(key="page").set_value("queue").run()
    at.file_uploader(key="queue_file").set_value(
        ("registry.csv", REGISTRY.to_csv(index=False).encode("cp950"), "text/csv")).run()
    at.button(key="queue_run").click().run()
    assert not at.exception
    return at


@pytest.fixture
def queue(stub_classifier, stub_settings, monkeypatch, tmp_path, accounts):
    at = sign_in(_app(stub_classifier, stub_settings, monkeypatch, tmp_path), "wang.mei", "reviewer password")
    return _open_queue(at), DecisionStore(tmp_path / "decisions.sqlite")


def _form_button(at, label):
    return next(b for b in at.button if b.label == label)


def test_an_anonymous_visitor_has_no_way_into_the_queue(stub_classifier, stub_settings, monkeypatch, tmp_path):
    at = _app(stub_classifier, stub_settings, monkeypatch, tmp_path)
    assert "queue" not in at.radio(key="page").options
    assert not at.get("download_button") and not any(b.key == "queue_run" for b in at.button)



def test_the_queue_page_itself_refuses_an_anonymous_session():
    """Even reached directly (not through the menu), the staff page stops before showing anything."""
    def script():
        from webui import page_queue

        page_queue.render(None)

    at = AppTest.from_function(script, default_timeout=30).run()
    assert [e.value for e in at.error] == [t("auth_staff_only")] and not at.get("file_uploader")


def test_a_wrong_password_is_refused_in_chinese(stub_classifier, stub_settings, monkeypatch, tmp_path, accounts):
    at = sign_in(_app(stub_classifier, stub_settings, monkeypatch, tmp_path), "wang.mei", "not the password")
    assert at.error[0].value == t("error_bad_credentials") and "queue" not in at.radio(key="page").options


def test_the_public_deployment_offers_no_sign_in(stub_classifier, stub_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AIREG_VIEW", "public")
    at = _app(stub_classifier, stub_settings, monkeypatch, tmp_path)
    assert not any(i.key == "sign_in_user" for i in at.text_input)


def test_accept_records_a_decision_under_the_signed_in_account(queue):
    at, store = queue
    first = at.subheader[0].value
    assert first.startswith("案件 1／3")
    _form_button(at, "接受建議").click().run()
    assert not at.exception
    assert store.count() == 1
    decision = store.history()[0]
    assert decision.reviewer == decision.account == "wang.mei"
    assert decision.action == "accept" and decision.model_version.startswith("hashing")
    assert at.subheader[0].value.startswith("案件 2／3")


def test_a_reviewer_cannot_download_the_audit_trail_but_an_admin_can(
        stub_classifier, stub_settings, monkeypatch, tmp_path, accounts, queue):
    at, _ = queue
    labels = [b.label for b in at.get("download_button")]
    assert "下載審查紀錄（CSV）" not in labels and "下載摘要（HTML）" in labels
    admin = _open_queue(sign_in(_app(stub_classifier, stub_settings, monkeypatch, tmp_path), "lin.admin",
                                "the admin password"))
    assert "下載審查紀錄（CSV）" in [b.label for b in admin.get("download_button")]


def test_override_needs_a_reason(queue):
    at, store = queue
    form_code = next(s for s in at.selectbox if s.key and s.key.startswith("final_code_"))
    current = form_code.value
    form_code.set_value("4.6.1" if current != "4.6.1" else "4.1.2")
    _form_button(at, "儲存修改").click().run()
    assert store.count() == 0
    assert at.error[0].value == t("error_missing_reason")
    form_code = next(s for s in at.selectbox if s.key and s.key.startswith("final_code_"))
    form_code.set_value("4.6.1" if current != "4.6.1" else "4.1.2")
    next(t for t in at.text_input if t.key and t.key.startswith("reason_")).input("描述為產線瑕疵檢測")
    _form_button(at, "儲存修改").click().run()
    assert store.count() == 1 and store.history()[0].action == "change_code"
    assert store.history()[0].reason == "描述為產線瑕疵檢測"


def _shown_case(at) -> str:
    texts = [m.value for m in at.markdown]
    return next(d for d in REGISTRY["description"] if any(d in t for t in texts))


def test_skip_keeps_nothing_and_shows_the_next_case(queue):
    at, store = queue
    before = _shown_case(at)
    _form_button(at, "略過").click().run()
    assert store.count() == 0 and not at.exception
    assert _shown_case(at) != before


def test_summary_tab_offers_the_html_and_the_audit_trail(queue):
    at, _ = queue
    labels = [b.label for b in at.get("download_button")]
    assert {"下載摘要（HTML）", "下載重新分類結果（CSV）"} <= set(labels)
