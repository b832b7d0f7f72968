"""Re-classify the whole registry: compare registered codes with suggestions and rank for review."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from classifier.engine.pipeline import Classifier
from classifier.errors import InputError
from classifier.files.batch import classify_frame
from classifier.files.tables import read_table, require_column, write_table
from classifier.messages import VERDICT_SHORT_ZH
from classifier.review.crosswalk import Crosswalk
from classifier.taxonomy.loaders import code_key

TEXT_COLUMNS = ("description", "text", "描述", "說明", "服務說明")
CODE_COLUMNS = ("registered_code", "registered_codes", "code", "登錄項目", "登錄代碼")
AGREEMENTS = ("same_item", "same_subcategory", "different", "no_registered_code")
REGISTRY_COLUMNS = (
    "suggested_code", "suggested_name", "registered_resolved", "registered_unresolved", "agreement",
    "verdict", "rule_ids", "confidence", "needs_review", "review_priority", "top3", "reasons", "follow_up",
    "error", "model_version", "taxonomy_version",
)


def pick_column(frame: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    if wanted:
        require_column(frame, wanted, what)
        return wanted
    for name in candidates:
        if name in frame.columns:
            return name
    raise InputError(
        f"Expected a {what} column (one of {list(candidates)}); found columns {list(frame.columns)}. "
        f"Name it with --{what}-column.", reason="missing_column", column="/".join(candidates),
        found=list(frame.columns),
    )


def agreement(registered: tuple[str, ...], suggested: str) -> str:
    if not registered:
        return "no_registered_code"
    if not suggested:
        return "different"
    if suggested in registered:
        return "same_item"
    sub = suggested.rsplit(".", 1)[0]
    if any(code.rsplit(".", 1)[0] == sub for code in registered):
        return "same_subcategory"
    return "different"


def review_priority(confidence: float, needs_review: bool, verdict: str, agreed: str, error: bool) -> float:
    """Higher first: disagreement with the register, low confidence, conditional or failed rows."""
    if error:
        return 1.0
    score = 0.45 * (1.0 - confidence)
    score += {"different": 0.35, "same_subcategory": 0.15, "no_registered_code": 0.1}.get(agreed, 0.0)
    score += 0.1 if needs_review else 0.0
    score += {"conditional": 0.1, "ineligible": 0.05}.get(verdict, 0.0)
    return round(min(score, 0.99), 4)


def reclassify_frame(classifier: Classifier, frame: pd.DataFrame, crosswalk: Crosswalk, *,
                     text_column: str | None = None, code_column: str | None = None,
                     progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Every input column, in input order, plus the suggestion and how it compares with the register."""
    text_column = pick_column(frame, text_column, TEXT_COLUMNS, "text")
    code_column = pick_column(frame, code_column, CODE_COLUMNS, "code")
    classified = classify_frame(classifier, frame, text_column=text_column, progress=progress)
    versions = classifier.versions
    rows = []
    for _, row in classified.iterrows():
        resolved = crosswalk.resolve(frame.at[row.name, code_column])
        failed = bool(row["error"])
        agreed = agreement(resolved.codes, "" if failed else row["code"])
        confidence = float(row["score"]) if not failed else 0.0
        rows.append({
            "suggested_code": row["code"], "suggested_name": row["name"],
            "registered_resolved": ";".join(resolved.codes), "registered_unresolved": ";".join(resolved.unresolved),
            "agreement": agreed, "verdict": row["verdict"], "rule_ids": row["rule_ids"],
            "confidence": row["score"], "needs_review": row["needs_review"],
            "review_priority": review_priority(confidence, bool(row["needs_review"]), row["verdict"], agreed, failed),
            "top3": row["top3"], "reasons": row["reasons"], "follow_up": row["follow_up"], "error": row["error"],
            **versions,
        })
    added = pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS), index=frame.index)
    clash = [c for c in REGISTRY_COLUMNS if c in frame.columns]
    return pd.concat([frame.rename(columns={c: f"input_{c}" for c in clash}), added], axis=1)


@dataclass(frozen=True)
class RegistrySummary:
    rows: int
    agreement: dict[str, int]
    verdicts: dict[str, int]
    suggested_by_category: dict[str, int]
    registered_by_category: dict[str, int]
    matrix: pd.DataFrame = field(compare=False)  # registered 分項 × suggested 分項
    top_disagreements: list[tuple[str, str, int]] = field(default_factory=list)


def summarise(result: pd.DataFrame) -> RegistrySummary:
    ok = result[result["error"] == ""]
    registered_first = ok["registered_resolved"].map(lambda s: s.split(";")[0] if s else "")

    def sub(code: str) -> str:
        return code.rsplit(".", 1)[0] if code else "（無）"

    matrix = pd.crosstab(registered_first.map(sub), ok["suggested_code"].map(sub),
                         rownames=["registered"], colnames=["suggested"])
    matrix = matrix.loc[sorted(matrix.index, key=code_key), sorted(matrix.columns, key=code_key)]
    pairs = (pd.DataFrame({"registered": registered_first, "suggested": ok["suggested_code"]})
             [ok["agreement"] == "different"].value_counts().head(15))
    return RegistrySummary(
        rows=len(result),
        agreement={a: int((result["agreement"] == a).sum()) for a in AGREEMENTS},
        verdicts={v: int((ok["verdict"] == v).sum()) for v in ("eligible", "conditional", "ineligible")},
        suggested_by_category=ok["suggested_code"].map(lambda c: c.split(".")[0]).value_counts().sort_index().to_dict(),
        registered_by_category=registered_first[registered_first != ""].map(lambda c: c.split(".")[0])
        .value_counts().sort_index().to_dict(),
        matrix=matrix,
        top_disagreements=[(r or "（無）", s, int(n)) for (r, s), n in pairs.items()],
    )


AGREEMENT_ZH = {"same_item": "同一小項", "same_subcategory": "同分項不同小項", "different": "不同分項",
                "no_registered_code": "未登錄代碼"}


def _bars(counts: dict[str, int], colour: str) -> str:
    if not counts:
        return "<p>（無資料）</p>"
    top = max(counts.values()) or 1
    rows = []
    for i, (label, n) in enumerate(counts.items()):
        width = 300 * n / top
        y = i * 26
        rows.append(f'<text x="0" y="{y + 17}" font-size="13">{html.escape(str(label))}</text>'
                    f'<rect x="170" y="{y + 4}" width="{width:.1f}" height="18" fill="{colour}"/>'
                    f'<text x="{176 + width:.1f}" y="{y + 17}" font-size="13">{n}</text>')
    return f'<svg width="560" height="{26 * len(counts) + 6}" role="img">{"".join(rows)}</svg>'


def summary_html(summary: RegistrySummary, *, title: str, versions: dict[str, str], categories: dict[str, str]) -> str:
    """A standalone page: no scripts, no external files, every value escaped."""
    esc = html.escape
    agreement_counts = {AGREEMENT_ZH[k]: v for k, v in summary.agreement.items()}
    suggested = {f"{c} {categories.get(c, '')}": n for c, n in summary.suggested_by_category.items()}
    registered = {f"{c} {categories.get(c, '')}": n for c, n in summary.registered_by_category.items()}
    matrix = summary.matrix
    head = "".join(f"<th>{esc(str(c))}</th>" for c in matrix.columns)
    body = "".join(
        f"<tr><th>{esc(str(r))}</th>" + "".join(
            f'<td class="{"diag" if r == c else ("off" if v else "")}">{v or ""}</td>'
            for c, v in zip(matrix.columns, matrix.loc[r])) + "</tr>"
        for r in matrix.index
    )
    pairs = "".join(f"<tr><td>{esc(r)}</td><td>{esc(s)}</td><td>{n}</td></tr>" for r, s, n in summary.top_disagreements)
    meta = "；".join(f"{esc(k)}：{esc(v)}" for k, v in versions.items())
    return f"""<!doctype html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:"Noto Sans CJK TC","PingFang TC","Microsoft JhengHei",sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:center}}
td.diag{{background:#d9f2d9}}td.off{{background:#fde2e2}}h2{{margin-top:2rem}}</style></head><body>
<h1>{esc(title)}</h1>
<p>共 {summary.rows} 筆。{meta}</p>
<h2>登錄代碼與建議的一致性</h2>{_bars(agreement_counts, "#4c78a8")}
<h2>資格判定</h2>{_bars({VERDICT_SHORT_ZH[k]: v for k, v in summary.verdicts.items()}, "#f58518")}
<h2>各大項筆數（建議）</h2>{_bars(suggested, "#54a24b")}
<h2>各大項筆數（登錄）</h2>{_bars(registered, "#b279a2")}
<h2>分項對照表（列：登錄，欄：建議）</h2><table><tr><th></th>{head}</tr>{body}</table>
<h2>最常見的不一致（登錄 → 建議）</h2><table><tr><th>登錄</th><th>建議</th><th>筆數</th></tr>{pairs}</table>
</body></html>
"""


def run_reclassify(classifier: Classifier, crosswalk: Crosswalk, source: Path, target: Path, *,
                   text_column: str | None = None, code_column: str | None = None, summary_path: Path | None = None,
                   progress_factory: Callable[[int], object] | None = None) -> pd.DataFrame:
    frame = read_table(source)
    bar = progress_factory(len(frame)) if progress_factory else None
    try:
        result = reclassify_frame(classifier, frame, crosswalk, text_column=text_column, code_column=code_column,
                                  progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    write_table(result, target)
    if summary_path is not None:
        page = summary_html(summarise(result), title=f"登錄資料重新分類摘要：{source.name}",
                            versions=classifier.versions, categories=classifier.taxonomy.categories)
        summary_path.write_text(page, encoding="utf-8")
    return result

