"""Re-classify the whole registry: compare registered codes with suggestions and rank for review."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from classifier.engine.pipeline import Classifier
from classifier.errors import InputError
from classifier.files.batch import classify_texts, duplicate_ids, error_row, joined
from classifier.files.output import joiner, prediction_row, review_text
from classifier.files.tables import (
    APPLICANT_COLUMNS,
    CODE_COLUMNS,
    TEXT_COLUMNS,
    check_folder,
    check_output,
    find_column,
    pick_column,
    read_table,
    write_table,
)
from classifier.messages import t, verdict_label
from classifier.records import Prediction, RuleHit
from classifier.review.crosswalk import Crosswalk
from classifier.taxonomy.loaders import Taxonomy, code_key

AGREEMENTS = ("same_item", "same_subcategory", "different", "no_registered_code")
REGISTRY_COLUMNS = (
    "suggested_code", "suggested_name", "registered_resolved", "registered_names", "registered_unresolved",
    "agreement", "agreement_zh", "verdict", "verdict_zh", "rule_ids", "rulings", "registered_rule_ids",
    "registered_rulings", "confidence", "needs_review", "review_reasons", "review_why", "review_priority", "top3",
    "reasons", "follow_up", "answered_by", "error", "error_code", "warning", "model_version", "taxonomy_version",
)
FIRST_ROWS = 20


@dataclass(frozen=True)
class Columns:
    """The input columns a re-classification read: found by name, or named by the user."""

    text: str
    code: str
    applicant: str | None = None


def pick_columns(frame: pd.DataFrame, text_column: str | None = None, code_column: str | None = None,
                 applicant_column: str | None = None) -> Columns:
    return Columns(
        text=pick_column(frame, text_column, TEXT_COLUMNS, "text"),
        code=pick_column(frame, code_column, CODE_COLUMNS, "code"),
        applicant=(pick_column(frame, applicant_column, APPLICANT_COLUMNS, "applicant") if applicant_column
                   else find_column(frame, APPLICANT_COLUMNS)),
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


def review_priority(confidence: float, needs_review: bool, verdict: str, agreed: str, error: bool,
                    registered_ruling: bool = False) -> float:
    """Higher first: disagreement with the register, rulings on the registered item, low confidence,
    conditional or failed rows."""
    if error:
        return 1.0
    score = 0.45 * (1.0 - confidence)
    score += {"different": 0.35, "same_subcategory": 0.15, "no_registered_code": 0.1}.get(agreed, 0.0)
    score += 0.1 if needs_review else 0.0
    score += 0.1 if registered_ruling else 0.0
    score += {"conditional": 0.1, "ineligible": 0.05}.get(verdict, 0.0)
    return round(min(score, 0.99), 4)


def registered_hits(classifier: Classifier, prediction: Prediction, codes: tuple[str, ...]) -> list[tuple[str, RuleHit]]:
    """Rulings that apply to the registered items (a reseller registered under a core-technology item)."""
    return [(code, hit) for code in codes if code in classifier.taxonomy
            for hit in classifier.rule_hits_for(prediction.normalised, code)]


def _registry_row(classifier: Classifier, result: Prediction | InputError, registered: tuple[str, ...],
                  unresolved: tuple[str, ...], lang: str) -> dict[str, object]:
    names = "；".join(f"{c} {classifier.taxonomy[c].name}" for c in registered if c in classifier.taxonomy)
    common = {"registered_resolved": ";".join(registered), "registered_names": names,
              "registered_unresolved": ";".join(unresolved)}
    if isinstance(result, InputError):
        row = error_row(result, lang)
        agreed = agreement(registered, "")
        return {**row, **common, "suggested_code": "", "suggested_name": "", "agreement": agreed,
                "agreement_zh": t(f"agreement_{agreed}", "zh"), "registered_rule_ids": "", "registered_rulings": "",
                "review_priority": 1.0}
    row = prediction_row(result, lang)
    agreed = agreement(registered, result.code)
    hits = registered_hits(classifier, result, registered)
    reasons = list(result.review_reasons)
    if agreed == "different":
        reasons.append("registered_differs")
    if hits:
        reasons.append("registered_ruling")
    return {
        **row, **common,
        "suggested_code": result.code, "suggested_name": result.best.name,
        "agreement": agreed, "agreement_zh": t(f"agreement_{agreed}", "zh"),
        "registered_rule_ids": ";".join(dict.fromkeys(f"{code}:{h.rule_id}" for code, h in hits)),
        "registered_rulings": joiner(lang).join(
            dict.fromkeys(t("reason_registered_ruling", lang, code=code, faq=h.faq, message=h.message(lang))
                          for code, h in hits)),
        "needs_review": bool(reasons), "review_reasons": ";".join(reasons), "review_why": review_text(reasons, lang),
        "review_priority": review_priority(result.best.confidence, bool(reasons), result.verdict, agreed, False,
                                           bool(hits)),
    }


def reclassify_frame(classifier: Classifier, frame: pd.DataFrame, crosswalk: Crosswalk, *,
                     text_column: str | None = None, code_column: str | None = None,
                     columns: Columns | None = None, progress: Callable[[int], None] | None = None,
                     lang: str = "zh") -> pd.DataFrame:
    """Every input column, in input order, plus the suggestion and how it compares with the register."""
    columns = columns or pick_columns(frame, text_column, code_column)
    results = classify_texts(classifier, frame[columns.text].tolist(), progress=progress)
    rows = []
    for result, cell in zip(results, frame[columns.code].tolist()):
        resolved = crosswalk.resolve(cell)
        rows.append(_registry_row(classifier, result, resolved.codes, resolved.unresolved, lang))
    return joined(frame, rows, REGISTRY_COLUMNS, classifier.versions, duplicate_ids(frame, "id"), lang)


@dataclass(frozen=True)
class RegistrySummary:
    rows: int
    agreement: dict[str, int]
    verdicts: dict[str, int]
    suggested_by_category: dict[str, int]
    registered_by_category: dict[str, int]
    matrix: pd.DataFrame = field(compare=False)  # registered 分項 × suggested 分項
    top_disagreements: list[tuple[str, str, int]] = field(default_factory=list)
    first: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)  # the rows to review first


def summarise(result: pd.DataFrame, *, applicant_column: str | None = None, first_rows: int = FIRST_ROWS) -> RegistrySummary:
    ok = result[result["error"] == ""]
    registered_first = ok["registered_resolved"].map(lambda s: s.split(";")[0] if s else "")

    def sub(code: str) -> str:
        return code.rsplit(".", 1)[0] if code else ""

    matrix = pd.crosstab(registered_first.map(sub), ok["suggested_code"].map(sub),
                         rownames=["registered"], colnames=["suggested"])
    matrix = matrix.loc[sorted(matrix.index, key=code_key), sorted(matrix.columns, key=code_key)]
    pairs = (pd.DataFrame({"registered": registered_first, "suggested": ok["suggested_code"]})
             [ok["agreement"] == "different"].value_counts().head(15))
    flagged = result[result["needs_review"].astype(bool)]
    first = flagged.sort_values("review_priority", ascending=False, kind="stable").head(first_rows)
    applicant = first[applicant_column] if applicant_column and applicant_column in first.columns else ""
    first = pd.DataFrame({
        "row": first.index, "priority": first["review_priority"], "applicant": applicant,
        "registered": first["registered_names"].where(first["registered_names"] != "", first["registered_unresolved"]),
        "suggested": (first["suggested_code"] + " " + first["suggested_name"]).str.strip(),
        "why": [joiner("zh").join(p for p in parts if p) for parts in
                zip(first["review_why"], first["registered_rulings"], first["rulings"], first["error"])],
    })
    return RegistrySummary(
        rows=len(result),
        agreement={a: int((result["agreement"] == a).sum()) for a in AGREEMENTS},
        verdicts={v: int((ok["verdict"] == v).sum()) for v in ("eligible", "conditional", "ineligible")},
        suggested_by_category=ok["suggested_code"].map(lambda c: c.split(".")[0]).value_counts().sort_index().to_dict(),
        registered_by_category=registered_first[registered_first != ""].map(lambda c: c.split(".")[0])
        .value_counts().sort_index().to_dict(),
        matrix=matrix,
        top_disagreements=[(r, s, int(n)) for (r, s), n in pairs.items()],
        first=first,
    )


def _bars(counts: dict[str, int], colour: str, lang: str) -> str:
    if not counts:
        return f"<p>{html.escape(t('summary_none', lang))}</p>"
    top = max(counts.values()) or 1
    rows = []
    for i, (label, n) in enumerate(counts.items()):
        width = 300 * n / top
        y = i * 26
        rows.append(f'<text x="0" y="{y + 17}" font-size="13">{html.escape(str(label))}</text>'
                    f'<rect x="230" y="{y + 4}" width="{width:.1f}" height="18" fill="{colour}"/>'
                    f'<text x="{236 + width:.1f}" y="{y + 17}" font-size="13">{n}</text>')
    return f'<svg width="620" height="{26 * len(counts) + 6}" role="img">{"".join(rows)}</svg>'


def _table(header: list[str], rows: list[list[object]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_html(summary: RegistrySummary, *, source_name: str, versions: dict[str, str], taxonomy: Taxonomy,
                 lang: str = "zh", made_on: date | None = None) -> str:
    """A standalone page: no scripts, no external files, every value escaped."""
    esc = html.escape
    none = t("none", lang)

    def category(code: str) -> str:
        return f"{code} {taxonomy.categories.get(code, '')}".strip()

    def subcategory(code: str) -> str:
        return f"{code} {taxonomy.subcategories.get(code, '')}".strip() if code else none

    def item(code: str) -> str:
        return f"{code} {taxonomy[code].name}" if code in taxonomy else (code or none)

    agreement_counts = {t(f"agreement_{k}", lang): v for k, v in summary.agreement.items()}
    verdicts = {verdict_label(k, lang): v for k, v in summary.verdicts.items()}
    suggested = {category(c): n for c, n in summary.suggested_by_category.items()}
    registered = {category(c): n for c, n in summary.registered_by_category.items()}
    matrix = summary.matrix
    head = "".join(f"<th>{esc(subcategory(str(c)))}</th>" for c in matrix.columns)
    body = "".join(
        f"<tr><th>{esc(subcategory(str(r)))}</th>" + "".join(
            f'<td class="{"diag" if r == c else ("off" if v else "")}">{v or ""}</td>'
            for c, v in zip(matrix.columns, matrix.loc[r])) + "</tr>"
        for r in matrix.index
    )
    pairs = _table([t("column_kind_code", lang), t("best", lang), t("rows", lang)],
                   [[item(r), item(s), n] for r, s, n in summary.top_disagreements])
    first = _table(
        ["#", t("summary_col_priority", lang), t("column_kind_applicant", lang), t("summary_col_registered", lang),
         t("best", lang), t("summary_col_why", lang)],
        [[r.row, f"{float(r.priority):.2f}", r.applicant, r.registered or none, r.suggested or none, r.why]
         for r in summary.first.itertuples(index=False)])
    meta = t("summary_meta", lang, rows=summary.rows, date=(made_on or date.today()).isoformat(),
             versions="；".join(f"{k}: {v}" for k, v in versions.items()))
    title = t("summary_title", lang, name=source_name)
    return f"""<!doctype html>
<html lang="{"zh-Hant-TW" if lang == "zh" else "en"}"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:"Noto Sans CJK TC","PingFang TC","Microsoft JhengHei",sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}}
td.diag{{background:#d9f2d9}}td.off{{background:#fde2e2}}h2{{margin-top:2rem}}</style></head><body>
<h1>{esc(title)}</h1>
<p>{esc(meta)}</p>
<h2>{esc(t("summary_first", lang, n=len(summary.first)))}</h2>{first}
<h2>{esc(t("summary_agreement", lang))}</h2>{_bars(agreement_counts, "#4c78a8", lang)}
<h2>{esc(t("verdict", lang))}</h2>{_bars(verdicts, "#f58518", lang)}
<h2>{esc(t("summary_by_category_suggested", lang))}</h2>{_bars(suggested, "#54a24b", lang)}
<h2>{esc(t("summary_by_category_registered", lang))}</h2>{_bars(registered, "#b279a2", lang)}
<h2>{esc(t("queue_matrix", lang))}</h2><table><tr><th></th>{head}</tr>{body}</table>
<h2>{esc(t("summary_pairs", lang))}</h2>{pairs}
</body></html>
"""


def run_reclassify(classifier: Classifier, crosswalk: Crosswalk, source: Path, target: Path, *,
                   text_column: str | None = None, code_column: str | None = None,
                   applicant_column: str | None = None, summary_path: Path | None = None,
                   progress_factory: Callable[[int], object] | None = None, bom: bool = True, lang: str = "zh",
                   on_columns: Callable[[Columns], None] | None = None) -> pd.DataFrame:
    check_output(target, source)
    if summary_path is not None:
        check_folder(summary_path)
    frame = read_table(source)
    columns = pick_columns(frame, text_column, code_column, applicant_column)
    if on_columns:
        on_columns(columns)
    bar = progress_factory(len(frame)) if progress_factory else None
    try:
        result = reclassify_frame(classifier, frame, crosswalk, columns=columns, lang=lang,
                                  progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    write_table(result, target, bom=bom)
    if summary_path is not None:
        page = summary_html(summarise(result, applicant_column=columns.applicant), source_name=source.name,
                            versions=classifier.versions, taxonomy=classifier.taxonomy, lang=lang)
        tmp = summary_path.with_name(f".{summary_path.name}.tmp")
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(summary_path)
    return result
