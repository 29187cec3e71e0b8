"""The advocate's Markdown, made safe for HTML email and readable as plain text.

Raw HTML in the source is never trusted: markdown-it renders it as text, and nh3 cleans what comes out, so a
`<script>` typed into a commentary shows up as harmless words. Relative links resolve against the web
app's base URL (an email has no page to be relative to); other schemes are dropped by the sanitizer.
"""

from __future__ import annotations

import html
import re
import textwrap
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "code", "blockquote", "h3", "h4"}
_ATTRIBUTES = {"a": {"href"}}
_SPACES = re.compile(r"[ \t]{2,}")


def _absolute(href: str, base_url: str) -> str:
    return urljoin(base_url.rstrip("/") + "/", href) if not urlsplit(href).scheme else href


class Markdown:
    """Converts Markdown to sanitized HTML and to wrapped plain text; results are cached per source text."""

    def __init__(self, cache_size: int = 4096) -> None:
        # html=False: raw HTML in commentary becomes visible text, never markup.
        self._parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        self.to_html = lru_cache(maxsize=cache_size)(self._to_html)
        self.to_text = lru_cache(maxsize=cache_size)(self._to_text)

    def _to_html(self, source: str, base_url: str) -> str:
        if not source.strip():
            return ""
        rendered = self._parser.render(source)
        # Headings in commentary sit below the email's own section headings.
        for level, to in (("h1", "h3"), ("h2", "h3"), ("h5", "h4"), ("h6", "h4")):
            rendered = rendered.replace(f"<{level}>", f"<{to}>").replace(f"</{level}>", f"</{to}>")

        def rewrite(tag: str, attr: str, value: str) -> str | None:
            if tag == "a" and attr == "href":
                return _absolute(value, base_url)
            return value

        return nh3.clean(
            rendered,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
            attribute_filter=rewrite,
        ).strip()

    def _to_text(self, source: str, base_url: str, width: int = 72) -> str:
        if not source.strip():
            return ""
        blocks = _TextWriter(base_url, width).write(self._parser.parse(source))
        return "\n\n".join(blocks)


def _strip_tags(text: str) -> str:
    # Raw HTML typed into Markdown arrives as text; drop tags and script bodies so the text part reads well.
    if "<" not in text:
        return text
    return html.unescape(nh3.clean(text, tags=set()))


class _TextWriter:
    """Walks markdown-it block tokens and writes wrapped paragraphs and list items."""

    def __init__(self, base_url: str, width: int) -> None:
        self.base_url = base_url
        self.width = width

    def write(self, tokens: list[Token]) -> list[str]:
        blocks: list[str] = []
        lists: list[list[int]] = []  # stack of [ordered?, counter]
        prefix_next = ""
        previous_was_item = False
        for token in tokens:
            if token.type in ("bullet_list_open", "ordered_list_open"):
                lists.append([token.type == "ordered_list_open", int(token.attrs.get("start", 1) or 1)])
            elif token.type in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
                previous_was_item = previous_was_item and bool(lists)
            elif token.type == "list_item_open":
                ordered, counter = lists[-1]
                prefix_next = f"{counter}. " if ordered else "- "
                lists[-1][1] = counter + 1
            elif token.type == "inline":
                text = self._inline(token.children or [])
                if not text:
                    continue
                indent = "  " * max(len(lists) - 1, 0)
                first = indent + prefix_next if prefix_next else indent
                rest = indent + " " * len(prefix_next)
                prefix_next = ""
                lines = [
                    textwrap.fill(
                        line,
                        self.width,
                        initial_indent=first if i == 0 else rest,
                        subsequent_indent=rest,
                        break_long_words=False,
                        break_on_hyphens=False,
                    )
                    for i, line in enumerate(text.split("\n"))
                ]
                block = "\n".join(lines)
                # Items of one list stay together; other blocks are separated by a blank line.
                if lists and previous_was_item:
                    blocks[-1] += "\n" + block
                else:
                    blocks.append(block)
                previous_was_item = bool(lists)
            elif token.type in ("code_block", "fence"):
                previous_was_item = False
                blocks.append(textwrap.indent(_strip_tags(token.content.rstrip()), "    "))
        return blocks

    def _inline(self, children: list[Token]) -> str:
        parts: list[str] = []
        hrefs: list[str] = []
        for child in children:
            if child.type == "text":
                parts.append(_strip_tags(child.content))
            elif child.type == "code_inline":
                parts.append(child.content)
            elif child.type == "softbreak":
                parts.append(" ")
            elif child.type == "hardbreak":
                parts.append("\n")
            elif child.type == "link_open":
                hrefs.append(_absolute(str(child.attrs.get("href", "")), self.base_url))
                parts.append("\x00")  # marks where the label starts, to compare label and URL
            elif child.type == "link_close":
                href = hrefs.pop()
                start = len(parts) - 1 - parts[::-1].index("\x00")
                label = "".join(parts[start + 1 :])
                parts[start:] = [label if label == href else f"{label} ({href})"]
            elif child.type == "image":
                parts.append(child.content)
        return _SPACES.sub(" ", "".join(parts)).strip()
