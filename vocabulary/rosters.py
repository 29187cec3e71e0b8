"""Pure spelling rules shared by the people sources and the store: districts, parties, roles, committee names.

Sources write the same thing many ways ("HD-007", "7", "District 7"; "party_republican_1", "Republican", "R";
"Vice Chair", "Vice-Chairman", "vice_chair"). Matching a member's district to a seat, or a hearing's committee to
a roster, needs one spelling of each.
"""

from __future__ import annotations

import re

ROLES = ("chair", "vice_chair", "ranking_member", "member")
ROLE_LABELS = {"chair": "chair", "vice_chair": "vice chair", "ranking_member": "ranking member", "member": "a member"}
CHAMBER_WORDS = {
    "house": "House", "lower": "House", "rep": "House", "representative": "House", "assembly": "House",
    "senate": "Senate", "upper": "Senate", "sen": "Senate", "senator": "Senate",
    "joint": "Joint", "legislature": "Joint",
}
TITLES = {"House": "Rep.", "Senate": "Sen."}
_PARTIES = {"republican": "R", "democrat": "D", "democratic": "D", "independent": "I", "libertarian": "L",
            "green": "G", "nonpartisan": "NP"}
_FILLER = {"committee", "on", "the", "of", "standing"}


def district_key(text: object) -> str:
    """ "HD-007", "SD 7", "District 07", 7 -> "7"; a name-like district ("Suffolk 3") is kept, tidied."""
    raw = str(text or "").strip()
    if not raw:
        return ""
    digits = re.fullmatch(r"(?:[A-Za-z]{1,3}[- ]?|district\s+)?0*(\d+)", raw, flags=re.IGNORECASE)
    if digits:
        return digits[1]
    return " ".join(raw.split()).lower()


def chamber_name(text: str) -> str:
    """ "lower", "House", "Rep" -> "House"; "" when unknown."""
    return CHAMBER_WORDS.get(text.strip().lower().rstrip("."), "")


def party_code(text: str) -> str:
    """ "party_republican_1", "Republican", "R" -> "R"."""
    lowered = text.strip().lower()
    if not lowered:
        return ""
    if len(lowered) <= 2:
        return lowered.upper()
    for word, code in _PARTIES.items():
        if word in lowered:
            return code
    return text.strip()


def role_key(text: str) -> str:
    """ "Vice Chair", "Vice-Chairman", "Ranking Minority Member", "Chairwoman" -> one of ROLES."""
    lowered = re.sub(r"[^a-z ]", " ", text.lower())
    words = lowered.split()
    if "ranking" in words:
        return "ranking_member"
    if "vice" in words or "vicechair" in words:
        return "vice_chair"
    if any(w.startswith("chair") for w in words) and "sub" not in lowered:
        return "chair"
    return "member"


def committee_key(name: str, chamber: str = "") -> str:
    """One spelling for matching: "House Primary & Secondary Education Committee" and ("Primary and Secondary
    Education", "House") are both "house primary and secondary education"."""
    words = re.sub(r"[^a-z0-9 ]", " ", name.lower().replace("&", " and ")).split()
    words = [w for w in words if w not in _FILLER]
    first = CHAMBER_WORDS.get(words[0], "") if words else ""
    if first in ("House", "Senate", "Joint"):
        words = words[1:]
        chamber = chamber or first
    prefix = chamber_name(chamber).lower() if chamber else ""
    return " ".join(([prefix] if prefix else []) + words)


def committee_display(name: str, chamber: str) -> str:
    """ "Primary and Secondary Education", "House" -> "House Primary and Secondary Education"."""
    name = " ".join(name.split())
    chamber = chamber_name(chamber) if chamber else ""
    if not chamber or name.lower().startswith(chamber.lower()) or chamber == "Joint":
        return name
    return f"{chamber} {name}"
