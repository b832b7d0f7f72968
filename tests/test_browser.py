"""End to end: `streamlit run app.py` on localhost, driven in headless Chromium, real model."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest

from classifier.settings import PROJECT_ROOT, Settings

REAL_CACHE = Settings().cache_dir  # where `make` put the model, whatever the environment says


pytestmark = [pytest.mark.browser, pytest.mark.model]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def staff_files(tmp_path_factory):
    """A private accounts file with one reviewer, and a private decision store."""
    from classifier.review.accounts import AccountStore

    root = tmp_path_factory.mktemp("staff")
    AccountStore(root / "accounts.sqlite").add("wang.mei", "reviewer password", "reviewer")
    return root / "accounts.sqlite", root / "decisions.sqlite"


@pytest.fixture(scope="module")
def server(staff_files):
    port = _free_port()
    accounts, decisions = staff_files
    env = {**os.environ, "AIREG_MODELS_DIR": str(PROJECT_ROOT / "models"), "AIREG_DATA_DIR": str(PROJECT_ROOT / "data"),
           "AIREG_CACHE_DIR": str(REAL_CACHE), "AIREG_ACCOUNTS": str(accounts), "AIREG_DECISIONS": str(decisions)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1800})
        tab.goto(server)
        tab.get_by_text("AI 技術服務能量登錄｜分類助手").wait_for(timeout=60_000)
        yield tab
        browser.close()


def test_face_recognition_punch_clock_shows_4_1_2(page, tmp_path):
    page.locator("textarea").first.fill("我們的產品是基於人臉辨識的員工打卡系統")
    page.get_by_role("button", name="分類", exact=True).click()
    page.get_by_text("4.1.2 生物特徵識別應用").first.wait_for(timeout=120_000)
    page.get_by_text("FAQ 8").first.wait_for(timeout=10_000)
    page.get_by_text("建議申請項目：4.1.2").first.wait_for(timeout=30_000)
    shot = tmp_path / "suggest.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_big5_upload_shows_the_results_table(page, tmp_path):
    source = tmp_path / "registry_big5.csv"
    pd.DataFrame({"id": ["A1", "A2", "A3"],
                  "text": ["人臉辨識門禁與打卡", "以AI影像檢測晶圓瑕疵", "我們只做RFID無人店"]}).to_csv(
        source, index=False, encoding="cp950")
    page.get_by_text("批次分類").first.click()
    page.locator("input[type=file]").set_input_files(str(source))
    page.get_by_role("button", name="開始分類").click()
    page.get_by_text("完成：3 列").wait_for(timeout=120_000)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=20_000)
    shot = tmp_path / "batch.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_staff_sign_in_and_a_decision_under_the_account(page, staff_files, tmp_path):
    from classifier.review.decisions import DecisionStore

    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_text("審查佇列").count() == 0  # anonymous: no way in
    assert page.get_by_text("下載審查紀錄").count() == 0
    sidebar.get_by_text("審查人員登入").click()
    sidebar.get_by_label("帳號").fill("wang.mei")
    sidebar.get_by_label("密碼").fill("reviewer password")
    sidebar.get_by_role("button", name="登入").click()
    sidebar.get_by_text("已登入：wang.mei").wait_for(timeout=30_000)
    sidebar.get_by_text("審查佇列").first.click()
    registry = tmp_path / "registry.csv"
    pd.DataFrame({"applicant": ["甲公司"], "description": ["以人臉辨識進行員工打卡與門禁"],
                  "registered_code": ["4.1.2"]}).to_csv(registry, index=False)
    page.get_by_text("上傳登錄資料 CSV 或 XLSX").wait_for(timeout=30_000)  # the queue page, not the last one
    page.locator("input[type=file]").set_input_files(str(registry))
    page.get_by_role("button", name="重新分類").click()
    page.get_by_text("案件 1／1").wait_for(timeout=120_000)
    page.get_by_role("button", name="接受建議").click()
    page.get_by_text("全部案件都已審查完成").wait_for(timeout=60_000)
    trail = DecisionStore(staff_files[1]).to_frame()
    assert trail["account"].tolist() == ["wang.mei"] and trail["reviewer"].tolist() == ["wang.mei"]
