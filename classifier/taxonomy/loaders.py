"""Load and validate the data files: taxonomy, FAQ rulings, labelled examples."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from classifier.errors import DataFileError
from classifier.records import VERDICTS, Example, Ruling, SubItem

EXPECTED_ITEMS = 87
EXPECTED_SUBCATEGORIES = 23
EXPECTED_CATEGORIES = 4
TAXONOMY_COLUMNS = (
    "code", "name", "subcategory_code", "subcategory_name", "category_code", "category_name",
    "definition", "keywords", "aliases",
)
FAQ_COLUMNS = ("faq", "question", "answer", "codes", "precedent_code", "verdict", "rule_ids", "rule")
EXAMPLE_COLUMNS = ("id", "text", "code", "verdict", "rule_ids")
_CODE = re.compile(r"^\d+(\.\d+){2}$")


def read_csv_str(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a project CSV with every column as a string, so `4.10` never becomes 4.1."""
    if not path.is_file():
        raise DataFileError(f"Expected the data file {path}; it does not exist. Restore it from git.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataFileError(
            f"{path.name}: expected columns {list(required)}; missing {missing}; found {list(frame.columns)}."
        )
    return frame


def code_key(code: str) -> tuple:
    """Sort codes as numbers, so 4.2 comes before 4.10; parts that are not numbers (「（無）」) sort last."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in str(code).split("."))


def split_list(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in str(cell).split(";") if part.strip())


@dataclass(frozen=True)
class Taxonomy:
    items: tuple[SubItem, ...]
    version: str = ""

    @cached_property
    def by_code(self) -> dict[str, SubItem]:
        return {item.code: item for item in self.items}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def __getitem__(self, code: str) -> SubItem:
        try:
            return self.by_code[code]
        except KeyError:
            raise KeyError(f"Unknown sub-item code {code!r}; expected one of the {len(self.items)} codes in taxonomy.csv") from None

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    @cached_property
    def subcategories(self) -> dict[str, str]:
        return {item.subcategory_code: item.subcategory_name for item in self.items}

    @cached_property
    def categories(self) -> dict[str, str]:
        return {item.category_code: item.category_name for item in self.items}


def validate_items(items: list[SubItem], *, expected: int | None = EXPECTED_ITEMS) -> None:
    """Codes are well formed, unique, under their parents; the counts match the seed."""
    problems = []
    codes = [item.code for item in items]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        problems.append(f"duplicate codes {dupes}")
    for item in items:
        if not _CODE.match(item.code):
            problems.append(f"{item.code!r} is not a code of the form N.N.N")
            continue
        parts = item.code.split(".")
        if item.subcategory_code != ".".join(parts[:2]):
            problems.append(f"{item.code} sits under subcategory {item.subcategory_code!r}, expected {'.'.join(parts[:2])!r}")
        if item.category_code != parts[0]:
            problems.append(f"{item.code} sits under category {item.category_code!r}, expected {parts[0]!r}")
        if not item.name.strip():
            problems.append(f"{item.code} has an empty name")
        if not item.definition.strip():
            problems.append(f"{item.code} has an empty definition")
    if expected is not None:
        if len(set(codes)) != expected:
            problems.append(f"expected {expected} unique codes, found {len(set(codes))}")
        if expected == EXPECTED_ITEMS:
            subs = {i.subcategory_code for i in items}
            cats = {i.category_code for i in items}
            if len(subs) != EXPECTED_SUBCATEGORIES:
                problems.append(f"expected {EXPECTED_SUBCATEGORIES} subcategories, found {len(subs)}")
            if len(cats) != EXPECTED_CATEGORIES:
                problems.append(f"expected {EXPECTED_CATEGORIES} categories, found {len(cats)}")
    if problems:
        raise DataFileError("taxonomy.csv is invalid: " + "; ".join(problems) + ". Fix data/taxonomy.csv.")


def load_taxonomy(path: Path, *, expected: int | None = EXPECTED_ITEMS) -> Taxonomy:
    frame = read_csv_str(path, TAXONOMY_COLUMNS)
    items = [
        SubItem(
            code=row.code.strip(), name=row.name.strip(),
            subcategory_code=row.subcategory_code.strip(), subcategory_name=row.subcategory_name.strip(),
            category_code=row.category_code.strip(), category_name=row.category_name.strip(),
            definition=row.definition.strip(), keywords=split_list(row.keywords), aliases=split_list(row.aliases),
        )
        for row in frame.itertuples(index=False)
    ]
    validate_items(items, expected=expected)
    version = frame["version"].iloc[0] if "version" in frame.columns and len(frame) else ""
    return Taxonomy(tuple(items), version=version)


def _check_labels(path: Path, codes: list[str], verdicts: list[str], taxonomy: Taxonomy) -> None:
    unknown = sorted({c for c in codes if c and c not in taxonomy})
    if unknown:
        raise DataFileError(f"{path.name}: expected codes from taxonomy.csv; found unknown codes {unknown[:10]}.")
    bad = sorted({v for v in verdicts if v not in VERDICTS})
    if bad:
        raise DataFileError(f"{path.name}: expected verdicts {list(VERDICTS)}; found {bad}.")


def load_faq(path: Path, taxonomy: Taxonomy) -> tuple[Ruling, ...]:
    frame = read_csv_str(path, FAQ_COLUMNS)
    rulings = tuple(
        Ruling(faq=int(row.faq), question=row.question, answer=row.answer, codes=split_list(row.codes),
               verdict=row.verdict, rule=row.rule, rule_ids=split_list(row.rule_ids))
        for row in frame.itertuples(index=False)
    )
    codes = [c for r in rulings for c in r.codes] + [c for c in frame["precedent_code"] if c]
    _check_labels(path, codes, [r.verdict for r in rulings], taxonomy)
    return rulings


def faq_precedents(path: Path) -> dict[int, tuple[str, str, str]]:
    """FAQ number → (the code its question exemplifies, the question, the ruling's verdict),
    for rulings that name one."""
    frame = read_csv_str(path, FAQ_COLUMNS)
    return {int(r.faq): (r.precedent_code, r.question, r.verdict or "eligible")
            for r in frame.itertuples(index=False) if r.precedent_code}


def load_examples(path: Path, taxonomy: Taxonomy, *, source: str = "example") -> tuple[Example, ...]:
    frame = read_csv_str(path, EXAMPLE_COLUMNS)
    frame = frame[frame["text"].str.strip() != ""]
    _check_labels(path, list(frame["code"]), list(frame["verdict"]), taxonomy)
    dupes = frame["id"][frame["id"].duplicated()].tolist()
    if dupes:
        raise DataFileError(f"{path.name}: expected unique ids; found duplicates {dupes[:10]}.")
    return tuple(
        Example(id=row.id, text=row.text, code=row.code, verdict=row.verdict or "eligible",
                rule_ids=split_list(row.rule_ids), source=source)
        for row in frame.itertuples(index=False)
    )
