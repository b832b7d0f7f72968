"""The evaluation notebook runs from top to bottom, so it never rots."""

import nbformat
import pytest
from nbclient import NotebookClient

from classifier.settings import PROJECT_ROOT, Settings

REAL_CACHE = Settings().cache_dir  # where `make` put the model, whatever the environment says


pytestmark = pytest.mark.model


def test_evaluation_notebook_runs_and_draws_the_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("AIREG_FIGURES_DIR", str(tmp_path))
    monkeypatch.setenv("AIREG_MODELS_DIR", str(PROJECT_ROOT / "models"))
    monkeypatch.setenv("AIREG_CACHE_DIR", str(REAL_CACHE))
    notebook = nbformat.read(PROJECT_ROOT / "notebooks" / "evaluation.ipynb", as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(PROJECT_ROOT)}}).execute()
    for name in ("coverage_precision.png", "reliability.png", "confusion_subcategory.png"):
        assert (tmp_path / name).stat().st_size > 5_000
    outputs = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for o in cell.get("outputs", []))
    assert "top-1:" in outputs
