"""A bill version's bytes (HTML, PDF, plain text, or LegiScan's getBillText JSON) to plain text.

Pure: `extract(body, content_type, where)` never fetches. What cannot be extracted is said in `Extracted.problem`
(a scanned PDF without a text layer, an unknown format, a broken file), never raised, so one bad version among many
is recorded and skipped. Layout is kept as lines: `<pre>` as it is, block elements as line breaks, PDF pages in
order, because the version comparison works line by line.

Amended text in the legislatures' HTML marks what changed: California's amended bills put inserted words in
`<em>` and removed ones in `<strike>`. `view="current"` (the default) reads the version as it now stands;
`view="previous"` reads the text it amended (struck words kept, inserted words left out).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

from pypdf import PageObject, PdfReader
from pypdf.errors import PyPdfError

View = Literal["current", "previous"]
BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
                    "article", "blockquote", "dd", "dt", "hr", "title"})
SKIPPED = frozenset({"script", "style", "head"})
INSERTED = frozenset({"em", "ins", "u"})  # u: underlined new language (Ohio, many states)
REMOVED = frozenset({"strike", "s", "del"})


@dataclass(frozen=True)
class Extracted:
    text: str
    kind: str  # html, pdf, text, unknown
    pages: int = 0
    problem: str = ""  # empty when the text came out whole

    @property
    def ok(self) -> bool:
        return not self.problem and bool(self.text.strip())


class _TextParser(HTMLParser):
    def __init__(self, view: View, marks: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.view = view
        self.marks = marks  # inserted/removed tags mark changes (they do in bill text, not in plain pages)
        self.parts: list[str] = []
        self.pre = 0
        self.skip = 0
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, +1)

    def handle_endtag(self, tag: str) -> None:
        self._open(tag, -1)

    def _open(self, tag: str, step: int) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre + step)
        elif tag in SKIPPED:
            self.skip = max(0, self.skip + step)
        elif self.marks and tag in (REMOVED if self.view == "current" else INSERTED):
            self.hidden = max(0, self.hidden + step)
        if tag in BLOCKS or tag == "pre":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip or self.hidden:
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        return tidy("".join(self.parts))


def tidy(text: str) -> str:
    """Trailing spaces off, runs of blank lines down to one, no blank lines at either end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def _decode(body: bytes, content_type: str) -> str:
    match = re.search(r"charset=([\w-]+)", content_type, re.I) or re.search(rb'charset="?([\w-]+)', body[:2048])
    charset = match.group(1) if match else "utf-8"
    name = charset.decode() if isinstance(charset, bytes) else charset
    try:
        return body.decode(name)
    except (LookupError, UnicodeDecodeError):
        return body.decode("cp1252", errors="replace")  # old legislature pages: Windows-1252 without saying so


def html_text(body: bytes, content_type: str = "", *, view: View = "current") -> str:
    parser = _TextParser(view, marks=True)
    parser.feed(_decode(body, content_type))
    parser.close()
    return parser.text()


LINE_NUMBER = re.compile(r"^\s*(\d{1,3})(?:\s+|$)")


def without_line_numbers(page: str) -> str:
    """Drop the margin line numbers many legislatures print (1, 2, 3... down each page): they differ between
    versions and would make every line look changed. Kept when fewer than 60% of lines carry a rising number."""
    lines = page.split("\n")
    numbers = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := LINE_NUMBER.match(line))]
    steps = [b - a for (_, a), (_, b) in zip(numbers, numbers[1:], strict=False)]
    if steps.count(-1) > max(steps.count(1), len(numbers) // 2):  # the page came out bottom up: turn it over
        return without_line_numbers("\n".join(reversed(lines)))
    rising = steps.count(1)
    filled = [line for line in lines if line.strip()]
    if not filled or len(numbers) < 0.6 * len(filled) or rising < 0.5 * len(numbers):
        return page
    numbered = {i for i, _ in numbers}
    return "\n".join(LINE_NUMBER.sub("", line, count=1) if i in numbered else line for i, line in enumerate(lines))


def _page_text(page: PageObject) -> str:
    """The page's text; when plain extraction breaks it into a word per line, pypdf's layout mode instead."""
    text = page.extract_text() or ""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > 20 and sum(len(line.split()) for line in lines) < 1.5 * len(lines):
        laid_out = page.extract_text(extraction_mode="layout") or ""
        text = "\n".join(" ".join(line.split()) for line in laid_out.split("\n"))
    return without_line_numbers(text)


def pdf_text(body: bytes, where: str) -> Extracted:
    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [_page_text(page) for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        return Extracted("", "pdf", 0, f"{where}: not a readable PDF ({type(exc).__name__}: {exc})")
    empty = [str(n) for n, page in enumerate(pages, 1) if not page.strip()]
    text = tidy("\n".join(pages))
    if not text:
        return Extracted("", "pdf", len(pages), f"{where}: the PDF's {len(pages)} page(s) have no text layer "
                                                "(a scan?): nothing to extract")
    problem = f"{where}: page(s) {', '.join(empty[:10])} without text" if empty else ""
    return Extracted(text, "pdf", len(pages), problem)


def _legiscan_doc(body: bytes, where: str) -> tuple[bytes, str] | None:
    """LegiScan's getBillText answer carries the document base64-encoded, with its MIME type."""
    try:
        data = json.loads(body)
        text = data["text"]
        return base64.b64decode(text["doc"], validate=True), str(text.get("mime", ""))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


def kind_of(body: bytes, content_type: str) -> str:
    head = body[:1024].lstrip().lower()
    ctype = content_type.lower()
    if head.startswith(b"%pdf") or "pdf" in ctype:
        return "pdf"
    if head.startswith(b"{") or "json" in ctype:
        return "json"
    if "html" in ctype or "xml" in ctype or head.startswith((b"<!doctype", b"<html", b"<pre", b"<body", b"<?xml")):
        return "html"
    if ctype.startswith("text/"):
        return "text"
    return "unknown"


def extract(body: bytes, content_type: str, where: str, *, view: View = "current") -> Extracted:
    """The plain text of one version, or what stood in the way. `where` (the URL) names it in every problem."""
    if not body.strip():
        return Extracted("", "unknown", 0, f"{where}: empty response")
    kind = kind_of(body, content_type)
    if kind == "json":
        inner = _legiscan_doc(body, where)
        if inner is None:
            return Extracted("", "json", 0, f"{where}: JSON without a LegiScan text.doc to decode")
        return extract(inner[0], inner[1], where, view=view)
    if kind == "pdf":
        return pdf_text(body, where)
    if kind == "html":
        text = html_text(body, content_type, view=view)
        return Extracted(text, "html", 0, "" if text else f"{where}: the HTML page holds no text")
    if kind == "text":
        text = tidy(_decode(body, content_type))
        return Extracted(text, "text", 0, "" if text else f"{where}: no text")
    return Extracted("", "unknown", 0, f"{where}: unsupported format {content_type or 'without Content-Type'!r} "
                                        "(neither HTML, PDF nor text)")
