"""Eligibility rules, loaded from data/rules.jsonl, and their application.

A rule fires when the suggested code matches ``when_codes``, one of ``any_terms`` and one of
``also_terms`` occur un-negated, none of ``unless_terms`` does, and none of ``unless_rules``
fired before it (rules apply in file order).
A rule with ``max_chars`` fires only on a description that short (「我們做AI」).
A term is literal text after ``normalise``; ``~`` inside a term allows a short gap within
one clause (``代理~產品`` matches 「代理國外的產品」).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from classifier.engine.normalise import normalise
from classifier.errors import DataFileError
from classifier.records import Rule, RuleHit

EFFECTS = ("ineligible", "conditional", "redirect", "note")
VERDICT_RANK = {"eligible": 0, "conditional": 1, "ineligible": 2}
_GAP = r"[^,.;:!?。\n]{0,8}"
# Negation or contrast cues: a match they precede does not count (「不只是RFID」, 「沒有使用深度學習」,
# 「不用貼條碼」, 「以影像辨識取代RFID」).
_NEGATED = re.compile(
    r"(?:(?:沒有|並未|未曾|未使用|未採用|並無|不使用|不含|不涉及|並非|不是|不只|不僅|不單|除了|而非|"
    r"不用|不需|無需|無須|不必|不再|免貼|免掃|取代|告別|"
    r"(?<![a-z])(?:without|not only|not just|not|no|isn't|aren't|rather than|instead of|no longer|replac\w*))"
    r"[^,.;:!?。]{0,8}"
    r"|[不未沒無非])$"
)
_CODE_IN_TEXT = re.compile(r"(?<![\d.])(\d{1,2}\.\d{1,2}\.\d{1,2})(?![\d.])")


def _compile_term(term: str) -> re.Pattern:
    pieces = [normalise(piece) for piece in term.split("~")]
    if not all(pieces):
        raise DataFileError(f"rules.jsonl: term {term!r} has an empty part around '~'; remove the stray '~'.")
    pattern = _GAP.join(re.escape(piece) for piece in pieces)
    if re.match(r"[a-z0-9]", pieces[0]):
        pattern = r"(?<![a-z])" + pattern
    if re.search(r"[a-z]$", pieces[-1]) and len(pieces[-1]) <= 3:
        pattern += r"(?![a-z])"
    return re.compile(pattern)


def _positive_matches(patterns: tuple[re.Pattern, ...], text: str) -> list[str]:
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            if not _NEGATED.search(text[max(0, match.start() - 16):match.start()]):
                found.append(match.group(0))
                break
    return found


def code_matches(code: str, prefix: str) -> bool:
    return code == prefix or code.startswith(prefix + ".")


def claimed_codes(normalised_text: str, known: set[str]) -> tuple[str, ...]:
    """Codes the text names explicitly (「可以申請 4.8.1 嗎?」), when the taxonomy knows them."""
    return tuple(dict.fromkeys(c for c in _CODE_IN_TEXT.findall(normalised_text) if c in known))


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    any_terms: tuple[re.Pattern, ...]
    also_terms: tuple[re.Pattern, ...]
    unless_terms: tuple[re.Pattern, ...]

    def applies_to(self, codes: tuple[str, ...]) -> bool:
        return not self.rule.when_codes or any(
            code_matches(code, prefix) for code in codes for prefix in self.rule.when_codes
        )

    def match(self, normalised_text: str, codes: tuple[str, ...]) -> RuleHit | None:
        if not self.applies_to(codes):
            return None
        if self.rule.max_chars and len(normalised_text.replace(" ", "")) > self.rule.max_chars:
            return None
        matched: list[str] = []
        if self.any_terms:
            matched = _positive_matches(self.any_terms, normalised_text)
            if not matched:
                return None
        if self.also_terms:
            also = _positive_matches(self.also_terms, normalised_text)
            if not also:
                return None
            matched += also
        if self.unless_terms and _positive_matches(self.unless_terms, normalised_text):
            return None
        rule = self.rule
        return RuleHit(rule_id=rule.id, faq=rule.faq, effect=rule.effect, message_zh=rule.message_zh,
                       message_en=rule.message_en, matched=tuple(dict.fromkeys(matched)),
                       question_zh=rule.question_zh, question_en=rule.question_en)


def _parse_rule(data: dict, where: str, known_codes: set[str] | None) -> Rule:
    required = ("id", "faq", "effect", "message_zh", "message_en")
    missing = [k for k in required if not data.get(k)]
    if missing:
        raise DataFileError(f"{where}: expected fields {list(required)}; missing {missing}. Add them to the rule.")
    if data["effect"] not in EFFECTS:
        raise DataFileError(f"{where}: expected effect in {list(EFFECTS)}; found {data['effect']!r}.")
    if data["effect"] == "redirect" and not data.get("redirect_to"):
        raise DataFileError(f"{where}: a redirect rule needs 'redirect_to' (a code or 'category:N').")
    unknown = set(data) - set(Rule.__dataclass_fields__)
    if unknown:
        raise DataFileError(f"{where}: unknown fields {sorted(unknown)}; expected only {sorted(Rule.__dataclass_fields__)}.")
    if known_codes is not None:
        target = data.get("redirect_to", "")
        if target and not target.startswith("category:") and target not in known_codes:
            raise DataFileError(f"{where}: redirect_to {target!r} is not a code in taxonomy.csv.")
    return Rule(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class RuleSet:
    """The rules in file order, compiled once; safe to share between threads (read-only)."""

    def __init__(self, rules: list[Rule]):
        self.rules = tuple(rules)
        self._compiled = tuple(
            CompiledRule(r, *(tuple(_compile_term(t) for t in terms) for terms in (r.any_terms, r.also_terms, r.unless_terms)))
            for r in rules
        )

    @classmethod
    def load(cls, path: Path, known_codes: set[str] | None = None) -> RuleSet:
        if not path.is_file():
            raise DataFileError(f"Expected the rule file {path}; it does not exist. Restore it from git.")
        rules, seen = [], set()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{where}: expected one JSON object per line; {exc}.") from exc
            rule = _parse_rule(data, where, known_codes)
            if rule.id in seen:
                raise DataFileError(f"{where}: rule id {rule.id!r} is used twice; ids must be unique.")
            seen.add(rule.id)
            rules.append(rule)
        return cls(rules)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.rules)

    def by_id(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def applies_to(self, rule_id: str, code: str) -> bool:
        """Whether the rule's ``when_codes`` cover ``code``."""
        return next(c for c in self._compiled if c.rule.id == rule_id).applies_to((code,))

    def redirects(self, normalised_text: str, codes: tuple[str, ...]) -> list[RuleHit]:
        """Redirect rules for the suggested code or a code the text claims (「可以申請 4.12.1 嗎?」)."""
        return [hit for c in self._compiled if c.rule.effect == "redirect"
                if (hit := c.match(normalised_text, codes))]

    def evaluate(self, normalised_text: str, code: str) -> list[RuleHit]:
        """Verdict rules (ineligible, conditional, note) that fire for the suggested code."""
        fired: list[RuleHit] = []
        for compiled in self._compiled:
            rule = compiled.rule
            if rule.effect == "redirect" or any(h.rule_id in rule.unless_rules for h in fired):
                continue
            if hit := compiled.match(normalised_text, (code,)):
                fired.append(hit)
        return fired


def verdict_of(hits: list[RuleHit] | tuple[RuleHit, ...]) -> str:
    verdict = "eligible"
    for hit in hits:
        if hit.effect in VERDICT_RANK and VERDICT_RANK[hit.effect] > VERDICT_RANK[verdict]:
            verdict = hit.effect
    return verdict
