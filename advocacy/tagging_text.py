"""Words for the tagger: one normal form for a rule's phrase and a bill's text, so that they can meet.

Text is folded to lower case, split into words (letters and digits; an inner apostrophe stays, so "district's"
is one word) and each word is stemmed with the Snowball English stemmer. "Levies" and "levy" both become "levi",
"school districts" becomes "school district". Words are whole tokens, so "levy" never matches inside "Leavy" and
"IEP" never matches inside "recipe". Punctuation separates words: "K-12" is the two words "k 12", "3317.02" is
"3317 02", and a phrase written "K-12" is normalized the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[0-9a-z]+(?:'[0-9a-z]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})

# Plurals the Porter2 stemmer leaves apart from their singular ("buses" -> "buse", "bus" -> "bus").
_IRREGULAR = {
    "buse": "bus",
    "buss": "bus",
    "children": "child",
    "curricula": "curriculum",
    "criteria": "criterion",
    "women": "woman",
    "men": "man",
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one lower-case word. A stemmer object is cheap and not thread-safe, so each call makes one."""
    stemmed = snowballstemmer.stemmer("english").stemWord(word)
    return _IRREGULAR.get(stemmed, stemmed)


def fold(text: str) -> str:
    """Unicode-compatible lower case with typographic apostrophes made plain."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


@dataclass(frozen=True)
class Words:
    """The stemmed words of one piece of text, and where each came from, to quote the text back in a reason."""

    text: str
    stems: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

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
            if word == first and self.stems[i : i + size] == phrase
        ]


def words(text: str) -> Words:
    """Split and stem `text`; NFKC folding keeps one character per character, so spans index the original."""
    folded = fold(text)
    if len(folded) != len(text):
        # A few characters (e.g. the ligature "ﬁ") expand when folded; quote from the folded text then.
        text = folded
    found = list(_WORD.finditer(folded))
    return Words(
        text=text,
        stems=tuple(stem(m.group()) for m in found),
        spans=tuple(m.span() for m in found),
    )


def phrase_words(phrase: str) -> tuple[str, ...]:
    """The stemmed words of a rule's phrase; empty when the phrase has no letters or digits."""
    return words(phrase).stems


def plain_words(text: str) -> tuple[str, ...]:
    """Lower-case words without stemming, for names (committees, sponsors) that must match as written."""
    return tuple(_WORD.findall(fold(text).replace("&", " and ")))
