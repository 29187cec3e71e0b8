from __future__ import annotations

import pytest

from advocacy.tagging.text import phrase_words, stem, words


def _found(phrase: str, text: str) -> bool:
    return bool(words(text).find(phrase_words(phrase)))


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("levy", "renewal levies"),
        ("levy", "the board levied a tax"),
        ("levy", "levying a tax"),
        ("voucher", "private school vouchers"),
        ("school district", "city school districts"),
        ("school district", "the school district's treasurer"),
        ("school bus", "cameras on school buses"),
        ("license", "teachers whose licenses lapsed"),
        ("licensed", "a license to teach"),
        ("IEP", "their IEPs"),
        ("TIF", "municipal TIFs"),
        ("child", "children with disabilities"),
        ("curriculum", "evidence-based curricula"),
        ("teacher", "teachers' retirement"),
        ("K-12", "students in K 12 schools"),
    ],
)
def test_phrase_matches_inflected_forms(phrase: str, text: str) -> None:
    assert _found(phrase, text)


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("levy", "Sponsored by Rep. Leavy"),
        ("IEP", "a RECIPE for school lunch"),
        ("TIF", "tiffany lamps"),
        ("voucher", "vouchsafe"),
        ("regionalization", "regional transit authorities"),
        ("instructional hours", "instruction hours for cosmetology"),
        ("teacher", "teach"),
        ("health education", "Senate Health, Education, Labor, and Pensions"),
        ("school district", "school; district"),
    ],
)
def test_phrase_respects_word_and_punctuation_boundaries(phrase: str, text: str) -> None:
    assert not _found(phrase, text)


def test_decimal_section_numbers_stay_joined_but_sentences_break() -> None:
    assert _found("3317 02", "section 3317.02 of the Revised Code")
    assert not _found("education next", "higher education. Next")


def test_typographic_apostrophe_and_case_are_folded() -> None:
    assert words("DISTRICT\u2019S Levies").stems == words("district's levy").stems


def test_stem_keeps_short_words_and_numbers() -> None:
    assert [stem(w) for w in ("bus", "gas", "its", "3317", "k")] == ["bus", "gas", "its", "3317", "k"]


def test_surface_quotes_the_original_text() -> None:
    found = words("Regards School District Levies")
    start = found.find(phrase_words("school district levy"))[0]
    assert found.surface(start, start + 3) == "School District Levies"


def test_phrase_without_letters_has_no_words() -> None:
    assert phrase_words(" -- ! ") == ()
