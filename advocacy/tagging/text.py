"""Words for the tagger: one normal form for a rule's phrase and a bill's text, so that they can meet.

Text is folded to lower case, split into words (letters and digits; an inner apostrophe stays, so "district's"
is one word) and each word loses its inflection only: plural and possessive endings, "-ed" and "-ing", and a final
"e", so "levies" meets "levy", "licensed" meets "license", "buses" meets "bus". Derivations are left alone on
purpose: "regional" does not meet "regionalization", nor "instructional" "instruction" (a full Porter stemmer
joins those and tagged "regional transit" as school governance). Words are whole tokens, so "levy" never matches
inside "Leavy" and "IEP" never inside "recipe". Punctuation separates words: "K-12" is "k 12", "3317.02" is
"3317 02", and a phrase is normalized the same way as the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[0-9a-z]+(?:'[0-9a-z]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_VOWELS = set("aeiouy")
_IRREGULAR = {
    "children": "child",
    "women": "woman",
    "men": "man",
    "people": "person",
    "curricula": "curriculum",
    "criteria": "criterion",
    "bused": "bus",
    "busing": "bus",
    "bussed": "bus",
    "bussing": "bus",
    "feet": "foot",
}
# Doubled final consonants that "-ed"/"-ing" leave behind ("stopped" -> "stopp" -> "stop"); not l, s or z,
# which English doubles in the stem itself ("bill", "pass", "buzz").
_UNDOUBLE = re.compile(r"([bdfgkmnprt])\1$")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The inflection-free form of one lower-case word."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if "'" in word:
        word = word.split("'", 1)[0]
    if not word.isalpha() or len(word) <= 3:
        return word
    word = _singular(word)
    word = _unverb(word)
    if len(word) > 3 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4 and word[-4] not in "aeiou":
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _unverb(word: str) -> str:
    if word.endswith("ied") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if not word.endswith(suffix) or word.endswith("eed"):
            continue
        base = word[: -len(suffix)]
        if len(base) >= 3 and _VOWELS & set(base):
            return _UNDOUBLE.sub(r"\1", base)
    return word


def fold(text: str) -> str:
    """Unicode-compatible lower case with typographic apostrophes made plain."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


# Punctuation between two words that ends a phrase: "Health, Education" is not "health education". Hyphens,
# slashes and apostrophes join ("K-12", "1/2"); a period joins only inside a token like "3317.02".
_BREAK = re.compile(r"[,;:()\[\]{}!?\"|]|\.\s")


@dataclass(frozen=True)
class Words:
    """The stemmed words of one piece of text, and where each came from, to quote the text back in a reason."""

    text: str
    stems: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    # joined[i]: no phrase-breaking punctuation between word i-1 and word i (joined[0] is always False).
    joined: tuple[bool, ...]

    def surface(self, start: int, end: int) -> str:
        """The original text of words start..end-1."""
        return self.text[self.spans[start][0] : self.spans[end - 1][1]]

    def find(self, phrase: tuple[str, ...]) -> list[int]:
        """Start positions of every occurrence of `phrase` (stemmed words) as whole consecutive words."""
        size = len(phrase)
        if not size or size > len(self.stems):
            return []
        first = phrase[0]
        return [
            i
            for i, word in enumerate(self.stems[: len(self.stems) - size + 1])
            if word == first and self.stems[i : i + size] == phrase and all(self.joined[i + 1 : i + size])
        ]


def words(text: str) -> Words:
    """Split and stem `text`; NFKC folding keeps one character per character, so spans index the original."""
    folded = fold(text)
    if len(folded) != len(text):
        # A few characters (e.g. the ligature "\ufb01") expand when folded; quote from the folded text then.
        text = folded
    found = list(_WORD.finditer(folded))
    spans = tuple(m.span() for m in found)
    joined = tuple(
        i > 0 and not _BREAK.search(folded[spans[i - 1][1] : spans[i][0]]) for i in range(len(spans))
    )
    return Words(text=text, stems=tuple(stem(m.group()) for m in found), spans=spans, joined=joined)


def phrase_words(phrase: str) -> tuple[str, ...]:
    """The stemmed words of a rule's phrase; empty when the phrase has no letters or digits."""
    return words(phrase).stems


def plain_words(text: str) -> tuple[str, ...]:
    """Lower-case words without stemming, for names (committees, sponsors) that must match as written."""
    return tuple(_WORD.findall(fold(text).replace("&", " and ")))
