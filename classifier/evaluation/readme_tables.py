"""The README's figure tables, written from bench/results/bench.json between markers, never by hand."""

from __future__ import annotations

import re
from pathlib import Path

SYSTEMS = ("full system", "full model only", "first pass only", "quick mode", "lexical only", "names only")
LABELS = {"full system": "default (first pass, then full model)",
          "quick mode": "quick mode (`--quick`: first pass only, unsure rows flagged)"}
DEV_SETS = (("dev_eval", "dev_eval (team style)"), ("real_dev", "real_dev (real style)"))


def _cell(value, fmt="{:.3f}") -> str:
    return "—" if value is None else fmt.format(value)


def quality_table(result: dict) -> str:
    lines = ["| dev set | system | rows | top-1 | top-3 | verdict macro-F1 | flag recall | false flags | "
             "left without review | … of them right |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for key, label in DEV_SETS:
        block = result.get("accuracy", {}).get(key)
        if not block:
            continue
        for system in SYSTEMS:
            r = block.get(system)
            if r is None:
                continue
            verdicts = system != "names only"  # that baseline answers every row eligible
            lines.append(
                f"| {label} | {LABELS.get(system, system)} | {block['rows']} | {_cell(r['top1'])} | {_cell(r['top3'])} | "
                f"{_cell(r['verdict_macro_f1'] if verdicts else None)} | {_cell(r['flag_recall'] if verdicts else None)} | "
                f"{_cell(r['false_flag_rate'] if verdicts else None)} | {_cell(r['unflagged_share'] if verdicts else None)} | "
                f"{_cell(r['unflagged_precision'] if verdicts else None)} |")
    return "\n".join(lines)


def failure_table(result: dict) -> str:
    block = result.get("accuracy", {}).get("real_dev")
    if not block:
        return "_real_dev was not measured in this run._"
    lines = ["| failure class (real_dev, full system) | rows | top-1 | verdict right | called not eligible | needs review |",
             "|---|---|---|---|---|---|"]
    for r in block["full system"].get("per_failure_class", []):
        lines.append(f"| {r['class']} | {r['n']} | {r['top1']:.3f} | {r['verdict_accuracy']:.3f} | "
                     f"{r['called_not_eligible']:.3f} | {r['needs_review']:.3f} |")
    return "\n".join(lines)


def speed_table(result: dict) -> str:
    speed = result.get("speed")
    if not speed:
        return "_Speed was not measured in this run (`--skip-speed`)._"
    single_rows = speed.get("single_rows", {})
    by_style = " · ".join(f"{s} ({n})" for s, n in single_rows.items())
    lines = [f"| path | batch rows/s ({speed['batch_rows']} unique descriptions) | single description p50 / p95 | "
             f"single p50 by set: {by_style or '—'} | answered by the first pass (batch) |", "|---|---|---|---|---|"]
    for name, r in speed["paths"].items():
        per = " · ".join(f"{r['single_p50_ms_by_style'][s]} ms" for s in single_rows) if single_rows else "—"
        lines.append(f"| {LABELS.get(name, name)} | {r['rows_per_s']} | {r['single_p50_ms']} ms / {r['single_p95_ms']} ms | "
                     f"{per} | {r['answered_by_first_pass']:.0%} |")
    rerun = result.get("rerun", {})
    rows = [
        ("default path against the full model only (ratios of the medians)",
         f"{speed['speedup_over_full_model']}× the rows/s; single p50 of the full model ÷ the default's: "
         f"{speed['single_speedup_over_full_model']} (bare encode of one text: "
         f"{speed['baseline_encode_only_single_p50_ms']} ms)"),
        ("re-run of the same batch: stored answers in memory / from disk (new process) / through the batch file code",
         f"{rerun.get('rerun_memory_rows_per_s')} / {rerun.get('rerun_from_disk_rows_per_s')} / "
         f"{rerun.get('rerun_batch_file_rows_per_s')} rows/s"),
        ("cold start to the first answer", f"{result['cold_start_to_first_answer_s']} s "
         f"(answered by {result.get('first_answer_by', 'full_model')})"),
        ("peak memory", f"{result['peak_memory_mb']} MB"),
    ]
    load = result.get("api_load")
    if load:
        rows.append((f"HTTP API, {load['clients']} concurrent clients for {load['seconds']:.0f} s",
                     f"p50 {load['p50_ms']} ms / p95 {load['p95_ms']} ms, {load['errors']} errors in "
                     f"{load['requests']} requests, {load['requests_per_s']} requests/s"))
    lines += ["", "| figure | value |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]]
    return "\n".join(lines)


TABLES = {"quality": quality_table, "failures": failure_table, "speed": speed_table}


def render(readme: str, result: dict) -> str:
    """The README with every ``<!-- bench:NAME -->…<!-- /bench:NAME -->`` section rewritten."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n)(?:.*?\n)?(<!-- /bench:{name} -->)", re.S)
        readme = pattern.sub(lambda m, make=make: m.group(1) + make(result) + "\n" + m.group(2), readme)
    return readme


def update_readme(path: Path, result: dict) -> bool:
    text = path.read_text(encoding="utf-8")
    new = render(text, result)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
