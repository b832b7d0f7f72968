"""Load check for the HTTP API: N concurrent clients for S seconds against a real uvicorn on localhost.

Run by `make bench` (and on its own: `.venv/bin/python scripts/load_check.py`). The server is a
separate process with its own copy of the model, as deployed; the per-client rate limit is off
because every client here shares one address.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, timeout: float = 120) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the API on port {port} was not ready within {timeout} s")


def load_check(texts: list[str], *, clients: int = 20, seconds: float = 30.0) -> dict:
    port = _free_port()
    env = {**os.environ, "AIREG_API_RATE": "0"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "webapi.server:app", "--port", str(port),
                               "--log-level", "warning"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ready_s = _wait_ready(port)
        latencies: list[float] = []
        errors: list[str] = []
        counter = iter(range(10**9))
        lock = threading.Lock()
        stop = time.perf_counter() + seconds

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while time.perf_counter() < stop:
                with lock:
                    i = next(counter)
                # Unique texts: the server's embedding cache must not answer for the model.
                body = json.dumps({"text": f"{texts[i % len(texts)]}（第 {i} 件）"}).encode()
                began = time.perf_counter()
                try:
                    conn.request("POST", "/v1/classify", body=body, headers={"content-type": "application/json"})
                    response = conn.getresponse()
                    payload = response.read()
                    ok = response.status == 200 and b'"code"' in payload
                except OSError as exc:
                    ok, payload = False, str(exc).encode()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                elapsed = time.perf_counter() - began
                with lock:
                    (latencies if ok else errors).append(elapsed if ok else payload[:200].decode(errors="replace"))

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    ordered = sorted(latencies)
    return {
        "clients": clients, "seconds": seconds, "requests": len(latencies) + len(errors), "errors": len(errors),
        "error_samples": errors[:3], "p50_ms": round(1000 * statistics.median(ordered), 1) if ordered else None,
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else None,
        "requests_per_s": round(len(latencies) / wall, 2), "server_ready_s": round(ready_s, 1),
    }


if __name__ == "__main__":
    import pandas as pd

    dev = pd.read_csv(PROJECT_ROOT / "data" / "dev_eval.csv", dtype=str, keep_default_na=False)
    print(json.dumps(load_check(dev["text"].tolist()), indent=2, ensure_ascii=False))
