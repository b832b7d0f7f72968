"""Command line: `python -m classifier classify|batch|build|evaluate|fetch-model`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from classifier.errors import ClassifierError, InputError
from classifier.messages import VERDICT_ZH
from classifier.settings import Settings

VERDICT_EN = {"eligible": "eligible", "conditional": "conditional (needs more detail)", "ineligible": "ineligible"}
REVIEW_ZH = {"low_confidence": "信心偏低", "close_runner_up": "前兩名分數接近",
             "conditional_verdict": "資格有條件", "redirected_by_rule": "依問答集規定改判項目",
             "ruling_uncertain": "可能涉及問答集規定", "ineligible_verdict": "判定不符合"}
SOURCE_ZH = {"faq": "問答集", "example": "範例", "real": "實例", "ruling": "規定範例", "definition": "定義",
             "decision": "已審核決定"}


def _settings(args) -> Settings:
    return Settings.from_env(model=args.model, models_dir=args.models_dir, data_dir=args.data_dir)


def _load(args):
    from classifier.engine.pipeline import Classifier

    return Classifier.load(_settings(args))


def render(prediction, lang: str = "zh") -> str:
    zh = lang == "zh"
    best = prediction.best
    lines = [
        (f"建議項目：{best.code} {best.name}（信心 {best.confidence:.2f}）" if zh
         else f"Suggested item: {best.code} {best.name} (confidence {best.confidence:.2f})"),
        ("路徑：" if zh else "Path: ") + best.path,
        ("資格判定：" if zh else "Verdict: ") + (VERDICT_ZH if zh else VERDICT_EN)[prediction.verdict],
    ]
    for hit in prediction.rule_hits:
        lines.append(f"  · FAQ {hit.faq} [{hit.rule_id}] {hit.message_zh if zh else hit.message_en}")
        if hit.trigger:
            lines.append(("    觸發的句子：「" if zh else "    triggered by: 「") + hit.trigger + "」")
    if prediction.needs_review:
        reasons = [REVIEW_ZH.get(r, r) if zh else r for r in prediction.review_reasons]
        lines.append(("需人工複核：" if zh else "Needs review: ") + "、".join(reasons))
    if prediction.truncated:
        lines.append("（描述過長，已截斷後分類）" if zh else "(description was truncated before classifying)")
    lines.append(("定義：" if zh else "Definition: ") + best.definition)
    if best.matched_terms:
        lines.append(("符合詞：" if zh else "Matched terms: ") + "、".join(best.matched_terms))
    lines.append("相似先例：" if zh else "Nearest precedents:")
    for p in best.precedents:
        label = f"FAQ {p.ref}" if p.source == "faq" else f"{SOURCE_ZH.get(p.source, p.source)} {p.ref}"
        verdict = "" if p.verdict == "eligible" else f"〔{VERDICT_ZH[p.verdict] if zh else p.verdict}〕"
        lines.append(f"  · [{label}]{verdict} ({p.similarity:.2f}) {p.text[:90]}")
    questions = prediction.follow_up if zh else tuple(h.question_en for h in prediction.rule_hits if h.question_en)
    if questions:
        lines.append("待確認問題：" if zh else "Follow-up questions:")
        lines += [f"  ? {q}" for q in questions]
    lines.append("其他候選：" if zh else "Alternatives:")
    lines += [f"  {s.code} {s.name}  {s.confidence:.2f}" for s in prediction.suggestions[1:]]
    return "\n".join(lines)


def cmd_classify(args) -> int:
    classifier = _load(args)
    prediction = classifier.classify(args.text, top_k=args.top_k)
    if args.json:
        print(json.dumps(prediction.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render(prediction, args.lang))
    return 0


def _progress_bars(args):
    """A tqdm bar on stderr for runs of 50 rows or more, unless --no-progress."""
    from tqdm import tqdm

    def bar(total):
        return tqdm(total=total, unit="row", disable=args.no_progress or total < 50, file=sys.stderr)

    return bar


def cmd_batch(args) -> int:
    from classifier.files.batch import run_batch

    classifier = _load(args)
    rows = run_batch(classifier, Path(args.input), Path(args.output), text_column=args.text_column,
                     progress_factory=_progress_bars(args), excel_bom=args.excel_bom, restart=args.restart)
    print(f"{rows} rows written to {args.output}", file=sys.stderr)
    return 0


def cmd_build(args) -> int:
    from classifier.engine.pipeline import Classifier
    from classifier.review.learning import approved_examples

    settings = _settings(args)
    examples, provenance = ([], None) if args.no_decisions else approved_examples(settings.decisions_path)
    classifier = Classifier.build(settings, extra_examples=examples, provenance=provenance,
                                  progress=lambda m: print(m, file=sys.stderr))
    manifest = classifier.save(settings)
    print(f"index written to {settings.models_dir} ({manifest['counts']['references']} references, "
          f"{len(examples)} from approved decisions, "
          f"cross-validated top-1 {manifest.get('cv_top1') or 0:.3f})", file=sys.stderr)
    return 0


def cmd_evaluate(args) -> int:
    from classifier.evaluation.evaluate import evaluate_frame, format_report
    from classifier.files.tables import read_table

    classifier = _load(args)
    frame = read_table(Path(args.file))
    report = evaluate_frame(classifier, frame, text_column=args.text_column)
    print(format_report(report, show_errors=args.errors))
    if args.compare_decisions:
        print()
        print(compare_decisions(args, classifier, frame))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def compare_decisions(args, loaded, frame) -> str:
    """Accuracy on the same file without and with the approved decisions, so a bad batch shows."""
    from classifier.engine.pipeline import Classifier
    from classifier.evaluation.evaluate import evaluate_frame
    from classifier.review.learning import approved_examples

    settings = _settings(args)
    encoder = loaded.features.encoder
    examples, _ = approved_examples(settings.decisions_path)
    before = evaluate_frame(Classifier.build(settings, encoder=encoder), frame, text_column=args.text_column)
    after = evaluate_frame(Classifier.build(settings, encoder=encoder, extra_examples=examples), frame,
                           text_column=args.text_column)
    lines = [f"approved decisions: {len(examples)}", "measure           without   with   change"]
    for name in ("top1", "top3", "verdict_accuracy"):
        b, a = getattr(before, name), getattr(after, name)
        lines.append(f"{name:<16} {b:8.3f} {a:7.3f} {a - b:+8.3f}")
    return "\n".join(lines)


def cmd_reclassify(args) -> int:
    from classifier.review.crosswalk import Crosswalk
    from classifier.review.reclassify import run_reclassify

    classifier = _load(args)
    crosswalk = Crosswalk.load(_settings(args).crosswalk_path, classifier.taxonomy)
    out = run_reclassify(classifier, crosswalk, Path(args.registry), Path(args.output),
                         text_column=args.text_column, code_column=args.code_column,
                         summary_path=Path(args.summary) if args.summary else None,
                         progress_factory=_progress_bars(args))
    counts = out["agreement"].value_counts().to_dict()
    print(f"{len(out)} rows written to {args.output}; agreement: {counts}", file=sys.stderr)
    return 0


def cmd_fetch_model(args) -> int:
    from classifier.engine.model_store import fetch_model
    from classifier.engine.onnx_model import export_onnx
    from classifier.settings import ONNX_MODEL

    settings = _settings(args)
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    path = fetch_model(settings.cache_dir, progress=say)
    if settings.model == ONNX_MODEL:
        path = export_onnx(path, settings.cache_dir, progress=say)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m classifier",
                                     description="Suggest the registry sub-item (小項) for AI service descriptions.")
    parser.add_argument("--model", help="sentence-transformers model name or path (env AIREG_MODEL)")
    parser.add_argument("--models-dir", type=Path, help="where the built index lives (env AIREG_MODELS_DIR)")
    parser.add_argument("--data-dir", type=Path, help="taxonomy, FAQ, rules and examples (env AIREG_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("classify", help="classify one description")
    p.add_argument("text")
    p.add_argument("--json", action="store_true", help="print the full prediction as JSON")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("batch", help="classify every row of a CSV/XLSX file")
    p.add_argument("input")
    p.add_argument("output", help="output .csv (UTF-8) or .xlsx")
    p.add_argument("--text-column", default="text")
    p.add_argument("--excel-bom", action="store_true", help="write a UTF-8 BOM so old Excel opens the CSV correctly")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--restart", action="store_true", help="ignore a partial result of an interrupted run")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("build", help="build the index in models/ from the data files and approved decisions")
    p.add_argument("--no-decisions", action="store_true", help="ignore the reviewers' approved decisions")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("reclassify", help="re-classify a registry file and compare with its registered codes")
    p.add_argument("registry")
    p.add_argument("output", help="output .csv (UTF-8) or .xlsx")
    p.add_argument("--text-column", default=None, help="default: description or text")
    p.add_argument("--code-column", default=None, help="default: registered_code or code")
    p.add_argument("--summary", help="also write a standalone HTML summary to this path")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_reclassify)

    p = sub.add_parser("evaluate", help="accuracy on a labelled file (text, code, verdict, rule_ids)")
    p.add_argument("file")
    p.add_argument("--text-column", default="text")
    p.add_argument("--errors", type=int, default=0, help="list this many misses")
    p.add_argument("--json", help="also write the full report as JSON to this path")
    p.add_argument("--compare-decisions", action="store_true",
                   help="also report accuracy without and with the approved decisions")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("fetch-model", help="download and verify the default embedding model, and export its ONNX form")
    p.set_defaults(func=cmd_fetch_model)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ClassifierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
