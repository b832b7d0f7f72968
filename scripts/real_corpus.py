"""Assemble the real-style corpus from two independent labellings and an adjudication.

    python scripts/real_corpus.py disagreements SET LABELS2 OUT   # rows the two labellers disagree on
    python scripts/real_corpus.py finalise SET LABELS2 DECISIONS  # write the adjudicated labels into SET

SET is data/real/real_train.csv or data/real/real_dev.csv (labeller 1 = the writer). LABELS2 holds
labeller 2's labels (id,code,alt_codes,verdict,rule_ids,label_confidence,note). DECISIONS holds the
adjudicator's rulings on the disagreements (id,code,alt_codes,verdict,rule_ids,label_confidence,reason).
Every labelling is kept in data/real/labels_log.csv.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

LOG = Path(__file__).resolve().parent.parent / "data" / "real" / "labels_log.csv"
LABEL_COLUMNS = ["code", "alt_codes", "verdict", "rule_ids", "label_confidence"]


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _rules(cell: str) -> frozenset[str]:
    return frozenset(filter(None, cell.split(";")))


def _joined(main: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    if set(main["id"]) != set(second["id"]):
        missing = sorted(set(main["id"]) ^ set(second["id"]))[:10]
        raise SystemExit(f"Expected labeller 2 to label every row once; these ids differ: {missing}")
    return main.merge(second[["id", *LABEL_COLUMNS, "note"]], on="id", suffixes=("", "_2"))


def disagreements(set_path: str, labels2: str, out: str) -> int:
    joined = _joined(_read(set_path), _read(labels2))
    differ = (joined["code"] != joined["code_2"]) | (joined["verdict"] != joined["verdict_2"])
    rows = joined[differ]
    rows[["id", "text", "code", "alt_codes", "verdict", "rule_ids", "notes", "code_2", "alt_codes_2", "verdict_2",
          "rule_ids_2", "note"]].to_csv(out, index=False)
    print(f"{len(joined)} rows; code agrees on {(joined.code == joined.code_2).mean():.3f}, "
          f"verdict on {(joined.verdict == joined.verdict_2).mean():.3f}; {len(rows)} to adjudicate -> {out}")
    return 0


def finalise(set_path: str, labels2: str, decisions_path: str, labeller_2: str, adjudicator: str) -> int:
    main = _read(set_path)
    joined = _joined(main, _read(labels2))
    decisions = _read(decisions_path).set_index("id")
    log = []
    for _, row in joined.iterrows():
        log.append({"id": row.id, "who": row.labeller_1, **{c: row[c] for c in LABEL_COLUMNS}, "note": row.notes})
        log.append({"id": row.id, "who": labeller_2, **{c: row[f"{c}_2"] for c in LABEL_COLUMNS}, "note": row.note})
        agree = row.code == row.code_2 and row.verdict == row.verdict_2
        alternatives = set(filter(None, (row.alt_codes + ";" + row.alt_codes_2).split(";")))
        if agree:
            rules = _rules(row.rule_ids) | _rules(row.rule_ids_2) if row.verdict != "eligible" else frozenset()
            confidence = "high" if {row.label_confidence, row.label_confidence_2} <= {"high"} else "medium"
            final = {"code": row.code, "verdict": row.verdict, "rule_ids": ";".join(sorted(rules)),
                     "label_confidence": confidence, "adjudication": "agreed"}
        else:
            if row.id not in decisions.index:
                raise SystemExit(f"Expected an adjudicator's decision for {row.id}; none in {decisions_path}.")
            d = decisions.loc[row.id]
            alternatives |= set(filter(None, d.alt_codes.split(";"))) | {row.code, row.code_2}
            final = {"code": d.code, "verdict": d.verdict, "rule_ids": d.rule_ids,
                     "label_confidence": d.label_confidence or "medium",
                     "adjudication": f"{adjudicator}: {d.reason}"}
            log.append({"id": row.id, "who": adjudicator, "code": d.code, "alt_codes": d.alt_codes,
                        "verdict": d.verdict, "rule_ids": d.rule_ids, "label_confidence": d.label_confidence,
                        "note": d.reason})
        alternatives.discard(final["code"])
        for key, value in final.items():
            main.loc[main["id"] == row.id, key] = value
        main.loc[main["id"] == row.id, "alt_codes"] = ";".join(sorted(alternatives))
        main.loc[main["id"] == row.id, "labeller_2"] = labeller_2
    main.to_csv(set_path, index=False)
    old = _read(LOG) if LOG.is_file() else pd.DataFrame()
    ids = set(main["id"])
    kept = old[~old["id"].isin(ids)] if len(old) else old
    pd.concat([kept, pd.DataFrame(log)]).to_csv(LOG, index=False)
    print(f"{set_path}: {len(main)} rows finalised; {sum(main.adjudication == 'agreed')} agreed; log -> {LOG}")
    return 0


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    sys.exit({"disagreements": disagreements, "finalise": finalise}[command](*rest))
