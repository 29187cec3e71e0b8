"""Bill numbers: one normalized form ("HB 33") from any spelling, and back to a state's own style.

"H. B. No. 33", "H.B. 33", "HB33", "hb33", "House Bill 33", "Am. Sub. H.B. 33" -> "HB 33";
"S.R.No.1" -> "SR 1"; "House Joint Resolution 2" -> "HJR 2"; Colorado's "HB24-1001" -> "HB 24-1001".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Words that spell out a prefix letter.
_WORDS = {
    "HOUSE": "H",
    "SENATE": "S",
    "ASSEMBLY": "A",
    "BILL": "B",
    "BILLS": "B",
    "RESOLUTION": "R",
    "JOINT": "J",
    "CONCURRENT": "C",
    "DOCKET": "D",
}
# Words that say how a bill was amended, not which bill it is.
_MODIFIERS = {"AM", "SUB", "AMENDED", "SUBSTITUTE", "ENGROSSED", "ENROLLED", "NO", "NUMBER"}

_FULL = re.compile(r"^\s*(?P<prefix>[A-Za-z][A-Za-z.\s]*?)\s*(?:No\.?|#)?\s*(?P<num>\d+(?:-\d+)?)\s*$")

_REF = re.compile(
    r"""(?<![A-Za-z0-9])
    (?:(?:Am|Sub)\.\s*)*
    (?P<prefix>
        (?:House|Senate)\s+(?:Joint\s+|Concurrent\s+)?(?:Bill|Resolution)
      | [HS]\.?\s?(?:[JC]\.?\s?)?[BR]\.?
    )
    \s*(?:No\.?\s*)?
    (?P<num>\d{1,5}(?:-\d{1,5})?)
    (?![0-9A-Za-z])""",
    re.IGNORECASE | re.VERBOSE,
)


class BillNumberError(ValueError):
    pass


def _prefix_letters(raw: str) -> str:
    words = [w for w in re.split(r"[\s.]+", raw.upper()) if w]
    letters = []
    for word in words:
        if word in _MODIFIERS:
            continue
        letters.append(_WORDS.get(word, word))
    return "".join(letters)


def normalize(text: str, aliases: Mapping[str, str] | None = None) -> str:
    """Return the normalized identifier, e.g. "HB 33". `aliases` maps extra prefixes ("HOUSE DOCKET") to canonical ones."""
    match = _FULL.match(text)
    if not match:
        raise BillNumberError(f"not a bill number: {text!r}")
    prefix = _prefix_letters(match["prefix"])
    if aliases:
        upper = {k.upper().replace(".", "").replace(" ", ""): v for k, v in aliases.items()}
        prefix = upper.get(prefix, prefix)
    if not prefix or not prefix.isalpha():
        raise BillNumberError(f"not a bill number: {text!r}")
    number = match["num"]
    head, _, tail = number.partition("-")
    number = f"{int(head)}-{int(tail)}" if tail else str(int(head))
    return f"{prefix} {number}"


def try_normalize(text: str, aliases: Mapping[str, str] | None = None) -> str | None:
    try:
        return normalize(text, aliases)
    except BillNumberError:
        return None


def find_refs(text: str) -> list[str]:
    """Every bill referred to in free text, normalized, in order of first mention, without repeats."""
    seen: dict[str, None] = {}
    for match in _REF.finditer(text):
        ident = try_normalize(f"{match['prefix']} {match['num']}")
        if ident:
            seen.setdefault(ident, None)
    return list(seen)


def display(identifier: str, style: Mapping[str, str] | None = None) -> str:
    """The state's own style: with style {"HB": "H.B."}, "HB 33" -> "H.B. 33". Unknown prefixes stay as they are."""
    prefix, _, number = identifier.partition(" ")
    if style and prefix in style:
        return f"{style[prefix]} {number}"
    return identifier


def sort_key(identifier: str) -> tuple[str, int, str]:
    prefix, _, number = identifier.partition(" ")
    head = number.split("-")[-1]
    return (prefix, int(head) if head.isdigit() else 0, number)
