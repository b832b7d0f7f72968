"""Read registered codes through the crosswalk: old or misspelt codes and names → current codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from classifier.engine.normalise import normalise
from classifier.errors import DataFileError
from classifier.taxonomy.loaders import Taxonomy, read_csv_str

_SPLIT = re.compile(r"[;,、\n|]+")
_LEADING_CODE = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){2})\s*(.*)$")


@dataclass(frozen=True)
class Resolved:
    codes: tuple[str, ...]
    unresolved: tuple[str, ...] = ()


@dataclass(frozen=True)
class Crosswalk:
    taxonomy: Taxonomy
    entries: tuple[tuple[str, str, str], ...]  # (source, code, note)

    @classmethod
    def load(cls, path: Path, taxonomy: Taxonomy) -> Crosswalk:
        frame = read_csv_str(path, ("source", "code", "note"))
        bad = sorted({c for c in frame["code"] if c not in taxonomy})
        if bad:
            raise DataFileError(f"{path.name}: expected target codes from taxonomy.csv; found {bad}. Fix data/crosswalk.csv.")
        return cls(taxonomy, tuple(frame[["source", "code", "note"]].itertuples(index=False, name=None)))

    @cached_property
    def _names(self) -> dict[str, str]:
        names = {}
        for item in self.taxonomy.items:
            for name in (item.name, *item.aliases):
                names.setdefault(normalise(name), item.code)
        for source, code, _note in self.entries:
            names[normalise(source)] = code
        return names

    def resolve(self, cell: object) -> Resolved:
        """Codes named in a registry cell such as 「4.1.2；2.3.4 無人機應用」 or 「智能結帳/商品識別」."""
        if cell is None or not str(cell).strip():
            return Resolved(())
        codes, unresolved = [], []
        for raw in _SPLIT.split(str(cell).replace("；", ";").replace("，", ",")):
            part = raw.strip()
            if not part:
                continue
            code = self._resolve_part(part)
            if code:
                codes.append(code)
            else:
                unresolved.append(part)
        return Resolved(tuple(dict.fromkeys(codes)), tuple(unresolved))

    def _resolve_part(self, part: str) -> str | None:
        key = normalise(part)
        if key in self._names:
            return self._names[key]
        match = _LEADING_CODE.match(key)
        if match:
            code, rest = match.groups()
            if code in self.taxonomy:
                return code
            if code in self._names:
                return self._names[code]
            return self._names.get(rest.strip()) if rest.strip() else None
        return None
