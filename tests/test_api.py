"""The HTTP API with FastAPI's TestClient (stand-in encoder), and once against a real uvicorn."""

import io
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from classifier.messages import t
from classifier.settings import PROJECT_ROOT
from webapi.server import ApiError, Limits, create_app, require_api_key


def _client(stub_classifier, **limits) -> TestClient:
    app = create_app(load=lambda: stub_classifier, limits=Limits(**{"rate_per_minute": 0, **limits}))
    client = TestClient(app, raise_server_exceptions=False)
    client.__enter__()
    for _ in range(200):
        if client.get("/readyz").status_code == 200:
            break
        time.sleep(0.02)
    return client


@pytest.fixture(scope="module")
def client(stub_classifier):
    c = _client(stub_classifier, max_text_chars=500, max_batch=5, max_body_bytes=64_000)
    yield c
    c.__exit__(None, None, None)


def _is_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"]
    assert "Traceback" not in response.text
    return error


def test_classify_returns_the_cli_json_record(client, stub_classifier):
    from classifier.files.output import prediction_record

    r = client.post("/v1/classify", json={"text": "我們的產品是基於人臉辨識的員工打卡系統", "top_k": 3})
    assert r.status_code == 200
    data = r.json()
    expected = prediction_record(stub_classifier.classify("我們的產品是基於人臉辨識的員工打卡系統"),
                                 stub_classifier.taxonomy, stub_classifier.versions)
    assert data["code"] == expected["code"] and data["confidence"] == expected["confidence"]
    assert set(data) == set(expected) and len(data["suggestions"]) == 3
    assert {"model_version", "taxonomy_version", "rulings", "follow_up", "precedents", "needs_review"} <= set(data)


def test_classify_in_english(client):
    data = client.post("/v1/classify", json={"text": "僅以RFID感應卡做門禁", "lang": "en"}).json()
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in r["label"]) for r in data["review_reasons"])


@pytest.mark.parametrize("body, status, code", [
    ({"text": "   "}, 422, "empty_text"),
    ({"text": "!!!???"}, 422, "symbols_only"),
    ({"text": 42}, 422, "bad_request"),
    ({}, 422, "bad_request"),
    ({"text": "人臉辨識", "top_k": 0}, 422, "bad_request"),
    ({"text": "人臉辨識", "lang": "fr"}, 422, "bad_request"),
    ({"text": "人" * 501}, 413, "text_too_long"),
])
def test_bad_classify_requests_are_4xx_in_both_languages(client, body, status, code):
    _is_error(client.post("/v1/classify", json=body), status, code)


def test_malformed_json_and_oversized_bodies(client):
    _is_error(client.post("/v1/classify", content=b"{not json", headers={"content-type": "application/json"}),
              422, "bad_request")
    error = _is_error(client.post("/v1/classify/batch", content=b"x" * 70_000,
                                  headers={"content-type": "application/json"}), 413, "too_large")
    assert "MB" in error["message_en"] or "0 MB" in error["message_zh"]


def test_error_language_follows_the_query(client):
    zh = client.post("/v1/classify", json={"text": "  "}).json()["error"]
    en = client.post("/v1/classify?lang=en", json={"text": "  "}).json()["error"]
    assert zh["message"] == t("error_empty_text") and en["message"] == t("error_empty_text", "en")


def test_batch_keeps_order_and_gives_an_error_per_row(client):
    texts = ["以人臉辨識進行員工打卡", "", 7, "以深度學習檢測PCB瑕疵"]
    data = client.post("/v1/classify/batch", json={"texts": texts}).json()
    assert data["count"] == 4 and [r["row"] for r in data["rows"]] == [0, 1, 2, 3]
    assert data["rows"][1]["error"]["code"] == "empty_text" and data["rows"][2]["error"]["code"] == "not_text"
    assert data["rows"][0]["code"] and data["rows"][3]["code"]
    _is_error(client.post("/v1/classify/batch", json={"texts": ["x"] * 6}), 413, "batch_too_large")
    _is_error(client.post("/v1/classify/batch", json={"texts": "not a list"}), 422, "bad_request")


def test_batch_takes_a_csv_or_xlsx_upload(client):
    frame = pd.DataFrame({"id": ["a", "b"], "說明": ["以人臉辨識進行員工打卡", "智慧客服聊天機器人"]})
    csv = frame.to_csv(index=False).encode("cp950")
    data = client.post("/v1/classify/batch", files={"file": ("in.csv", csv, "text/csv")}).json()
    assert [r["row"] for r in data["rows"]] == [0, 1] and all(r["code"] for r in data["rows"])
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    data = client.post("/v1/classify/batch", files={"file": ("in.xlsx", buffer.getvalue())},
                       data={"text_column": "說明", "lang": "en"}).json()
    assert data["count"] == 2
    error = _is_error(client.post("/v1/classify/batch", files={"file": ("in.csv", b"id,desc\n1,x\n")}),
                      422, "missing_column")
    assert "text_column" in error["message_en"]
    _is_error(client.post("/v1/classify/batch", files={"other": ("in.csv", b"a")}), 422, "no_file")


def test_taxonomy_rulings_and_health(client):
    items = client.get("/v1/taxonomy").json()["items"]
    assert len(items) == 87 and all(isinstance(i["code"], str) for i in items)
    assert len(client.get("/v1/rulings").json()["rulings"]) == 23
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    assert client.get("/docs").status_code == 200 and "/v1/classify" in client.get("/openapi.json").text


def test_not_ready_until_the_model_is_loaded(stub_classifier):
    gate = __import__("threading").Event()

    def slow():
        gate.wait(10)
        return stub_classifier

    with TestClient(create_app(load=slow, limits=Limits(rate_per_minute=0)), raise_server_exceptions=False) as c:
        assert c.get("/readyz").status_code == 503 and c.get("/healthz").status_code == 200
        _is_error(c.post("/v1/classify", json={"text": "人臉辨識打卡"}), 503, "not_ready")
        gate.set()


def test_a_failed_load_is_reported_not_raised():
    def broken():
        raise RuntimeError("index missing")

    with TestClient(create_app(load=broken, limits=Limits(rate_per_minute=0)), raise_server_exceptions=False) as c:
        for _ in range(100):
            if c.get("/readyz").json()["status"] != "loading":
                break
            time.sleep(0.02)
        assert c.get("/readyz").json()["status"] == "failed"
        _is_error(c.post("/v1/classify", json={"text": "人臉辨識打卡"}), 503, "not_ready")


def test_read_endpoints_are_rate_limited_per_client(stub_classifier):
    c = _client(stub_classifier, rate_per_minute=30)  # a burst of 3
    codes = [c.get("/v1/rulings").status_code for _ in range(6)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    limited = c.get("/v1/rulings")
    assert limited.headers["retry-after"].isdigit() and limited.json()["error"]["code"] == "rate_limited"
    assert c.get("/v1/rulings", headers={"x-api-key": "another-client"}).status_code == 200
    assert c.get("/healthz").status_code == 200  # probes are never limited
    c.__exit__(None, None, None)


def test_write_endpoints_need_a_key(monkeypatch):
    monkeypatch.setenv("AIREG_API_KEYS", "k-one, k-two")
    assert require_api_key("k-two") == "k-two"
    for key in (None, "", "k-three"):
        with pytest.raises(ApiError) as exc:
            require_api_key(key)
        assert exc.value.status == 401
    monkeypatch.delenv("AIREG_API_KEYS")
    with pytest.raises(ApiError):
        require_api_key("k-one")  # no keys configured: nothing is writable


def test_concurrent_requests_are_answered_in_full(client):
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"以人臉辨識進行第{i}號門禁打卡" for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda s: client.post("/v1/classify", json={"text": s}).json(), texts))
    assert [a["text"] for a in answers] == texts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_uvicorn_serves_the_api(stub_settings, stub_classifier):
    port = _free_port()
    env = {**__import__("os").environ, "AIREG_MODELS_DIR": str(stub_settings.models_dir),
           "AIREG_CACHE_DIR": str(stub_settings.cache_dir), "AIREG_MODEL": "hashing-512"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "webapi.server:app", "--port", str(port)],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(f"{base}/v1/classify", method="POST", headers={"content-type": "application/json"},
                                         data=json.dumps({"text": "我們的產品是基於人臉辨識的員工打卡系統"}).encode())
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.status == 200 and json.loads(r.read())["code"]
        bad = urllib.request.Request(f"{base}/v1/classify", method="POST", headers={"content-type": "application/json"},
                                     data=b'{"text": ""}')
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(bad, timeout=30)
        assert exc.value.code == 422 and json.loads(exc.value.read())["error"]["code"] == "empty_text"
    finally:
        server.terminate()
        server.wait(10)
