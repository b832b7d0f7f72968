"""Save and load the built index in models/ with a manifest that vouches for it."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import joblib

from classifier.engine.lexical import TOKENIZER_VERSION
from classifier.engine.model_store import sha256_file
from classifier.engine.normalise import NORMALISER_VERSION
from classifier.errors import ArtifactError

INDEX_FILE = "index.joblib"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1
REBUILD = "python -m classifier build"  # what `make build` runs
LIBRARIES = ("sentence-transformers", "scikit-learn", "jieba", "numpy", "torch", "transformers", "opencc", "pandas")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def data_hashes(paths: dict[str, Path]) -> dict[str, str]:
    return {name: sha256_file(path) if path.is_file() else "missing" for name, path in sorted(paths.items())}


def _atomic_write(path: Path, writer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save(state: dict, models_dir: Path, *, model: str, inputs: dict[str, Path], extra: dict) -> dict:
    """Write the index, then the manifest that names its hash (the manifest is written last)."""
    index_path = models_dir / INDEX_FILE
    _atomic_write(index_path, lambda p: joblib.dump(state, p, compress=3))
    manifest = {
        "format": FORMAT_VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "normaliser_version": NORMALISER_VERSION,
        "tokenizer_version": TOKENIZER_VERSION,
        "index_file": INDEX_FILE,
        "index_sha256": sha256_file(index_path),
        "data": data_hashes(inputs),
        "libraries": library_versions(),
        **extra,
    }
    _atomic_write(models_dir / MANIFEST_FILE,
                  lambda p: p.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"))
    return manifest


def read_manifest(models_dir: Path) -> dict:
    path = models_dir / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactError(f"Expected a built index in {models_dir}; found no {MANIFEST_FILE}. Run `{REBUILD}` to build it.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{path} is not valid JSON ({exc}); the index is damaged. Run `{REBUILD}` to rebuild it.") from exc


def check_manifest(manifest: dict, *, model: str | None, inputs: dict[str, Path], fingerprint: str | None = None) -> None:
    """Refuse an index built from other data, another normaliser or another model (or model file)."""
    problems = []
    if manifest.get("format") != FORMAT_VERSION:
        problems.append(f"index format {manifest.get('format')!r}, expected {FORMAT_VERSION}")
    if manifest.get("normaliser_version") != NORMALISER_VERSION:
        problems.append(f"normaliser version {manifest.get('normaliser_version')!r}, expected {NORMALISER_VERSION!r}")
    if manifest.get("tokenizer_version", "1") != TOKENIZER_VERSION:
        problems.append(f"tokenizer version {manifest.get('tokenizer_version', '1')!r}, expected {TOKENIZER_VERSION!r}")
    if model is not None and manifest.get("model") != model:
        problems.append(f"built with model {manifest.get('model')!r}, but {model!r} is configured")
    elif fingerprint is not None and manifest.get("model_fingerprint", fingerprint) != fingerprint:
        problems.append(f"built with model file {manifest.get('model_fingerprint')!r}, but {fingerprint!r} is installed")
    current = data_hashes(inputs)
    recorded = manifest.get("data", {})
    changed = sorted(name for name in current if recorded.get(name) != current[name])
    if changed:
        problems.append(f"data changed since the build: {', '.join(changed)}")
    if problems:
        raise ArtifactError("The index in models/ is stale: " + "; ".join(problems) + f". Run `{REBUILD}` to rebuild it.")


def load(models_dir: Path, *, model: str | None, inputs: dict[str, Path],
         fingerprint: str | None = None) -> tuple[dict, dict]:
    """Load the index only when the manifest vouches for it, byte for byte."""
    manifest = read_manifest(models_dir)
    check_manifest(manifest, model=model, inputs=inputs, fingerprint=fingerprint)
    index_path = models_dir / manifest.get("index_file", INDEX_FILE)
    if not index_path.is_file():
        raise ArtifactError(f"Expected {index_path}; it is missing. Run `{REBUILD}` to rebuild it.")
    found = sha256_file(index_path)
    if found != manifest.get("index_sha256"):
        raise ArtifactError(
            f"{index_path.name} does not match its manifest (expected sha256 {manifest.get('index_sha256')}, "
            f"found {found}); it is damaged or was replaced and will not be loaded. Run `{REBUILD}` to rebuild it."
        )
    try:
        state = joblib.load(index_path)
    except Exception as exc:  # noqa: BLE001 - any failure here means a damaged file
        raise ArtifactError(f"{index_path.name} could not be read ({exc}). Run `{REBUILD}` to rebuild it.") from exc
    return state, manifest
