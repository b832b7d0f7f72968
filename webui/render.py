"""Safe Markdown for user text: every special character escaped, matched terms highlighted.

User text is never rendered as HTML; it goes through `escape_markdown`, and highlights use
Streamlit's own `:color-background[...]` directive around already-escaped text.
"""

from __future__ import annotations

_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=&\"'^%@")


def escape_markdown(text: str) -> str:
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("  \n")
        else:
            out.append(ch)
    return "".join(out)


def highlight_spans(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of the terms in the text, longest first. The classifier
    reports matched terms as spans of the user's own text, so they are found as written."""
    taken = [False] * len(text)
    spans = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                spans.append((start, end))
                for i in range(start, end):
                    taken[i] = True
            start = text.find(term, end)
    return sorted(spans)


def highlight_markdown(text: str, terms: tuple[str, ...], colour: str = "orange") -> str:
    pieces, last = [], 0
    for start, end in highlight_spans(text, terms):
        pieces.append(escape_markdown(text[last:start]))
        pieces.append(f":{colour}-background[{escape_markdown(text[start:end])}]")
        last = end
    pieces.append(escape_markdown(text[last:]))
    return "".join(pieces)
