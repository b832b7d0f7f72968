# One obvious entry point for people and for CI. Everything is installed into .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
INDEX  := models/manifest.json
APP_PORT ?= 8501

.PHONY: run api test lint bench build model demo venv clean browser-deps

venv: $(STAMP)

# torch first: its CPU build is on this machine's disk, a plain `torch` would pull CUDA.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check torch==2.13.0
	$(PIP) install -q --disable-pip-version-check -e ".[app,api,dev]"
	touch $(STAMP)

model: $(STAMP)
	$(PY) -m classifier fetch-model

$(INDEX): $(STAMP) data/taxonomy.csv data/faq_examples.csv data/examples.csv data/ranker.json \
		data/real/real_train.csv data/ruling_examples.csv data/detectors.jsonl classifier/engine/normalise.py \
		classifier/engine/lexical.py classifier/engine/static_model.py classifier/engine/cascade.py
	$(PY) -m classifier fetch-model
	$(PY) -m classifier build

build: $(STAMP)
	$(PY) -m classifier fetch-model
	$(PY) -m classifier build

demo: $(INDEX)
	$(PY) -m classifier classify "我們的產品是基於人臉辨識的員工打卡系統，已導入多家企業"

run: $(INDEX)
	$(PY) -m streamlit run app.py --server.headless true --server.port $(APP_PORT) --browser.gatherUsageStats false

# The HTTP API (docs at /docs). API_HOST=0.0.0.0 to serve beyond this machine, behind a TLS proxy.
API_HOST ?= 127.0.0.1
API_PORT ?= 8000
api: $(INDEX)
	$(PY) -m uvicorn webapi.server:app --host $(API_HOST) --port $(API_PORT) --proxy-headers

test: $(INDEX) browser-deps
	$(PY) -m pytest -q

# The end-to-end test drives Debian's Chromium (Playwright cannot download browsers here);
# CJK fonts make its screenshots readable.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

lint: $(STAMP)
	$(PY) -m ruff check classifier webui webapi tests app.py scripts

bench: $(INDEX)
	$(PY) scripts/bench.py

clean:
	rm -rf models/index.joblib models/manifest.json
