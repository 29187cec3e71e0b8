"""HTML email bodies to plain text, with the quoted message marked or removed by its markup, not guessed from text.

Replies that quote in a `blockquote` (Gmail `blockquote.gmail_quote`, Apple Mail and Thunderbird
`blockquote type=cite`) keep it, rendered as ">" lines under its attribution line, so that what the member wrote
below or between quoted blocks is read as in a plain-text reply (`advocacy.inbound.quotes`). Clients that put the
old message under a header block instead mark where it starts: Yahoo `div.yahoo_quoted`, Outlook on the web
`div#divRplyFwdMsg` (after `div#appendonsend`), Outlook desktop a `div` with a top border holding the From:/Sent:
block. Everything from that mark on is the old message. Signatures marked up as such (`div.gmail_signature`,
`div#Signature`, `div.moz-signature`) go too; the text rules in `advocacy.inbound.replytext` catch the rest.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from advocacy.inbound.quotes import FROM_LABEL

# Marks where the quoted message starts: it and everything after it in document order go.
_QUOTE_STARTS = [
    ("div", {"class": "yahoo_quoted"}),
    ("div", {"id": "appendonsend"}),
    ("div", {"id": "divRplyFwdMsg"}),
    ("div", {"id": "mail-editor-reference-message-container"}),
    ("div", {"class": "OutlookMessageHeader"}),
    ("hr", {"id": "stopSpelling"}),
]
_SIGNATURES = [
    ("div", {"class": "gmail_signature"}),
    ("div", {"id": "Signature"}),
    ("div", {"class": "moz-signature"}),
    ("div", {"id": "ms-outlook-mobile-signature"}),
]
_OUTLOOK_BORDER = re.compile(r"border-top:\s*solid", re.IGNORECASE)
_BLOCKS = {
    "p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "address",
}  # fmt: skip
_DROP = {"script", "style", "head", "title", "meta", "xml", "template"}


def html_to_text(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for name in _DROP:
        for node in soup.find_all(name):
            node.decompose()
    for name, attrs in _SIGNATURES:
        for node in soup.find_all(name, attrs=attrs):
            node.decompose()
    start = _first_quote_mark(soup)
    if start is not None:
        _cut_from(start)
    lines: list[str] = []
    _render(soup.body or soup, lines)
    text = "\n".join(line.strip() for line in "".join(lines).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _first_quote_mark(soup: BeautifulSoup) -> Tag | None:
    marks: list[Tag] = []
    for name, attrs in _QUOTE_STARTS:
        found = soup.find(name, attrs=attrs)
        if isinstance(found, Tag):
            marks.append(found)
    for div in soup.find_all("div", style=_OUTLOOK_BORDER):
        if any(FROM_LABEL.match(line.strip()) for line in div.get_text("\n").split("\n")):  # any language
            marks.append(div)
            break
    if not marks:
        return None
    order = {id(node): i for i, node in enumerate(soup.descendants)}
    return min(marks, key=lambda node: order.get(id(node), 0))


def _cut_from(node: Tag) -> None:
    """Remove `node` and everything after it in document order."""
    current: Tag | None = node
    while current is not None and current.name not in ("body", "html", "[document]"):
        for sibling in list(current.next_siblings):
            sibling.extract()
        current = current.parent
    node.extract()


def _render(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            text = re.sub(r"[ \t\r\n\xa0\u200b]+", " ", str(child))
            if text.strip() or (out and not out[-1].endswith(("\n", " "))):
                out.append(text)
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "br":
            out.append("\n")
            continue
        if name in ("ul", "ol"):
            _newline(out)
            for index, item in enumerate(child.find_all("li", recursive=False), start=1):
                _newline(out)
                out.append(f"{index}. " if name == "ol" else "- ")
                _render(item, out)
            _newline(out)
            continue
        if name == "blockquote" and _cites(child):
            _quoted(child, out)
            continue
        block = name in _BLOCKS
        if block:
            _newline(out)
        if name == "p" and "MsoNormal" not in (child.get("class") or []) and _has_text(out):
            _blank_line(out)  # paragraphs have margins; Outlook's MsoNormal ones do not
        _render(child, out)
        if block:
            _newline(out)
        if name == "p" and "MsoNormal" not in (child.get("class") or []):
            _blank_line(out)
        if name == "td":
            out.append(" ")


def _cites(node: Tag) -> bool:
    """A quoted message, not the member's own indented text: `type=cite` or Gmail's quote class."""
    classes = node.get("class") or []
    return node.get("type") == "cite" or any("gmail_quote" in c for c in classes)


def _quoted(node: Tag, out: list[str]) -> None:
    inner: list[str] = []
    _render(node, inner)
    lines = "".join(inner).strip("\n").split("\n")
    _newline(out)
    out.append("\n".join(f"> {line.strip()}" if line.strip() else ">" for line in lines))
    out.append("\n\n")


def _has_text(out: list[str]) -> bool:
    return any(part.strip() for part in out)


def _newline(out: list[str]) -> None:
    if out and not "".join(out[-2:]).rstrip(" ").endswith("\n"):
        out.append("\n")


def _blank_line(out: list[str]) -> None:
    _newline(out)
    if not "".join(out[-3:]).rstrip(" ").endswith("\n\n"):
        out.append("\n")
