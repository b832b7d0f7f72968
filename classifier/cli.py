"""Command line: `python -m classifier classify|batch|reclassify|build|evaluate|fetch-model`.

A thin adapter: it parses arguments, calls the library and prints. Every sentence a user reads
comes from ``classifier.messages``; every input problem is one line and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from classifier.errors import ClassifierError, InputError
from classifier.files.output import review_text
from classifier.messages import error_text, join_items, source_label, t, verdict_label
from classifier.settings import Settings

EXIT_INPUT = 2


def _settings(args) -> Settings:
    return Settings.from_env(model=args.model, models_dir=args.models_dir, data_dir=args.data_dir)


def _load(args):
    from classifier.engine.pipeline import Classifier

    full, quick = getattr(args, "full_model", False), getattr(args, "quick", False)
    if full and quick:
        raise InputError("Expected at most one of --full-model and --quick; found both. Choose one.",
                         reason="conflicting_options")
    clf = Classifier.load(_settings(args))
    if quick:
        return clf.quick()
    return clf.without_first_pass() if full else clf


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def render(prediction, lang: str = "zh", *, max_chars: int = 0, taxonomy=None) -> str:
    """The answer as text: item, verdict, rulings, review, definition, matched terms, precedents."""
    best = prediction.best
    name = best.name
    if lang == "en" and taxonomy is not None and taxonomy[best.code].name_en:
        name = f"{best.name} ({taxonomy[best.code].name_en})"
    lines = [
        t("cli_best", lang, code=best.code, name=name, confidence=best.confidence),
        t("cli_path", lang, path=best.path),
        t("cli_verdict", lang, verdict=verdict_label(prediction.verdict, lang)),
    ]
    for hit in prediction.rule_hits:
        lines.append(f"  · FAQ {hit.faq} [{hit.rule_id}] {hit.message(lang)}")
        if hit.trigger:
            lines.append("    " + t("rule_trigger", lang) + "「" + hit.trigger + "」")
    if prediction.needs_review:
        lines.append(t("cli_needs_review", lang, reasons=review_text(prediction.review_reasons, lang)))
        lines += [f"    {t(f'review_why_{r}', lang)}" for r in prediction.review_reasons]
    if prediction.truncated:
        lines.append(t("cli_truncated", lang, n=max_chars))
    lines.append(t("cli_definition", lang, definition=best.definition))
    if best.matched_terms:
        lines.append(t("cli_matched", lang, terms=join_items(best.matched_terms, lang)))
    lines.append(t("precedents", lang) + ("：" if lang == "zh" else ":"))
    for p in best.precedents:
        flag = "" if p.verdict == "eligible" else f"〔{t('precedent_verdict', lang, verdict=verdict_label(p.verdict, lang))}〕"
        lines.append(f"  · [{source_label(p.source, p.ref, lang)}]{flag} ({p.similarity:.2f}) {p.text[:90]}")
    questions = prediction.questions(lang)
    if questions:
        lines.append(t("followup", lang) + ("：" if lang == "zh" else ":"))
        lines += [f"  ? {q}" for q in questions]
    lines.append(t("alternatives", lang) + ("：" if lang == "zh" else ":"))
    lines += [f"  {s.code} {s.name}  {s.confidence:.2f}" for s in prediction.suggestions[1:]]
    return "\n".join(lines)


def _description(args) -> str:
    """The words after `classify`, joined; `-` (or no words with piped input) reads standard input."""
    words = list(args.text)
    if words in ([], ["-"]):
        if words == [] and sys.stdin.isatty():
            raise InputError("no description given", reason="no_text")
        return sys.stdin.read()
    return " ".join(words)


def cmd_classify(args) -> int:
    from classifier.engine.pipeline import check_text
    from classifier.files.output import prediction_record

    text = _description(args)
    check_text(text, max_chars=len(text) + 1)  # an empty description is reported before the model loads
    classifier = _load(args)
    prediction = classifier.classify(text, top_k=args.top_k)
    if args.json:
        record = prediction_record(prediction, classifier.taxonomy, classifier.versions, args.lang)
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        print(render(prediction, args.lang, max_chars=classifier.config.max_chars, taxonomy=classifier.taxonomy))
    return 0


def _progress_bars(args):
    """A tqdm bar on stderr for runs of 50 rows or more, unless --no-progress."""
    from tqdm import tqdm

    def bar(total):
        return tqdm(total=total, unit="row", disable=args.no_progress or total < 50, file=sys.stderr)

    return bar


def cmd_batch(args) -> int:
    from classifier.files.batch import run_batch
    from classifier.files.tables import check_input, check_output

    source, target = Path(args.input), Path(args.output)
    check_input(source)  # a mistyped path is reported before the model loads
    check_output(target, source)
    classifier = _load(args)
    rows = run_batch(classifier, source, target, text_column=args.text_column,
                     progress_factory=_progress_bars(args), bom=not args.no_bom, restart=args.restart,
                     lang=args.lang, on_columns=lambda c: _say(t("cli_column_used", args.lang, text=c, code="")))
    _say(t("cli_rows_written", args.lang, n=rows, path=target))
    return 0


def cmd_reclassify(args) -> int:
    from classifier.files.tables import check_input, check_output
    from classifier.review.crosswalk import Crosswalk
    from classifier.review.reclassify import run_reclassify

    source, target = Path(args.registry), Path(args.output)
    check_input(source)
    check_output(target, source)
    classifier = _load(args)
    crosswalk = Crosswalk.load(_settings(args).crosswalk_path, classifier.taxonomy)

    def columns_used(columns) -> None:
        _say(t("cli_column_used", args.lang, text=columns.text,
               code=t("cli_code_column_used", args.lang, column=columns.code)))

    out = run_reclassify(classifier, crosswalk, source, target, text_column=args.text_column,
                         code_column=args.code_column, applicant_column=args.applicant_column,
                         summary_path=Path(args.summary) if args.summary else None,
                         progress_factory=_progress_bars(args), bom=not args.no_bom, lang=args.lang,
                         on_columns=columns_used)
    counts = out["agreement"].value_counts()
    _say(t("cli_rows_written", args.lang, n=len(out), path=target))
    _say(t("cli_agreement", args.lang, counts=join_items((f"{t(f'agreement_{k}', args.lang)} {n}" for k, n in counts.items()), args.lang)))
    if args.summary:
        _say(t("cli_summary_written", args.lang, path=args.summary))
    return 0


def cmd_build(args) -> int:
    from classifier.engine.pipeline import Classifier
    from classifier.review.learning import approved_examples

    settings = _settings(args)
    examples, provenance = ([], None) if args.no_decisions else approved_examples(settings.decisions_path)
    classifier = Classifier.build(settings, extra_examples=examples, provenance=provenance, progress=_say)
    manifest = classifier.save(settings)
    _say(f"index written to {settings.models_dir} ({manifest['counts']['references']} references, "
         f"{len(examples)} from approved decisions, cross-validated top-1 {manifest.get('cv_top1') or 0:.3f})")
    return 0


def cmd_evaluate(args) -> int:
    from classifier.evaluation.evaluate import evaluate_frame, format_report
    from classifier.files.tables import check_folder, read_table, require_column

    frame = read_table(Path(args.file))
    require_column(frame, args.text_column, "text")
    require_column(frame, args.code_column, "code", kind="label")
    if args.json:
        check_folder(Path(args.json))
    classifier = _load(args)
    report = evaluate_frame(classifier, frame, text_column=args.text_column, label_column=args.code_column)
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
    options = {"text_column": args.text_column, "label_column": args.code_column}
    before = evaluate_frame(Classifier.build(settings, encoder=encoder), frame, **options)
    after = evaluate_frame(Classifier.build(settings, encoder=encoder, extra_examples=examples), frame, **options)
    lines = [f"approved decisions: {len(examples)}", "measure           without   with   change"]
    for name in ("top1", "top3", "verdict_accuracy"):
        b, a = getattr(before, name), getattr(after, name)
        lines.append(f"{name:<16} {b:8.3f} {a:7.3f} {a - b:+8.3f}")
    return "\n".join(lines)


def cmd_fetch_model(args) -> int:
    from classifier.engine.model_store import fetch_model
    from classifier.engine.onnx_model import export_onnx
    from classifier.settings import ONNX_MODEL

    settings = _settings(args)
    path = fetch_model(settings.cache_dir, progress=_say)
    if settings.model == ONNX_MODEL:
        path = export_onnx(path, settings.cache_dir, progress=_say)
    print(path)
    return 0


def cmd_users(args) -> int:
    """Reviewer accounts: add (password from a prompt or --password-stdin), disable, enable, list."""
    import getpass

    from classifier.review.accounts import AccountStore

    store = AccountStore(_settings(args).accounts_path)
    if args.action == "list":
        for account in store.list():
            state = t("users_active", args.lang) if account.active else t("users_disabled", args.lang)
            print(f"{account.username}\t{account.role}\t{state}\t{account.created_at}")
        return 0
    if not args.username:
        raise InputError("no username", reason="missing_username")
    if args.action == "add":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(t("users_password_prompt", args.lang))
            if getpass.getpass(t("users_password_again", args.lang)) != password:
                raise InputError("passwords differ", reason="password_mismatch")
        account = store.add(args.username, password, args.role)
        _say(t("users_added", args.lang, username=account.username, role=account.role))
    else:
        account = store.set_active(args.username, args.action == "enable")
        _say(t("users_changed", args.lang, username=account.username,
               state=t("users_active" if account.active else "users_disabled", args.lang)))
    return 0


COMMANDS = {
    "classify": ("classify one description and explain the answer", """examples:
  python -m classifier classify 我們的產品是基於人臉辨識的員工打卡系統
  python -m classifier classify "AI defect inspection for PCB lines" --lang en
  echo "以深度學習檢測PCB瑕疵" | python -m classifier classify - --json"""),
    "batch": ("classify every row of a CSV/XLSX file; every row comes back, in order", """examples:
  python -m classifier batch 申請案.csv 結果.xlsx
  python -m classifier batch cases.xlsx out.csv --text-column 服務說明 --lang en
The text column is found by name (text, description, 說明, 服務說明, 產品說明, 描述…) unless given.
CSV output is UTF-8 with a BOM so Excel opens it directly; --no-bom leaves the BOM out.
An interrupted run resumes where it stopped when started again with the same files."""),
    "reclassify": ("re-classify a registry file and compare with its registered codes", """examples:
  python -m classifier reclassify 登錄資料.xlsx 重新分類.xlsx --summary 摘要.html
  python -m classifier reclassify registry.csv out.csv --code-column 登錄項目 --no-bom
Rows are flagged for review when the suggestion is in another subcategory than the registered
code, or when an FAQ ruling applies to the registered item (e.g. a reseller under a core item)."""),
    "build": ("build the index in models/ from the data files and approved decisions", """examples:
  python -m classifier build
  python -m classifier build --no-decisions"""),
    "evaluate": ("accuracy on a labelled file (text, code, and optionally verdict, rule_ids)", """examples:
  python -m classifier evaluate data/real/real_dev.csv --errors 20
  python -m classifier evaluate gold.xlsx --text-column 說明 --code-column 正確項目 --json report.json"""),
    "users": ("manage reviewer accounts for the staff view (passwords are stored only as scrypt hashes)", """examples:
  python -m classifier users add wang.mei --role reviewer        # asks for the password twice
  echo "$PASSWORD" | python -m classifier users add lin.admin --role admin --password-stdin
  python -m classifier users disable wang.mei
  python -m classifier users list
Accounts live in var/accounts.sqlite (or AIREG_ACCOUNTS)."""),
    "fetch-model": ("download and verify the default embedding model, and export its ONNX form", """examples:
  python -m classifier fetch-model"""),
}


def _common_options(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument("--model", default=default(None), help="sentence-transformers model name or path (env AIREG_MODEL)")
    parser.add_argument("--models-dir", type=Path, default=default(None),
                        help="where the built index lives (env AIREG_MODELS_DIR)")
    parser.add_argument("--data-dir", type=Path, default=default(None),
                        help="taxonomy, FAQ, rules and examples (env AIREG_DATA_DIR)")
    parser.add_argument("--lang", choices=("zh", "en"), default=default("zh"),
                        help="language of messages and readable columns: zh (Traditional Chinese, default) or en")
    parser.add_argument("--full-model", action="store_true", default=default(False),
                        help="answer every row with the full model, skipping the fast first pass (slower; for audits)")
    parser.add_argument("--quick", action="store_true", default=default(False),
                        help="answer every row with the fast first pass only (hundreds of rows/s); rows it is not "
                             "sure of are flagged full_model_pending for review instead of going to the full model")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m classifier", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Suggest the registry sub-item (小項) for AI service descriptions, with reasons and FAQ rulings.",
        epilog="examples:\n  python -m classifier classify 我們的產品是基於人臉辨識的員工打卡系統\n"
               "  python -m classifier batch 申請案.csv 結果.xlsx\n"
               "  python -m classifier COMMAND --help   (options and examples of one command)")
    _common_options(parser, lambda value: value)
    common = argparse.ArgumentParser(add_help=False)
    # Given after the command too; SUPPRESS keeps a value given before the command.
    _common_options(common, lambda _value: argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func):
        summary, epilog = COMMANDS[name]
        p = sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".", epilog=epilog,
                           parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = command("classify", cmd_classify)
    p.add_argument("text", nargs="*", help="the description; several words are joined; - reads standard input")
    p.add_argument("--json", action="store_true", help="print the full answer as JSON (the same record as the API)")
    p.add_argument("--top-k", type=int, default=None, help="how many candidate items to list (default 5)")

    p = command("batch", cmd_batch)
    p.add_argument("input", help="the CSV (UTF-8, UTF-8 BOM or Big5) or XLSX file to classify")
    p.add_argument("output", help="where to write the result: a .csv or .xlsx file in an existing folder")
    p.add_argument("--text-column", default=None, help="the column holding the descriptions (default: found by name)")
    p.add_argument("--no-bom", action="store_true", help="write the CSV without the UTF-8 BOM Excel needs")
    p.add_argument("--excel-bom", action="store_true", help=argparse.SUPPRESS)  # the BOM is now the default
    p.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    p.add_argument("--restart", action="store_true", help="ignore a partial result of an interrupted run")

    p = command("reclassify", cmd_reclassify)
    p.add_argument("registry", help="the registry as CSV or XLSX: a description and a registered-code column")
    p.add_argument("output", help="where to write the result: a .csv or .xlsx file in an existing folder")
    p.add_argument("--text-column", default=None, help="the column holding the descriptions (default: found by name)")
    p.add_argument("--code-column", default=None,
                   help="the column holding the registered codes (default: registered_code, code, 登錄項目…)")
    p.add_argument("--applicant-column", default=None,
                   help="the column naming the applicant, for the summary (default: applicant, 申請者, 公司…)")
    p.add_argument("--summary", help="also write a standalone HTML summary to this path")
    p.add_argument("--no-bom", action="store_true", help="write the CSV without the UTF-8 BOM Excel needs")
    p.add_argument("--no-progress", action="store_true", help="do not show the progress bar")

    p = command("build", cmd_build)
    p.add_argument("--no-decisions", action="store_true", help="ignore the reviewers' approved decisions")

    p = command("evaluate", cmd_evaluate)
    p.add_argument("file", help="a labelled CSV or XLSX file")
    p.add_argument("--text-column", default="text", help="the column holding the descriptions (default: text)")
    p.add_argument("--code-column", default="code", help="the column holding the correct codes (default: code)")
    p.add_argument("--errors", type=int, default=0, help="list this many misses")
    p.add_argument("--json", help="also write the full report as JSON to this path")
    p.add_argument("--compare-decisions", action="store_true",
                   help="also report accuracy without and with the approved decisions")

    p = command("users", cmd_users)
    p.add_argument("action", choices=("add", "disable", "enable", "list"), help="what to do")
    p.add_argument("username", nargs="?", help="the account name (letters, digits, . _ @ -)")
    p.add_argument("--role", choices=("reviewer", "admin"), default="reviewer",
                   help="reviewer records decisions; admin also exports the audit trail and rebuilds (default reviewer)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input (for scripts)")

    command("fetch-model", cmd_fetch_model)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang = getattr(args, "lang", "zh")
    try:
        return args.func(args)
    except InputError as exc:
        _say(t("cli_error", lang, message=error_text(exc, lang, surface="cli")))
        return EXIT_INPUT
    except ClassifierError as exc:
        _say(t("cli_error", lang, message=" ".join(str(exc).split())))
        return 1
    except KeyboardInterrupt:
        _say(t("cli_interrupted", lang))
        return 130
