"""Documents from rendered email HTML and from plain outlines: Word (python-docx) and PDF (fpdf2, no browser).

The digest as Word or PDF is read from the digest's own rendered HTML, so every section the email has, the
document has: `outline(html)` turns the email's content cell into headings, paragraphs (with links and bold),
bullets and tables; `docx_bytes` and `pdf_bytes` write an outline under the collaborative's name. The email's
footer (a member's own preferences and unsubscribe links) is left out: the documents are for forwarding.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from fpdf import FPDF
from fpdf.enums import XPos, YPos


@dataclass(frozen=True)
class Run:
    text: str
    href: str = ""
    bold: bool = False


@dataclass
class Block:
    kind: str  # heading, paragraph, bullet, quote, table
    runs: list[Run] = field(default_factory=list)
    level: int = 0  # headings: 1-4
    rows: list[list[list[Run]]] = field(default_factory=list)  # tables: rows of cells of runs

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs).strip()


_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
_CONTAINERS = {"div", "section", "ul", "ol", "td", "tr", "tbody", "thead", "body", "html", "article", "center"}


def _runs(node: Tag | NavigableString, href: str = "", bold: bool = False) -> list[Run]:
    if isinstance(node, NavigableString):
        text = " ".join(str(node).split())
        if str(node)[:1].isspace() and text:
            text = " " + text
        if str(node)[-1:].isspace() and text:
            text += " "
        return [Run(text, href, bold)] if text else []
    if node.name == "br":
        return [Run("\n", href, bold)]
    href = str(node.get("href", "")) if node.name == "a" else href
    bold = bold or node.name in ("strong", "b")
    out: list[Run] = []
    for child in node.children:
        out += _runs(child, href, bold)
    return out


def _clean(runs: list[Run]) -> list[Run]:
    """Trim the spaces at the ends and around line breaks."""
    out = [r for r in runs if r.text]
    if out:
        out[0] = Run(out[0].text.lstrip(" "), out[0].href, out[0].bold)
        out[-1] = Run(out[-1].text.rstrip(" "), out[-1].href, out[-1].bold)
    return [r for r in out if r.text]


def _table(node: Tag) -> Block:
    rows = []
    for tr in node.find_all("tr"):
        cells = [_clean(_runs(cell)) for cell in tr.find_all(["th", "td"], recursive=False)]
        if any(cells):
            rows.append(cells)
    return Block("table", rows=rows)


def _walk(node: Tag, blocks: list[Block]) -> None:
    loose: list[Run] = []

    def flush() -> None:
        if "".join(r.text for r in loose).strip():
            blocks.append(Block("paragraph", _clean(list(loose))))
        loose.clear()

    for child in node.children:
        if isinstance(child, NavigableString) or not isinstance(child, Tag):
            loose += _runs(child) if isinstance(child, NavigableString) else []
            continue
        name = child.name
        if name in _HEADINGS:
            flush()
            blocks.append(Block("heading", _clean(_runs(child)), level=_HEADINGS[name]))
        elif name == "p":
            flush()
            blocks.append(Block("paragraph", _clean(_runs(child))))
        elif name == "li":
            flush()
            blocks.append(Block("bullet", _clean(_runs(child))))
        elif name == "blockquote":
            flush()
            start = len(blocks)
            _walk(child, blocks)
            for block in blocks[start:]:
                block.kind = "quote" if block.kind == "paragraph" else block.kind
        elif name == "table" and "watch" in (child.get("class") or []):
            flush()
            blocks.append(_table(child))
        elif name in _CONTAINERS or name == "table":
            flush()
            _walk(child, blocks)
        else:
            loose += _runs(child)
    flush()


def outline(html: str, content_class: str = "pad") -> list[Block]:
    """The blocks of the email's content cell (`td.<content_class>`), in order; empty ones dropped."""
    soup = BeautifulSoup(html, "lxml")
    root = soup.find("td", class_=content_class) or soup.body or soup
    blocks: list[Block] = []
    _walk(root, blocks)  # type: ignore[arg-type]
    return [b for b in blocks if b.kind == "table" or b.text]


def html_title(html: str) -> str:
    """The email's <title> (e.g. "Legislative update, Nov 10 – Nov 24, 2026"), whitespace folded."""
    title = BeautifulSoup(html, "lxml").title
    return " ".join(title.get_text().split()) if title else ""


# ------------------------------------------------------------------------------------------------------------
# Word


def _hyperlink(paragraph: Paragraph, run: Run) -> None:
    """python-docx writes no hyperlinks itself: a w:hyperlink pointing at an external relationship."""
    rel = paragraph.part.relate_to(run.href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    r = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    for tag, value in (("w:rStyle", "Hyperlink"), ("w:color", "1D3557"), ("w:u", "single")):
        el = OxmlElement(tag)
        el.set(qn("w:val"), value)
        props.append(el)
    if run.bold:
        props.append(OxmlElement("w:b"))
    r.append(props)
    text = OxmlElement("w:t")
    text.text = run.text
    text.set(qn("xml:space"), "preserve")
    r.append(text)
    link.append(r)
    paragraph._p.append(link)


def _fill(paragraph: Paragraph, runs: Iterable[Run]) -> None:
    for run in runs:
        if run.href:
            _hyperlink(paragraph, run)
        elif run.text == "\n":
            paragraph.add_run().add_break()
        else:
            paragraph.add_run(run.text).bold = run.bold or None


def docx_bytes(title: str, organisation: str, blocks: Sequence[Block], *, subtitle: str = "") -> bytes:
    """A Word document: the organisation's name in the page header (ready to co-brand), the title, the blocks."""
    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = organisation
    document.sections[0].header.paragraphs[0].text = organisation
    document.add_heading(title, level=0)
    if subtitle:
        document.add_paragraph(subtitle)
    for block in blocks:
        if block.kind == "heading":
            _fill(document.add_heading("", level=min(block.level, 4)), block.runs)
        elif block.kind == "table":
            _docx_table(document, block)
        else:
            style = {"bullet": "List Bullet", "quote": "Quote"}.get(block.kind)
            _fill(document.add_paragraph(style=style), block.runs)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _docx_table(document: docx.document.Document, block: Block) -> None:
    width = max(len(row) for row in block.rows)
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    for row in block.rows:
        cells = table.add_row().cells
        for cell, runs in zip(cells, row, strict=False):
            _fill(cell.paragraphs[0], runs)


# ------------------------------------------------------------------------------------------------------------
# PDF


class _Pdf(FPDF):
    organisation = ""

    def header(self) -> None:
        self.set_font("Helvetica", "I", 9)
        self.set_text_color(82, 96, 109)
        self.cell(0, 6, self.organisation, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 6, f"{self.page_no()}", align="C")


# Characters outside Windows-1252 with a readable spelling in it (accented letters lose their accent by NFKD).
_SPELLED = str.maketrans({
    "\u2192": "->", "\u2190": "<-", "\u2194": "<->", "\u21d2": "=>", "\u2265": ">=", "\u2264": "<=",
    "\u2260": "!=", "\u2248": "~", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "-",
    "\u2032": "'", "\u2033": '"', "\u2713": "v", "\u2714": "v", "\u2717": "x", "\u2718": "x", "\u2044": "/",
    "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D", "\u0131": "i", "\u00a0": " ", "\u202f": " ",
})


def _safe(text: str) -> str:
    """The core fonts (Helvetica) carry Windows-1252 only, and no Unicode font ships with our packages: a character
    outside it becomes its closest readable spelling ("≥" ">=", "ż" "z", "ﬁ" "fi"), and only one with none becomes
    '?', rather than stopping the export. Curly quotes and dashes are Windows-1252 already and stay as they are."""
    try:
        return text.encode("cp1252").decode("cp1252")
    except UnicodeEncodeError:
        pass
    out = []
    for char in text.translate(_SPELLED):
        try:
            out.append(char.encode("cp1252").decode("cp1252"))
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode("cp1252")
            out.append(plain or "?")
    return "".join(out)


_SIZES = {0: 18, 1: 16, 2: 14, 3: 12, 4: 11}


def _pdf_runs(pdf: _Pdf, runs: Iterable[Run], size: float, *, indent: str = "") -> None:
    if indent:
        pdf.write(6, indent)
    for run in runs:
        pdf.set_font("Helvetica", "B" if run.bold else "", size)
        if run.href:
            pdf.set_text_color(29, 53, 87)
            pdf.write(6, _safe(run.text), link=run.href)
            pdf.set_text_color(0, 0, 0)
        else:
            pdf.write(6, _safe(run.text))
    pdf.ln(8)


def pdf_bytes(title: str, organisation: str, blocks: Sequence[Block], *, subtitle: str = "") -> bytes:
    """A PDF with the same blocks; headings become the document outline (bookmarks) as well."""
    pdf = _Pdf(format="Letter")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.organisation = _safe(organisation)
    pdf.set_title(_safe(title))
    pdf.set_author(_safe(organisation))
    pdf.add_page()
    _pdf_runs(pdf, [Run(title, bold=True)], _SIZES[0])
    if subtitle:
        _pdf_runs(pdf, [Run(subtitle)], 10)
    for block in blocks:
        if block.kind == "heading":
            pdf.start_section(_safe(block.text), level=max(0, block.level - 1))
            pdf.ln(2)
            _pdf_runs(pdf, [Run(r.text, r.href, True) for r in block.runs], _SIZES.get(block.level, 11))
        elif block.kind == "table":
            _pdf_table(pdf, block)
        else:
            _pdf_runs(pdf, block.runs, 10, indent={"bullet": "  \u2022 ", "quote": "    "}.get(block.kind, ""))
    return bytes(pdf.output())


def _pdf_table(pdf: _Pdf, block: Block) -> None:
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(first_row_as_headings=True) as table:
        for row in block.rows:
            cells = table.row()
            for runs in row:
                link = next((r.href for r in runs if r.href), "")
                cells.cell(_safe("".join(r.text for r in runs).strip()), link=link or None)
    pdf.ln(4)
