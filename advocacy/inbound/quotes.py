"""Which lines of a reply's text are the message being answered, in any client and language.

Read by shape first, words second (the approach of talon's line marking and mail-parser-reply's header
blocks): a line starting with ">" is quoted; an attribution line ("On ... wrote:", "Le ... a écrit :",
"вт, 4 мар. 2025 г. в 09:12, X <x@y>:") is a short paragraph ending in a colon that names an address and a
time, or that mail-parser-reply's per-language patterns (or our verb list) know; a header block is a "From:"
line in any language followed by more "Label: value" lines; a dashed title ("-----Original Message-----",
"-------- Mensaje original --------") or Outlook's underscore rule opens one.

What the member wrote between and below quoted blocks stays, in order (bottom-posting, interleaved answers).
An attribution or header block that is not followed by ">" lines has the old message under it unmarked, so
everything from it on goes.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES

# mail-parser-reply's "wrote" patterns for every language it knows (anchored, one line each once joined).
_LIBRARY_WROTE = [
    re.compile(spec["wrote_header"], re.IGNORECASE)
    for spec in MAIL_LANGUAGES.values()
    if spec.get("wrote_header")
]
_WROTE_VERB = re.compile(
    r"(?:\bwrote|\bwrites|a écrit|\bschrieb|geschrieben|\bescribió|\bescreveu|\bschreef|geschreven|\bscritto"
    r"|написала?|написал\((?:а|-а)\)|пишет|\bskrev|\bkirjoitti|napisał|napsal"
    r"|写道|寫道|書きました|のメール)[^:：\n]{0,120}[:：]$",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FROM_LABEL = re.compile(
    r"^\*?\s*(?:from|von|de|da|van|от|od|fra|från|lähettäjä|feladó|kimden|expéditeur|remetente"
    r"|发件人|寄件者|寄件人|差出人|送信者|보낸\s?사람)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^\*?\s*[^\s:：>][^:：]{0,24}?\s*\*?\s*[:：]\s*\S")
_LABEL_INSIDE = re.compile(r"\s\*?[^\W\d_][\w-]{1,14}\*?\s?[:：]\s")
_SEPARATOR = re.compile(r"^(?:-{2,}\s*[^\s-][^\n]{1,60}?\s*-{2,}(?:\s|$)|_{10,}$)")
_FORWARD_MARK = re.compile(
    r"^(?:(?:begin )?forwarded message|début du message réexpédié|anfang der weitergeleiteten nachricht"
    r"|inicio del mensaje reenviado|início da mensagem encaminhada|begin doorgestuurd bericht"
    r"|inizio messaggio inoltrato|начало пересылаемого сообщения|начало переадресованного сообщения"
    r"|转发的邮件|転送されたメッセージ)\s*[:：]$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。！？]$")


def member_lines(lines: list[str]) -> list[str]:
    """The lines the member wrote: quoted blocks, their attribution and an unmarked old message left out."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if line.startswith(">") or (not line and out and not out[-1].strip()):
            index += 1  # a quoted line, or a blank line left doubled where one was
            continue
        if opens_old_message(lines, index):
            break
        end = attribution_end(lines, index)
        if end is None:
            out.append(lines[index])
            index += 1
            continue
        following = next((k for k in range(end, len(lines)) if lines[k].strip()), len(lines))
        if following < len(lines) and lines[following].lstrip().startswith(">"):
            index = end
            continue
        indented = following < len(lines) and lines[following].startswith(("    ", "\t"))
        if indented or attribution_end(lines, index, strict=True) is not None:
            break  # the old message follows indented (Outlook for Mac) or unmarked (Yahoo): all of it goes
        out.append(lines[index])
        index += 1
    return out


def opens_old_message(lines: list[str], index: int) -> bool:
    """A header block ("From:" then more "Label: value" lines, or three such lines with a "From:" among them,
    or Outlook's block flattened onto one line), a dashed title, a forward mark."""
    line = lines[index].strip()
    if _SEPARATOR.match(line) or _FORWARD_MARK.match(line):
        return True
    if FROM_LABEL.match(line):
        if len(_LABEL_INSIDE.findall(line)) >= 2:
            return True  # "From: X Sent: Y To: Z Subject: W"
        block = [lines[k].strip() for k in range(index + 1, min(index + 5, len(lines)))]
        return sum(1 for following in block if _HEADER_LINE.match(following)) >= 1
    if index > 0 and _HEADER_LINE.match(lines[index - 1].strip()):
        return False  # the block starts higher up
    run = []
    for following in lines[index : index + 8]:
        if not _HEADER_LINE.match(following.strip()):
            break
        run.append(following.strip())
    return len(run) >= 3 and any(FROM_LABEL.match(header) for header in run)


def attribution_end(lines: list[str], index: int, *, strict: bool = False) -> int | None:
    """The index after an attribution paragraph starting at `index` (one to four lines), or None.

    `strict`: only by its words (a "wrote" verb), for an attribution with no ">" lines under it to confirm it."""
    first = lines[index].strip()
    if first.endswith((":", "：")) and is_attribution(first, strict=strict):
        return index + 1
    if not first or (index > 0 and lines[index - 1].strip() and not _ended(lines[index - 1])):
        return None  # a wrapped attribution opens its own paragraph or follows a finished sentence
    if not any(line.rstrip().endswith((":", "：")) for line in lines[index : index + 4]):
        return None
    joined = ""
    for end in range(index, min(index + 4, len(lines))):
        line = lines[end].strip()
        if not line or (end > index and (_SENTENCE_END.search(lines[end - 1].strip()) or _dated(line))):
            return None  # a finished sentence above, or a whole attribution of its own below
        joined = f"{joined} {line}".strip()
        if len(joined) > 300:
            return None
        if line.endswith((":", "：")) and is_attribution(joined, strict=strict):
            return end + 1
    return None


def _dated(line: str) -> bool:
    """A whole attribution line: a date or time of its own (not digits of an address) and the final colon."""
    return line.endswith((":", "：")) and bool(re.search(r"\d", _ADDRESS.sub("", line))) and is_attribution(line)


def _ended(line: str) -> bool:
    return bool(_SENTENCE_END.search(line.strip())) or line.strip().endswith((":", "："))


def is_attribution(text: str, *, strict: bool = False) -> bool:
    """One attribution line, its wrapped lines joined with spaces."""
    if "?" in text or "？" in text:
        return False
    if not strict and _ADDRESS.search(text) and re.search(r"\d", text):
        return True  # "<date>, <name> <address>:" in any language
    return bool(_WROTE_VERB.search(text)) or any(pattern.search(text) for pattern in _LIBRARY_WROTE)
