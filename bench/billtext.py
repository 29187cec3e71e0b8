"""Bill text on a generated 1,000-page budget bill: extraction (PDF and HTML) and version comparison, each beside
its floor, in one run.

    .venv/bin/python bench/billtext.py --pages 1000

Extraction: the project's `scrapers.billtext.extract` against the floor of pypdf's bare `extract_text()` per page
(PDF) and a regular expression that drops tags (HTML). Comparison: `advocacy.collect.compare.compare` (sections
matched, moves, word changes, amounts) against the floor of `difflib.unified_diff` over the lines, which only says
which lines differ. Prints project / floor / ratio (CPU) and the peak memory each added (`bench/harness.py`); no
ratio target: the floors do much less (the ratios say what the extra work costs).
"""

from __future__ import annotations

import argparse
import difflib
import io
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader  # noqa: E402

from advocacy.collect.compare import compare, summary  # noqa: E402
from bench.harness import Row, exit_code, measure, report  # noqa: E402
from scrapers.billtext import extract  # noqa: E402
from tests.pdfmaker import make_pdf  # noqa: E402

T = TypeVar("T")

LINES_PER_PAGE = 50
WORDS = ("district", "fund", "appropriation", "pupil", "the", "shall", "department", "education", "board",
         "fiscal", "year", "amount", "school", "foundation", "payment", "formula", "county", "of", "and", "per")


def budget_pages(pages: int, seed: int = 7) -> list[list[str]]:
    """Pages of a budget bill: a section every 25 lines, line items with dollar amounts and percentages."""
    rng = random.Random(seed)
    out, number = [], 0
    for _ in range(pages):
        page = []
        for line in range(LINES_PER_PAGE):
            if line % 25 == 0:
                number += 1
                page.append(f"Section {number}. Appropriations for line item {200000 + number}.")
            elif rng.random() < 0.3:
                page.append(f"{' '.join(rng.choices(WORDS, k=6))} ${rng.randrange(1000, 9_999_999):,} "
                            f"({rng.randrange(1, 99)}%)")
            else:
                page.append(" ".join(rng.choices(WORDS, k=11)))
        out.append(page)
    return out


def substitute(text: str, seed: int = 11) -> str:
    """The substitute: 2% of lines reworded or re-priced, 20 sections moved, 10 removed, 10 added."""
    rng = random.Random(seed)
    chunks = re.split(r"(?m)^(?=Section \d+\.)", text)
    head, sections = chunks[0], chunks[1:]
    for _ in range(10):
        sections.pop(rng.randrange(len(sections)))
    for _ in range(20):
        sections.insert(rng.randrange(len(sections)), sections.pop(rng.randrange(len(sections))))
    for n in range(10):
        sections.insert(rng.randrange(len(sections)), f"Section {90000 + n}. New line item.\nfund pays $5,000.\n")
    lines = "".join([head, *sections]).split("\n")
    for i in rng.sample(range(len(lines)), len(lines) // 50):
        if not lines[i].startswith("Section"):
            lines[i] = re.sub(r"\$[\d,]+", f"${rng.randrange(1000, 99999):,}", lines[i]) + " as amended"
    return "\n".join(lines)


def pypdf_floor(body: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def html_floor(body: bytes) -> str:
    return re.sub(r"<[^>]+>", "", body.decode())


def unified_floor(old: str, new: str) -> list[str]:
    return list(difflib.unified_diff(old.split("\n"), new.split("\n"), lineterm="", n=1))


def side_by_side(name: str, size: str, project: Callable[[], T], floor: Callable[[], Any]) -> tuple[T, Row]:
    floor_cost = measure(floor)[1]
    result, cost = measure(project)
    return result, report(Row(name, size, cost, floor_cost))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    pages = budget_pages(args.pages)
    pdf = make_pdf(pages)
    html = ("<html><body><pre>" + "\n".join("\n".join(p) for p in pages) + "</pre></body></html>").encode()
    print(f"generated bill: {args.pages} pages, {args.pages * LINES_PER_PAGE:,} lines, PDF {len(pdf) / 1e6:.1f} MB")
    size = f"{args.pages} pages"
    rows = [side_by_side("billtext extract PDF", size, lambda: extract(pdf, "application/pdf", "bench.pdf"),
                         lambda: pypdf_floor(pdf))[1]]
    from_html, found = side_by_side("billtext extract HTML", size, lambda: extract(html, "text/html", "bench.html"),
                                    lambda: html_floor(html))
    old, new = from_html.text, substitute(from_html.text)
    result, compared = side_by_side("billtext compare", size, lambda: compare(old, new, "As Introduced", "Substitute"),
                                    lambda: unified_floor(old, new))
    print(f"comparison: {len(result.hunks)} changes, {len(result.moved_sections)} moved, "
          f"{len(result.added_sections)} added, {len(result.removed_sections)} removed, "
          f"{len(result.amounts)} sections with changed amounts")
    print(summary(result).split("\n")[0])
    return exit_code([*rows, found, compared])


if __name__ == "__main__":
    raise SystemExit(main())
