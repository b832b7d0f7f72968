"""Frozen records that cross module boundaries. Codes are always strings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERDICTS = ("eligible", "conditional", "ineligible")


@dataclass(frozen=True)
class SubItem:
    code: str
    name: str
    subcategory_code: str
    subcategory_name: str
    category_code: str
    category_name: str
    definition: str
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def name_en(self) -> str:
        """The English name where the taxonomy gives one (an alias written in Latin letters), else ''."""
        return next((a for a in self.aliases if a.isascii() and any(ch.isalpha() for ch in a)), "")

    @property
    def path(self) -> str:
        return f"{self.category_code} {self.category_name} › {self.subcategory_code} {self.subcategory_name} › {self.code} {self.name}"


@dataclass(frozen=True)
class Ruling:
    """One FAQ question and its answer from the official briefing."""

    faq: int
    question: str
    answer: str
    codes: tuple[str, ...]
    verdict: str
    rule: str
    rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplicationNote:
    """What an application must show, from the briefing's rules and the FAQ."""

    id: str
    source: str
    zh: str
    en: str


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    code: str
    verdict: str = "eligible"
    rule_ids: tuple[str, ...] = ()
    source: str = "example"


@dataclass(frozen=True)
class Rule:
    """An eligibility rule kept as data (see data/rules.jsonl)."""

    id: str
    faq: int
    effect: str  # ineligible | conditional | redirect
    message_zh: str
    message_en: str
    when_codes: tuple[str, ...] = ()
    any_terms: tuple[str, ...] = ()
    also_terms: tuple[str, ...] = ()
    unless_terms: tuple[str, ...] = ()
    unless_rules: tuple[str, ...] = ()
    redirect_to: str = ""
    max_chars: int = 0  # when set, the rule fires only on descriptions this short (spaces not counted)
    question_zh: str = ""
    question_en: str = ""


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    faq: int
    effect: str
    message_zh: str
    message_en: str
    matched: tuple[str, ...] = ()
    question_zh: str = ""
    question_en: str = ""
    # For a learned ruling detector's hit: the sentence of the description it scored highest.
    trigger: str = ""

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def question(self, lang: str = "zh") -> str:
        return self.question_en if lang == "en" else self.question_zh


@dataclass(frozen=True)
class Precedent:
    """A reference text that supports a suggestion: an FAQ ruling, an example or a definition."""

    source: str  # faq | example | definition
    ref: str  # FAQ number, example id or code
    code: str
    text: str
    similarity: float
    verdict: str = "eligible"  # the precedent's own verdict, so an ineligible case is never shown as plain support


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    path: str
    score: float
    confidence: float
    definition: str
    matched_terms: tuple[str, ...] = ()
    precedents: tuple[Precedent, ...] = ()


@dataclass(frozen=True)
class Contrast:
    """Why the description is not (or less) another item: its standing and what is missing."""

    code: str
    name: str
    path: str
    rank: int
    score: float
    confidence: float
    gap: float
    definition: str
    matched_terms: tuple[str, ...] = ()
    missing_terms: tuple[str, ...] = ()
    rule_hits: tuple[RuleHit, ...] = ()
    precedents: tuple[Precedent, ...] = ()


@dataclass(frozen=True)
class Service:
    """One of several services found in a description: the passage and its best item."""

    passage: str
    suggestion: Suggestion
    verdict: str
    rule_hits: tuple[RuleHit, ...] = ()


@dataclass(frozen=True)
class Prediction:
    text: str
    normalised: str
    suggestions: tuple[Suggestion, ...]
    verdict: str
    rule_hits: tuple[RuleHit, ...] = ()
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()
    follow_up: tuple[str, ...] = ()
    truncated: bool = False
    scores: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    # Which path answered: "first_pass" (static word vectors) or "full_model" (the embedding model).
    answered_by: str = "full_model"

    @property
    def best(self) -> Suggestion:
        return self.suggestions[0]

    @property
    def code(self) -> str:
        return self.suggestions[0].code

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(hit.rule_id for hit in self.rule_hits)

    def questions(self, lang: str = "zh") -> tuple[str, ...]:
        """The follow-up questions of the rulings that fired, in "zh" or "en", each once."""
        if lang == "zh":
            return self.follow_up
        return tuple(dict.fromkeys(h.question_en for h in self.rule_hits if h.question_en))

    def to_dict(self, *, with_scores: bool = False) -> dict:
        data = asdict(self)
        if not with_scores:
            data.pop("scores")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Prediction:
        """The inverse of ``to_dict`` (lists back to tuples, nested records rebuilt)."""
        suggestions = tuple(
            Suggestion(**{**s, "matched_terms": tuple(s["matched_terms"]),
                          "precedents": tuple(Precedent(**p) for p in s["precedents"])})
            for s in data["suggestions"])
        hits = tuple(RuleHit(**{**h, "matched": tuple(h["matched"])}) for h in data["rule_hits"])
        return cls(**{**data, "suggestions": suggestions, "rule_hits": hits,
                      "review_reasons": tuple(data["review_reasons"]), "follow_up": tuple(data["follow_up"]),
                      "scores": dict(data.get("scores") or {})})
