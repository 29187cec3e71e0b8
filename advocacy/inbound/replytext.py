"""From a reply's body text to what the member wrote, and from that to their questions.

mail-parser-reply finds where the quoted message starts ("On ... wrote:", Outlook's From:/Sent: block,
"-----Original Message-----"). Its signature and disclaimer removal is not used: it cuts at any line starting
with "Thanks," or "- " (so "Thanks, but what does HB 96 do?" and bulleted questions are lost) and at
"Warning:" anywhere. The sign-off, signature block and disclaimer rules below are ours, and deliberately
strict: a line is dropped only when the whole line looks like a sign-off, a mobile footer, a name or a
title/district/phone block.
"""

from __future__ import annotations

import re

from mailparser_reply.parser import EmailMessage as _LibraryMessage

_FLAGS = re.IGNORECASE | re.MULTILINE

# Where the quoted message starts, beyond the library's headers (see _quote_start for why each is needed).
_OWN_QUOTE_MARKS = [
    re.compile(r"^-{2,}\s*Forwarded message\s*-{2,}\s*$", _FLAGS),  # Gmail forward
    re.compile(r"^Begin forwarded message:\s*$", _FLAGS),  # Apple Mail forward
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", _FLAGS),  # Samsung/Android, shorter dashes
    re.compile(r"^_{10,}\s*$", re.MULTILINE),  # Outlook's rule above a header block it may have localized
    # "On ... wrote:" wrapped over three or four lines (the library allows two)
    re.compile(r"^On\b[^\n]{0,200}(?:\n[^\n]{0,200}){0,3}?\bwrote:\s*$", _FLAGS),
    re.compile(r"^>", re.MULTILINE),  # quoted lines whose attribution line was deleted
]

_SIGNOFF_WORDS = (
    r"thanks|thank you|thanks so much|thank you so much|thanks again|thank you again|many thanks|thanks much"
    r"|thx|best|best regards|kind regards|warm regards|warmest regards|regards|respectfully|sincerely"
    r"|cheers|take care|all the best|with gratitude|gratefully|appreciatively|v/r|yours|yours truly"
    r"|appreciate it|much appreciated|with appreciation|thanks in advance|thank you in advance"
)
_NAME = r"(?:Dr\.?\s+|Mr\.?\s+|Mrs\.?\s+|Ms\.?\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_SIGNOFF = re.compile(rf"^(?:{_SIGNOFF_WORDS})\s*[,.!]*\s*(?:[-–—~]?\s*{_NAME})?\s*[,.!]*$", re.IGNORECASE)
_NAME_LINE = re.compile(rf"^[-–—~]?\s*{_NAME}\s*,?$")
_MOBILE_FOOTER = re.compile(
    r"^(?:Sent from my (?:iPhone|iPad|Android|Samsung|Galaxy|Pixel|mobile|phone|smartphone|BlackBerry"
    r"|Verizon|T-Mobile|Sprint|AT&T|Motorola|LG|Windows Phone)\b[\w\s&.,-]{0,40}"
    r"|Sent from (?:Mail|Outlook|Yahoo Mail|Gmail|AOL Mail)(?: for| on)? ?[\w\s.]{0,30}"
    r"|Sent (?:via|with|using) [\w\s.]{1,30}"
    r"|Get Outlook for (?:iOS|Android|Mac|Windows)[^\n]{0,40}"
    r"|Sent from Mail for Windows[^\n]{0,20})$",
    re.IGNORECASE,
)
_RULE_LINE = re.compile(r"^(?:--\s*|[-_=*]{3,})$")
_DISCLAIMER = re.compile(
    r"^\W*(?:confidentiality notice|confidential(?:ity)?\s*:|disclaimer\b|public records? (?:notice|law|act)"
    r"|notice of confidentiality|privileged (?:and|&) confidential"
    r"|(?:this|the) (?:e-?mail|message|communication|transmission|electronic mail)\b[^\n]{0,80}?"
    r"\b(?:is|are|may be|may contain|contains?)\b[^\n]{0,40}?"
    r"\b(?:confidential|privileged|intended|public record|subject to)"
    r"|the information (?:contained )?in this (?:e-?mail|message|communication|transmission)"
    r"|(?:under|pursuant to) [\w' ]{0,30}public records? law"
    r"|if you (?:have )?received this (?:e-?mail|message|communication) in error"
    r"|please consider the environment before printing)",
    re.IGNORECASE,
)
_BANNER = re.compile(
    r"^\W*(?:\[?external\]?\s*(?:e-?mail|sender|message)?\s*[:\]-]"
    r"|caution\s*:\s*this (?:e-?mail|message) (?:originated|came) from outside"
    r"|this (?:e-?mail|message) (?:originated|came) from outside"
    r"|you don'?t often get email from)",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(?:(?i:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|morning|afternoon)\b"
    r"[^.?!\n]{0,50}"
    r"[,!:.]?|[A-Z][a-z]+(?: [A-Z][a-z]+)?\s*[,:\-–—])$",  # "Hi Sarah," "Good morning," or a bare "Sarah -"
)
_PHONE = re.compile(r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}")
_SIGNATURE_MARK = re.compile(
    r"@|www\.|https?://|\||\[cid:|\[image:"
    r"|\b(?:ph|cell|mobile|office|fax|tel|phone|direct|ext)\b\.?\s*:?\s*\(?\d"
    r"|\b(?:superintendent|treasurer|cfo|chief\b[\w\s]{0,20}\bofficer|director|assistant|associate"
    r"|coordinator"
    r"|principal|business manager|curriculum|president|board of education|supervisor|manager|specialist"
    r"|schools?|school district|city schools|local schools|exempted village|educational service center|esc"
    r"|academy|district|pronouns|she/her|he/him|they/them)\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(r"@|www\.|https?://|\||\[cid:|\[image:")
_SMALL_WORDS = {"of", "and", "the", "for", "at", "in", "on", "to", "a", "an", "de"}
_LIST_ITEM = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|\(?[a-h][.)]|[-*•·◦▪–])\s+(?P<body>\S.*)$")
_ACK = re.compile(
    r"^(?:(?:ok(?:ay)?|great|perfect|awesome|excellent|wonderful|got it|noted|received|will do|sounds good)"
    r"[,!. ]*)?"
    r"(?:thanks|thank you|thx|many thanks|much appreciated|appreciate (?:it|this|that|you|the update)|got it|"
    r"received|noted|will do|sounds good|great|perfect|(?:this is )?(?:very |really |super )?helpful)"
    r"(?: (?:so|very) much)?(?: again)?(?: (?:for|on) [^?]{0,60})?[\s!.,:)]*$",
    re.IGNORECASE,
)


def member_text(body: str) -> str:
    """What the member wrote: no quoted message, banner, sign-off, signature, mobile footer or disclaimer."""
    text = "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    text = text.replace("\xa0", " ").replace("\u200b", "")
    text = text[: _quote_start(text)]
    lines = _drop_banners(text.strip("\n").split("\n"))
    lines = lines[: _signature_start(lines)]
    lines = _drop_trailing_signature(lines)
    return "\n".join(lines).strip()


def _quote_start(text: str) -> int:
    starts = [len(text)]
    # The library's header regex knows "On ... wrote:" (over up to two lines), Outlook's From:/Sent:/To: block
    # (with or without "*" bold marks and ">" quotes) and "-----Original Message-----". Its own reading of the
    # text strips each line, so it runs on stripped lines and positions are mapped back line by line.
    stripped = "\n".join(line.strip() for line in text.split("\n"))
    match = _LibraryMessage(text=stripped, languages=["en"]).HEADER_REGEX.search(stripped)
    if match:
        line_no = stripped.count("\n", 0, match.start() + (1 if stripped[match.start()] == "\n" else 0))
        starts.append(_offset_of_line(text, line_no))
    for pattern in _OWN_QUOTE_MARKS:
        found = pattern.search(stripped)
        if found:
            starts.append(_offset_of_line(text, stripped.count("\n", 0, found.start())))
    return min(starts)


def _offset_of_line(text: str, line_no: int) -> int:
    offset = 0
    for _ in range(line_no):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def _drop_banners(lines: list[str]) -> list[str]:
    """External-sender banners that a district's mail gateway puts above the member's text."""
    out: list[str] = []
    skipping = False
    for index, line in enumerate(lines):
        if not any(previous.strip() for previous in out) and _BANNER.match(line.strip()):
            skipping = True
        if skipping:
            if not line.strip() or index == len(lines) - 1:
                skipping = False
            continue
        out.append(line)
    return out


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and (not _GREETING.match(stripped) or bool(_SIGNOFF.match(stripped)))


def _signature_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        wrote_before = any(_is_content(previous) for previous in lines[:index])
        if _RULE_LINE.match(stripped) or _MOBILE_FOOTER.match(stripped) or _DISCLAIMER.match(stripped):
            return index
        # A sign-off ends the text only when the member wrote something before it and asks nothing after it:
        # "Thanks!" alone is the whole reply, and "Thank you!" above a question is a greeting.
        asked_after = any("?" in later for later in lines[index + 1 :])
        if _SIGNOFF.match(stripped) and wrote_before and not asked_after:
            return index
    return len(lines)


def _signature_like(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) > 90 or len(stripped.split()) > 12 or "?" in stripped:
        return False
    if stripped.endswith((".", "!", ":", ";", ",")) and not re.search(r"\b[A-Z][a-z]?\.$", stripped):
        return False  # sentences end with punctuation; titles and names do not (bar "Ph.D.", "Jr.")
    if _PHONE.search(stripped) or _NAME_LINE.match(stripped) or _CONTACT.search(stripped):
        return True
    # A title or a district name is written in title case; "Same question for our district" is a sentence.
    return bool(_SIGNATURE_MARK.search(stripped)) and _title_case(stripped)


def _title_case(line: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’/-]*", line) if w.lower() not in _SMALL_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _drop_trailing_signature(lines: list[str]) -> list[str]:
    """A name, or a name/title/district/phone block, left under the text after the sign-off rules."""
    lines = _trim(lines)
    end = len(lines)
    start = end
    while start > 0 and lines[start - 1].strip() and _signature_like(lines[start - 1]):
        start -= 1
    block = lines[start:end]
    if not block or not any(_is_content(line) for line in lines[:start]):
        return lines
    marked = any(_SIGNATURE_MARK.search(line) or _PHONE.search(line) for line in block)
    names_only = all(_NAME_LINE.match(line.strip()) for line in block) and len(block) <= 2
    if marked or names_only:
        return _drop_trailing_signature(lines[:start])
    return lines


def _trim(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _squash(text: str) -> str:
    return " ".join(text.split())


def is_acknowledgement(text: str) -> bool:
    """True when every sentence only thanks or acknowledges ("Thanks!", "Got it, thank you.")."""
    body = [line for line in text.split("\n") if _is_content(line)]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n", "\n".join(body)) if s.strip()]
    return bool(sentences) and all(_ACK.match(s.strip()) for s in sentences)


def split_questions(text: str) -> list[str]:
    """One question per numbered or bulleted item (two or more); otherwise the whole text, greeting aside.

    Text around a list is kept as a question of its own only when it asks something ("?"), so "A few questions
    for Thursday:" is not an agenda item but "Where does HB 12 stand? Also:" is.
    """
    lines = text.split("\n")
    while lines and not _is_content(lines[0]):
        lines.pop(0)
    items: list[list[str]] = []
    before: list[str] = []
    after: list[str] = []
    blank = False
    for line in lines:
        match = _LIST_ITEM.match(line)
        if match:
            if after:  # a list that resumes after a paragraph: that paragraph was an item's tail
                items[-1].extend(after)
                after = []
            items.append([match["body"]])
        elif not line.strip():
            blank = True
            continue
        elif items and not blank:
            items[-1].append(line)
        elif items:
            after.append(line)
        else:
            before.append(line)
        blank = False
    if len(items) < 2:
        whole = _squash("\n".join(lines))
        return [whole] if whole else []
    questions = [_squash(" ".join(before))] if "?" in " ".join(before) else []
    questions.extend(_squash(" ".join(item)) for item in items)
    if "?" in " ".join(after):
        questions.append(_squash(" ".join(after)))
    return questions
