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
def server():
    port = _free_port()
    env = {**os.environ, "AIREG_MODELS_DIR": str(PROJECT_ROOT / "models"), "AIREG_DATA_DIR": str(PROJECT_ROOT / "data"),
           "AIREG_CACHE_DIR": str(REAL_CACHE)}
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
