"""Evaluation plots as PNG: coverage–precision, reliability and a confusion view by 分項.

matplotlib is imported inside each function, so importing this module costs nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.evaluation.evaluate import EvalReport
from classifier.taxonomy.loaders import code_key


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name or "Heiti" in f.name]
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk[0], "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def coverage_precision(reports: dict[str, EvalReport], path: Path) -> Path:
    """One curve per system: accept predictions above a confidence threshold."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=120)
    for name, report in reports.items():
        points = sorted(report.coverage, key=lambda p: p.coverage)
        ax.plot([p.coverage for p in points], [p.precision for p in points], marker=".", label=name)
    for target in (0.95, 0.97):
        ax.axhline(target, color="grey", lw=0.7, ls="--")
    ax.set_xlabel("coverage (share accepted automatically)")
    ax.set_ylabel("precision of accepted top-1")
    ax.set_ylim(0.5, 1.005)
    ax.set_xlim(0, 1.01)
    ax.legend(loc="lower left")
    ax.set_title("Coverage against precision (data/dev_eval.csv)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def reliability(report: EvalReport, path: Path) -> Path:
    """Is a confidence of 0.9 right 90% of the time? Bars: accuracy per confidence bin."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.2), dpi=120)
    bins = report.reliability
    centres = [float(b["bin"].split("-")[0]) + 0.05 for b in bins]
    ax.bar(centres, [b["accuracy"] for b in bins], width=0.09, alpha=0.75, label="accuracy in bin")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8, label="perfect calibration")
    ax.scatter([b["confidence"] for b in bins], [b["accuracy"] for b in bins], color="black", s=12, zorder=3,
               label="mean confidence")
    for centre, b in zip(centres, bins):
        ax.text(centre, 0.02, str(b["n"]), ha="center", fontsize=7)
    ax.set_xlabel("confidence")
    ax.set_ylabel("share correct")
    ax.set_title(f"Reliability (ECE {report.expected_calibration_error:.3f})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def confusion_by_subcategory(gold: list[str], predicted: list[str], path: Path) -> Path:
    """Rows: the labelled 分項; columns: the predicted 分項; off-diagonal cells are mistakes."""
    plt = _pyplot()

    def sub(code: str) -> str:
        return code.split(";")[0].rsplit(".", 1)[0]

    labels = sorted({sub(c) for c in gold} | {sub(c) for c in predicted}, key=code_key)
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, predicted):
        matrix[index[sub(g)], index[sub(p)]] += 1
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=120)
    shown = np.where(matrix > 0, np.log1p(matrix), np.nan)
    ax.imshow(shown, cmap="Blues")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if i == j else "crimson")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted 分項")
    ax.set_ylabel("labelled 分項")
    ax.set_title("Confusion by 分項 (red: mistakes)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def threshold_sweep(points: list[dict], chosen: float, sets: list[str], path: Path) -> Path:
    """Top-1 of the default path against rows/s as the first pass's confidence threshold moves;
    the threshold build chose by cross-validation is marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for key in sets:
        speed = [p[key]["rows_per_s"] for p in points]
        top1 = [p[key]["top1"] for p in points]
        line, = ax.plot(speed, top1, marker=".", label=key)
        mark = min(points, key=lambda p: abs(p["threshold"] - chosen))
        ax.scatter([mark[key]["rows_per_s"]], [mark[key]["top1"]], s=80, facecolors="none",
                   edgecolors=line.get_color(), zorder=3)
        ax.annotate(f"{chosen:.2f}", (mark[key]["rows_per_s"], mark[key]["top1"]), textcoords="offset points",
                    xytext=(6, -12), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("rows/s (estimated from each path's measured cost per row)")
    ax.set_ylabel("top-1")
    ax.set_title("First-pass threshold sweep (leftmost: every row to the full model)\n"
                 f"circled: {chosen:.2f}, the threshold build chose by cross-validation")
    ax.title.set_fontsize(9)
    ax.legend(loc="center right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
