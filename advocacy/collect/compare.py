"""Two versions of a bill, compared the way an advocate reads them: which sections were added, removed or moved,
which words changed (with the lines around them), and every dollar amount and percentage that changed.

Pure functions over two texts. Sections are matched first (by number, then by identical body), so a
1,000-page budget bill is compared section against section instead of as one long sequence: the line diff runs
only inside sections whose text changed, and the word diff only inside changed lines.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

HEADING = re.compile(r"^\s*(?:SECTION|Section|SEC\.|Sec\.)\s+(\d+[A-Za-z]?(?:\.\d+)*)\.(?:\s|$)")
# $1,250,000 / $3.5 million / 12.5% / 12 percent / fifteen per cent is left alone (rare in budget lines)
AMOUNT = re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?(?:\s(?:thousand|million|billion))?|\b\d+(?:\.\d+)?\s?(?:%|percent\b|per cent\b)")
WORD = re.compile(r"\S+")
CONTEXT = 1  # unchanged lines shown around each change
ALIKE = 0.5  # share of words two sections must have in common to be one section changed, not one out, one in
MAX_PAIRINGS = 250_000  # beyond this many (old, new) candidates, a changed section is looked for by number only


@dataclass(frozen=True)
class Section:
    label: str  # "Sec. 3" or "(opening)"
    number: str
    lines: tuple[str, ...]

    @property
    def digest(self) -> str:
        body = " ".join(" ".join(self.lines[1:] if self.number else self.lines).split())
        return hashlib.sha1(body.encode()).hexdigest()


@dataclass(frozen=True)
class Piece:
    kind: str  # same, added, removed
    text: str
    amount: bool = False  # a dollar amount or percentage: highlighted


@dataclass(frozen=True)
class Hunk:
    section: str
    before: tuple[str, ...]  # unchanged context lines
    pieces: tuple[Piece, ...]  # the changed lines, word by word
    after: tuple[str, ...]
    added_words: int
    removed_words: int


@dataclass(frozen=True)
class AmountChange:
    section: str
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass
class Comparison:
    old_name: str
    new_name: str
    added_sections: list[str] = field(default_factory=list)
    removed_sections: list[str] = field(default_factory=list)
    moved_sections: list[str] = field(default_factory=list)
    renumbered: list[tuple[str, str]] = field(default_factory=list)  # (old label, new label)
    hunks: list[Hunk] = field(default_factory=list)
    amounts: list[AmountChange] = field(default_factory=list)

    @property
    def words_added(self) -> int:
        return sum(h.added_words for h in self.hunks)

    @property
    def words_removed(self) -> int:
        return sum(h.removed_words for h in self.hunks)

    @property
    def identical(self) -> bool:
        return not (self.hunks or self.added_sections or self.removed_sections or self.moved_sections
                    or self.renumbered)


def sections(text: str) -> list[Section]:
    """Split at section headings ("Section 3.", "SEC. 12.", "Sec. 3317.02"); text before the first is the opening."""
    out: list[Section] = []
    label, number, lines = "(opening)", "", []
    for line in text.split("\n"):
        match = HEADING.match(line)
        if match:
            if lines:
                out.append(Section(label, number, tuple(lines)))
            number = match.group(1)
            label, lines = f"Sec. {number}", []
        lines.append(line)
    if lines:
        out.append(Section(label, number, tuple(lines)))
    return _unique_labels(out)


def _unique_labels(found: list[Section]) -> list[Section]:
    seen: dict[str, int] = {}
    out = []
    for section in found:
        seen[section.label] = seen.get(section.label, 0) + 1
        label = section.label if seen[section.label] == 1 else f"{section.label} ({seen[section.label]})"
        out.append(Section(label, section.number, section.lines))
    return out


def _words_of(section: Section) -> frozenset[str]:
    return frozenset(" ".join(section.lines[1:] if section.number else section.lines).lower().split())


def _similar(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """How much of the smaller section's words the other holds: a section that grew or shrank scores high."""
    return len(a & b) / min(len(a), len(b)) if a and b else float(a == b)


def _pair(old: list[Section], new: list[Section]) -> tuple[list[tuple[Section, Section]], list[Section], list[Section]]:
    """Pairs of the same section in both versions: identical bodies first (a renumbered section keeps its words),
    then the same number if the words are alike, then the most alike section nearby. The rest: removed, added."""
    pairs: list[tuple[Section, Section]] = []
    by_digest: dict[str, list[Section]] = {}
    for section in new:
        by_digest.setdefault(section.digest, []).append(section)
    left_old = []
    for section in old:
        twins = by_digest.get(section.digest)
        if twins:
            pairs.append((section, twins.pop(0)))
        else:
            left_old.append(section)
    taken = {id(n) for _, n in pairs}
    left_new = [s for s in new if id(s) not in taken]
    words = {id(s): _words_of(s) for s in (*left_old, *left_new)}
    by_label = {s.label: s for s in left_new}
    unpaired = []
    for section in left_old:
        twin = by_label.get(section.label)
        if twin is not None and id(twin) not in taken and _overlap(words[id(section)], words[id(twin)]) >= ALIKE:
            pairs.append((section, twin))
            taken.add(id(twin))
        else:
            unpaired.append(section)
    removed = []
    search_all = len(unpaired) * len(left_new) <= MAX_PAIRINGS
    for section in unpaired:
        near = [n for n in left_new if id(n) not in taken and (search_all or n.label == section.label)]
        best = max(near, key=lambda n: _similar(words[id(section)], words[id(n)]), default=None)
        if best is not None and _similar(words[id(section)], words[id(best)]) >= ALIKE:
            pairs.append((section, best))
            taken.add(id(best))
        else:
            removed.append(section)
    return pairs, removed, [s for s in new if id(s) not in taken]


def _moved(old: list[Section], new: list[Section], pairs: list[tuple[Section, Section]]) -> list[str]:
    """Paired sections that left the order the others keep (the longest common order stays put)."""
    new_pos = {s.label: i for i, s in enumerate(new)}
    partner = {id(o): n for o, n in pairs}
    old_order = [o for o in old if id(o) in partner]
    sequence = [new_pos[partner[id(o)].label] for o in old_order]
    keep = set(_longest_increasing(sequence))
    return [partner[id(o)].label for o, pos in zip(old_order, sequence, strict=True) if pos not in keep]


def _longest_increasing(values: Sequence[int]) -> list[int]:
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = [-1] * len(values)
    for i, value in enumerate(values):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        back[i] = tail_at[k - 1] if k else -1
    out, i = [], tail_at[-1] if tail_at else -1
    while i != -1:
        out.append(values[i])
        i = back[i]
    return out[::-1]


def _words(kind: str, words: Sequence[str]) -> Iterator[Piece]:
    for word in words:
        yield Piece(kind, word, bool(AMOUNT.search(word)))


def _word_pieces(old_lines: Sequence[str], new_lines: Sequence[str]) -> tuple[list[Piece], int, int]:
    old_words = WORD.findall("\n".join(old_lines))
    new_words = WORD.findall("\n".join(new_lines))
    pieces: list[Piece] = []
    added = removed = 0
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op == "equal":
            pieces += _words("same", old_words[a1:a2])
            continue
        pieces += _words("removed", old_words[a1:a2])
        pieces += _words("added", new_words[b1:b2])
        removed += a2 - a1
        added += b2 - b1
    return pieces, added, removed


def _lines(section: Section) -> list[str]:
    """Lines with spacing evened out; the heading's own number is left out (renumbering is reported apart)."""
    lines = [" ".join(line.split()) for line in section.lines]
    if section.number and lines:
        lines[0] = lines[0].replace(section.number, "#", 1)
    return lines


def _section_hunks(old: Section, new: Section) -> Iterator[Hunk]:
    a, b = _lines(old), _lines(new)
    shown_a = [" ".join(line.split()) for line in old.lines]
    shown_b = [" ".join(line.split()) for line in new.lines]
    for op, a1, a2, b1, b2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        pieces, added, removed = _word_pieces(shown_a[a1:a2], shown_b[b1:b2])
        if not added and not removed:
            continue  # only spacing or line breaks moved
        yield Hunk(new.label, tuple(shown_a[max(0, a1 - CONTEXT):a1]), tuple(pieces),
                   tuple(shown_b[b2:b2 + CONTEXT]), added, removed)


def _amounts(section: str, old_text: str, new_text: str) -> AmountChange | None:
    before, after = AMOUNT.findall(old_text), AMOUNT.findall(new_text)
    if sorted(before) == sorted(after):
        return None
    gone = [a for a in before if a not in after]
    came = [a for a in after if a not in before]
    return AmountChange(section, tuple(gone), tuple(came)) if gone or came else None


def compare(old_text: str, new_text: str, old_name: str = "old", new_name: str = "new") -> Comparison:
    old, new = sections(old_text), sections(new_text)
    pairs, removed, added = _pair(old, new)
    result = Comparison(old_name, new_name, added_sections=[s.label for s in added],
                        removed_sections=[s.label for s in removed], moved_sections=_moved(old, new, pairs))
    result.renumbered = [(o.label, n.label) for o, n in pairs if o.label != n.label and o.number and n.number]
    order = {s.label: i for i, s in enumerate(new)}
    for old_section, new_section in sorted(pairs, key=lambda p: order[p[1].label]):
        if old_section.lines == new_section.lines:
            continue
        result.hunks += _section_hunks(old_section, new_section)
        change = _amounts(new_section.label, "\n".join(old_section.lines), "\n".join(new_section.lines))
        if change:
            result.amounts.append(change)
    for section in added:
        change = _amounts(section.label, "", "\n".join(section.lines))
        if change:
            result.amounts.append(change)
    return result


def _list(labels: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def summary(result: Comparison) -> str:
    """A short plain-text "what the substitute changed" block the advocate can paste into commentary."""
    if result.identical:
        return f"{result.new_name} makes no change to the text of {result.old_name}."
    lines = [f"What {result.new_name} changed (compared with {result.old_name}):"]
    if result.added_sections:
        lines.append(f"- Added: {_list(result.added_sections)}.")
    if result.removed_sections:
        lines.append(f"- Removed: {_list(result.removed_sections)}.")
    if result.moved_sections:
        lines.append(f"- Moved: {_list(result.moved_sections)}.")
    if result.renumbered:
        lines.append(f"- Renumbered: {_list([f'{a} -> {b}' for a, b in result.renumbered])}.")
    changed = list(dict.fromkeys(h.section for h in result.hunks))
    if changed:
        lines.append(f"- Reworded: {_list(changed)} ({result.words_added} words added, "
                     f"{result.words_removed} removed).")
    for change in result.amounts[:8]:
        before = ", ".join(change.before) or "none"
        after = ", ".join(change.after) or "none"
        lines.append(f"- {change.section}: {before} -> {after}.")
    if len(result.amounts) > 8:
        lines.append(f"- {len(result.amounts) - 8} more sections change amounts.")
    return "\n".join(lines)
