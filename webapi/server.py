"""HTTP API for the registry's own systems: `make api`, or `uvicorn webapi.server:app`.

A thin adapter like the CLI and the page: one Classifier per process (loaded in the background at
start-up; `/readyz` says when), the same JSON record as `classify --json`, and every problem
answered as a 4xx JSON error in both languages that says what was expected, what was found and
how to fix it. Nothing ever answers with a traceback.
"""

from __future__ import annotations

import hmac
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from classifier.errors import ClassifierError, InputError
from classifier.files.batch import classify_texts
from classifier.files.output import prediction_record
from classifier.files.tables import TEXT_COLUMNS, pick_column, read_table
from classifier.messages import error_text, t

from .ratelimit import RateLimiter

log = logging.getLogger("webapi")
WARM_UP_TEXT = "我們的產品是基於人臉辨識的員工打卡系統"


@dataclass(frozen=True)
class Limits:
    """Request limits; each can be set from the environment (see README › Deploying)."""

    max_body_bytes: int = 20 * 1024 * 1024
    max_text_chars: int = 20_000
    max_batch: int = 1_000
    rate_per_minute: int = 600  # per client, for read endpoints; 0 turns the limit off

    @classmethod
    def from_env(cls) -> Limits:
        env = os.environ
        base = cls()
        return cls(
            max_body_bytes=int(env.get("AIREG_API_MAX_BYTES", base.max_body_bytes)),
            max_text_chars=int(env.get("AIREG_API_MAX_CHARS", base.max_text_chars)),
            max_batch=int(env.get("AIREG_API_MAX_BATCH", base.max_batch)),
            rate_per_minute=int(env.get("AIREG_API_RATE", base.rate_per_minute)),
        )


class ApiError(Exception):
    """An answer other than 200: status, a catalogue key and its values."""

    def __init__(self, status: int, code: str, key: str | None = None, headers: dict | None = None, **values):
        super().__init__(code)
        self.status, self.code, self.key, self.values, self.headers = status, code, key or f"api_{code}", values, headers


def _error_body(code: str, zh: str, en: str, lang: str) -> dict:
    return {"error": {"code": code, "message": en if lang == "en" else zh, "message_zh": zh, "message_en": en}}


def _catalogue_error(code: str, key: str, lang: str, **values) -> dict:
    """An error body whose two messages are one catalogue entry."""
    return _error_body(code, t(key, "zh", **values), t(key, "en", **values), lang)


def _input_error(exc: InputError, lang: str) -> dict:
    return _error_body(exc.reason or "bad_input", error_text(exc, "zh", surface="api"),
                       error_text(exc, "en", surface="api"), lang)


def _record(classifier, prediction, top_k: int, lang: str) -> dict:
    record = prediction_record(prediction, classifier.taxonomy, classifier.versions, lang)
    record["suggestions"] = record["suggestions"][:top_k]
    return record


def _lang_of(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


class ClassifyRequest(BaseModel):
    text: str = Field(description="the product or service description (zh-TW, English or Simplified)")
    top_k: int = Field(5, ge=1, le=87, description="how many candidate items to return")
    lang: Literal["zh", "en"] = Field("zh", description="language of messages and labels")


class BatchRequest(BaseModel):
    texts: list = Field(description="descriptions, one per row; a row that cannot be classified gets an error")
    top_k: int = Field(3, ge=1, le=87)
    lang: Literal["zh", "en"] = "zh"


class Service:
    """The one Classifier of this process, loaded once, and one worker thread that runs it.

    Requests that arrive together are classified together: the worker takes every waiting request
    (up to ``MICRO_BATCH`` texts) into one call, which encodes them as one batch. That is both the
    lock (only the worker touches the model) and most of the throughput under concurrent load.
    """

    MICRO_BATCH = 32

    def __init__(self, load: Callable[[], object]):
        self._load = load
        self._ready = threading.Event()
        self._jobs: queue.Queue = queue.Queue()
        self.classifier = None
        self.failure: str = ""

    def start(self) -> None:
        threading.Thread(target=self._run, name="classifier-worker", daemon=True).start()

    def _load_once(self) -> None:
        try:
            classifier = self._load()
            # The first answer of each path pays for its lazy set-up (the model's session, jieba); not a
            # user's request. The warm-up text alone would be answered by the first pass.
            for path in ("full", "first_pass"):
                classifier.classify(WARM_UP_TEXT, path=path)
            self.classifier = classifier
        except Exception as exc:  # noqa: BLE001 - reported by /readyz, never raised into a request
            self.failure = " ".join(str(exc).split())[:300]
            log.error("classifier failed to load: %s", self.failure)
        finally:
            self._ready.set()

    def _run(self) -> None:
        self._load_once()
        while self.classifier is not None:
            jobs = [self._jobs.get()]
            size = len(jobs[0][0])
            while size < self.MICRO_BATCH:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                jobs.append(job)
                size += len(job[0])
            texts = [text for job_texts, _ in jobs for text in job_texts]
            try:
                results = classify_texts(self.classifier, texts)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting requests, the worker lives on
                for _, future in jobs:
                    future.set_exception(exc)
                continue
            start = 0
            for job_texts, future in jobs:
                future.set_result(results[start:start + len(job_texts)])
                start += len(job_texts)

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self.classifier is not None

    def get(self):
        if not self.ready:
            raise ApiError(503, "not_ready", headers={"Retry-After": "5"})
        return self.classifier

    def classify(self, texts: list):
        classifier = self.get()
        future: Future = Future()
        self._jobs.put((list(texts), future))
        return classifier, future.result()


def _default_loader():
    from classifier.engine.pipeline import Classifier

    return Classifier.load()


def require_api_key(x_api_key: Annotated[str | None, Header()] = None) -> str:
    """For write endpoints (none yet; decision recording will need it): a key from AIREG_API_KEYS."""
    keys = [k.strip() for k in os.environ.get("AIREG_API_KEYS", "").split(",") if k.strip()]
    if not keys or not x_api_key or not any(hmac.compare_digest(x_api_key, k) for k in keys):
        raise ApiError(401, "api_key", headers={"WWW-Authenticate": "X-API-Key"})
    return x_api_key


def create_app(load: Callable[[], object] = _default_loader, limits: Limits | None = None) -> FastAPI:
    limits = limits or Limits.from_env()
    service = Service(load)
    limiter = RateLimiter(limits.rate_per_minute)

    @asynccontextmanager
    async def lifespan(_app):
        service.start()
        yield

    app = FastAPI(title="AI 技術服務能量登錄分類 API / AI service registry classifier", version="1",
                  lifespan=lifespan,
                  description="Suggest the registry sub-item (小項) for AI service descriptions, with reasons "
                              "and the FAQ rulings that apply. Errors come in zh-TW and English.")
    app.state.service = service
    app.state.limits = limits

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return JSONResponse(_catalogue_error(exc.code, exc.key, _lang_of(request), **exc.values),
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError):
        return JSONResponse(_input_error(exc, _lang_of(request)), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg', '')}"
                             for e in exc.errors())[:500]
        return JSONResponse(_catalogue_error("bad_request", "api_bad_request", _lang_of(request), problems=problems),
                            status_code=422)

    @app.exception_handler(ClassifierError)
    async def classifier_error(request: Request, exc: ClassifierError):
        log.error("classifier error: %s", exc)
        return JSONResponse(_catalogue_error("unavailable", "api_unavailable", _lang_of(request)), status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(_catalogue_error("internal", "api_internal", _lang_of(request)), status_code=500)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        """Body size before anything is read, and the per-client rate for read endpoints."""
        lang = _lang_of(request)
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > limits.max_body_bytes):
            return JSONResponse(_catalogue_error("too_large", "api_too_large", lang, limit=_mb(limits.max_body_bytes)),
                                status_code=413)
        if request.url.path.startswith("/v1/"):
            client = request.headers.get("x-api-key") or (request.client.host if request.client else "unknown")
            wait = limiter.take(client)
            if wait:
                return JSONResponse(_catalogue_error("rate_limited", "api_rate", lang, seconds=wait), status_code=429,
                                    headers={"Retry-After": str(wait)})
        return await call_next(request)

    def _check_text(text: object, position: int | None = None) -> None:
        if isinstance(text, str) and len(text) > limits.max_text_chars:
            raise ApiError(413, "text_too_long", limit=limits.max_text_chars, found=len(text),
                           row=1 if position is None else position + 1)

    def _rows(classifier, results, top_k: int, lang: str) -> list[dict]:
        return [{"row": i, **(_input_error(r, lang) if isinstance(r, InputError) else _record(classifier, r, top_k, lang))}
                for i, r in enumerate(results)]

    @app.post("/v1/classify", summary="Classify one description")
    def classify(body: ClassifyRequest) -> dict:
        _check_text(body.text)
        classifier, (result,) = service.classify([body.text])
        if isinstance(result, InputError):
            raise result
        return _record(classifier, result, body.top_k, body.lang)

    @app.post("/v1/classify/batch", summary="Classify up to 1,000 descriptions, as JSON or a CSV/XLSX upload")
    async def classify_batch(request: Request) -> dict:
        kind = request.headers.get("content-type", "")
        if kind.startswith("multipart/form-data"):
            form = await request.form()
            upload, text_column = form.get("file"), form.get("text_column") or None
            top_k, lang = int(form.get("top_k") or 3), "en" if form.get("lang") == "en" else "zh"
            if upload is None or not hasattr(upload, "read"):
                raise ApiError(422, "no_file")
            frame = read_table(await upload.read(), upload.filename or "upload.csv")
            texts = frame[pick_column(frame, text_column, TEXT_COLUMNS, "text")].tolist()
        else:
            try:
                body = BatchRequest.model_validate_json(await request.body())
            except ValueError as exc:
                raise RequestValidationError(getattr(exc, "errors", lambda: [])()) from None
            texts, top_k, lang = body.texts, body.top_k, body.lang
        if len(texts) > limits.max_batch:
            raise ApiError(413, "batch_too_large", limit=limits.max_batch, found=len(texts))
        for position, text in enumerate(texts):
            _check_text(text, position)
        classifier, results = await _in_thread(service.classify, texts)
        return {"rows": _rows(classifier, results, top_k, lang), "count": len(results), **classifier.versions}

    @app.get("/v1/taxonomy", summary="The 4 / 23 / 87 taxonomy")
    def taxonomy() -> dict:
        clf = service.get()
        return {"version": clf.taxonomy.version, "items": [
            {"code": i.code, "name": i.name, "name_en": i.name_en, "path": i.path, "definition": i.definition,
             "keywords": list(i.keywords), "subcategory": i.subcategory_code, "category": i.category_code}
            for i in clf.taxonomy.items]}

    @app.get("/v1/rulings", summary="The 23 FAQ rulings")
    def rulings() -> dict:
        clf = service.get()
        return {"rulings": [{"faq": r.faq, "question": r.question, "answer": r.answer, "codes": list(r.codes),
                             "verdict": r.verdict, "rule_ids": list(r.rule_ids)} for r in clf.rulings]}

    @app.get("/healthz", summary="The process is up")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="The model is loaded and answers")
    def readyz():
        if service.ready:
            return {"status": "ready", **service.classifier.versions}
        body = {"status": "failed" if service.failure else "loading"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    return app


async def _in_thread(func, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


# Cheap: the model loads when the server starts (lifespan), not on import.
app = create_app()
