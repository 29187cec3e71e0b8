"""From a reply's body text to what the member wrote, and from that to their questions.

Where the quoted message is comes from `advocacy.inbound.quotes` (quote markers, attribution lines and header
blocks in any client's language; text below and between quoted blocks is kept). mail-parser-reply's signature
and disclaimer removal is not used: it cuts at any line starting with "Thanks," or "- " (so "Thanks, but what
does HB 96 do?" and bulleted questions are lost) and at "Warning:" anywhere. The sign-off, signature block and
disclaimer rules below are ours, and deliberately strict: a line is dropped only when the whole line looks like a
sign-off (in the ten languages members write in), a mobile footer, or the end of the text is a signature by its
shape: a run of short lines opened by a name, or holding a phone number, an address or a web address.
"""

from __future__ import annotations

import re

from advocacy.inbound.quotes import member_lines

_SIGNOFF_WORDS = (
    r"thanks|thank you|thanks so much|thank you so much|thanks again|thank you again|many thanks|thanks much"
    r"|thx|best|best regards|kind regards|warm regards|warmest regards|regards|respectfully|sincerely"
    r"|cheers|take care|all the best|with gratitude|gratefully|appreciatively|v/r|yours|yours truly"
    r"|appreciate it|much appreciated|with appreciation|thanks in advance|thank you in advance"
    # es, fr, de, pt, it, nl, ru, zh, ja: the closing words of a letter, as whole lines
    r"|(?:muchas )?gracias|saludos(?: cordiales)?|un (?:cordial )?saludo|atentamente|cordialmente|abrazos?"
    r"|merci(?: beaucoup| d'avance)?|cordialement|bien cordialement|bien à (?:vous|toi)|salutations(?: distinguées)?"
    r"|amitiés|bonne journée"
    r"|danke(?: schön| sehr)?|vielen dank|(?:viele|beste|liebe|herzliche|freundliche) grüße|(?:viele|beste) grüsse"
    r"|mit freundlichen grüßen|mit freundlichen grüssen|gruß|mfg|lg|danke und (?:beste|viele) grüße"
    r"|obrigad[oa]|muito obrigad[oa]|atenciosamente|abraços?|cumprimentos|um abraço"
    r"|grazie(?: mille)?|cordiali saluti|distinti saluti|saluti|un saluto|un caro saluto"
    r"|bedankt|dank je wel|dank u wel|met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|groetjes"
    r"|hartelijke groet(?:en)?"
    r"|спасибо|заранее спасибо|большое спасибо|с уважением|всего доброго|с наилучшими пожеланиями"
    r"|谢谢|谢谢您|此致|祝好|顺祝商祺|敬上"
    r"|(?:以上、?\s*)?(?:どうぞ)?よろしくお願い(?:いた)?します|宜しくお願い(?:いた)?します|ありがとうございます"
)
_PUNCT = r"[,.!;:。！，、]"
_NAME = r"(?:Dr\.?\s+|Mr\.?\s+|Mrs\.?\s+|Ms\.?\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_SIGNOFF = re.compile(
    rf"^¡?(?:{_SIGNOFF_WORDS})(?![^\W\d_]){_PUNCT}*\s*(?:[-–—~]?\s*{_NAME})?\s*{_PUNCT}*$", re.IGNORECASE
)
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
# A mobile app's footer in the phone's language ("Enviado desde mi iPhone", "Von meinem iPhone gesendet",
# "iPhoneから送信"): a short line naming a device or mail app, and nothing a sentence would have.
_DEVICE_FOOTER = re.compile(
    r"^[^?？.!:;]{0,30}(?<![A-Za-z])(?:iPhone|iPad|Android|Galaxy|Samsung|Pixel|BlackBerry|Outlook|Yahoo Mail|Gmail|Huawei"
    r"|Xiaomi|Honor|OnePlus)(?![A-Za-z])[^?？.!:;]{0,30}$"
)
_RULE_LINE = re.compile(r"^(?:--\s*|[-_=*]{3,}|([^\w\s.?!¿¡？！。])\1{2,})$")  # "-- ", "-----", "━━━━", "＝＝＝"
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
    r"^(?:(?i:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|morning|afternoon"
    r"|hola|buen(?:os|as) (?:días|tardes|noches)|estimad[oa]s?|querid[oa]s?"
    r"|bonjour|bonsoir|salut|cher|chère|madame|monsieur"
    r"|hallo|guten (?:tag|morgen|abend)|liebe[rs]?|sehr geehrte[rs]?|moin|servus"
    r"|olá|ola|bom dia|boa (?:tarde|noite)|prezad[oa]s?|car[oa]s?"
    r"|здравствуйте|добрый (?:день|вечер)|доброе утро|привет|уважаем\w+"
    r"|hoi|beste|goedemorgen|goedemiddag|ciao|buongiorno|buonasera|gentile|salve"
    r"|您好|你好|こんにちは|(?:いつも)?お世話になっております|お疲れ様です)\b"
    r"[^.?!\n]{0,50}"
    r"[,!:.。！，：]?|[A-Z][a-z]+(?: [A-Z][a-z]+)?\s*[,:\-–—])$"  # "Hi Sarah," "Good morning," or a bare "Sarah -"
    r"|^[^\s?？]{1,20}(?:様|さん|先生)$|^[^?？\n]{0,20}(?:您好|你好)[！!，,：:。]?$",  # "Sarah様", "Sarah，您好："
)
_PHONE = re.compile(r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}|\+\d[\d\s().-]{7,}\d")
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
_ADDRESS_LINE = re.compile(r"^(?=[^,]*\d)[^,]{2,40},[^,]{2,30},\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?$|\b\d{5}(?:-\d{4})?$")
_CJK_NAME = re.compile(r"^[\u3040-\u30ff\u4e00-\u9fff]{1,4}(?:\s?[\u3040-\u30ff\u4e00-\u9fff]{1,4})?$")
_PARTICLES = {"de", "van", "der", "den", "von", "da", "di", "du", "dos", "das", "del", "la", "le", "ten", "ter", "y"}
_DASH_NAME = re.compile(r"^(?:-{1,2}|[–—~])\s?[^\W\d_][\w.'’-]{0,20}(?:\s[^\W\d_][\w.'’-]{0,20}){0,2}(?:\s*\(.*)?$")
_FOOTNOTE = re.compile(r"^\[(?:\d{1,2}|\*)\]\s")
_CONTACT = re.compile(r"@|www\.|https?://|\||\[cid:|\[image:")
_SMALL_WORDS = {"of", "and", "the", "for", "at", "in", "on", "to", "a", "an", "de"}
_LIST_ITEM = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|\(?[a-h][.)]|[-*•·◦▪–])\s+(?P<body>\S.*)$")
_ACK = re.compile(
    r"^¡?(?:(?:ok(?:ay)?|great|perfect|awesome|excellent|wonderful|got it|noted|received|will do|sounds good)"
    r"[,!. ]*)?"
    r"(?:thanks|thank you|thx|many thanks|much appreciated|appreciate (?:it|this|that|you|the update)|got it|"
    r"received|noted|will do|sounds good|great|perfect|(?:this is )?(?:very |really |super )?helpful"
    r"|(?:muchas |mil )?gracias|merci(?: beaucoup| bien)?|(?:vielen |herzlichen )?dank|danke(?: schön| sehr)?"
    r"|(?:muito )?obrigad[oa]|grazie(?: mille)?|(?:hartelijk )?bedankt|hartelijk dank|dank (?:je|u) wel"
    r"|(?:большое )?спасибо)"
    r"(?: (?:so|very) much)?(?: again)?"
    r"(?: (?:for|on|por|pour|für|pelas?|pelos?|per|voor|за|para) [^?]{0,60})?(?: [A-Z][a-z]+)?[\s!.,:)]*$"
    r"|^[^?？]{0,12}(?:ありがとうございま(?:す|した)|谢谢|感谢|多谢)[^?？]{0,20}$",
    re.IGNORECASE,
)


def member_text(body: str) -> str:
    """What the member wrote: no quoted message, banner, sign-off, signature, mobile footer or disclaimer."""
    text = "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    text = text.replace("\xa0", " ").replace("\u200b", "").replace("\ufeff", "")
    lines = _drop_banners(_trim(member_lines(text.split("\n"))))
    lines = _drop_dash_name(lines[: _signature_start(lines)])
    lines = _drop_trailing_signature(lines)
    return "\n".join(lines).strip()


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
        if wrote_before and _DEVICE_FOOTER.match(re.sub(r"<https?://[^>\s]*>$", "", stripped)):
            return index
        # A sign-off ends the text only when the member wrote something before it and asks nothing after it:
        # "Thanks!" alone is the whole reply, and "Thank you!" above a question is a greeting.
        asked_after = any(mark in later for later in lines[index + 1 :] for mark in "?？")
        if _SIGNOFF.match(stripped) and wrote_before and not asked_after:
            return index
    return len(lines)


def _drop_dash_name(lines: list[str]) -> list[str]:
    """A name signed after a dash ("-Carl", "- Jiang", "-- Lars", "-Carl (who will reply later)") ends the text;
    footnotes the member put under it ("[1] http://...") stay. A dash item of a list is not a signature."""
    for index in range(len(lines) - 1, 0, -1):
        if not _DASH_NAME.match(lines[index].strip()):
            continue
        above = next((line.strip() for line in reversed(lines[:index]) if line.strip()), "")
        if not above or above.endswith(":") or _LIST_ITEM.match(above) or not any(map(_is_content, lines[:index])):
            return lines
        tail = lines[index + 1 :]
        notes = next((k for k, line in enumerate(tail) if _FOOTNOTE.match(line.strip())), len(tail))
        return lines[:index] + tail[notes:]
    return lines


def _signature_like(line: str, *, under_name: bool = False) -> bool:
    """A line that may belong to a signature block: short, no question, not ended like a sentence.

    `under_name`: below the signer's name a title may be any short phrase ("заместитель директора по учебной
    работе", "Directrice financière"), since the name, not the line, shows that the block is a signature."""
    stripped = line.strip()
    words = [word for word in stripped.split() if word not in ("|", "•", "·", "-", "–")]
    if len(stripped) > 90 or len(words) > 12 or "?" in stripped or "？" in stripped or _FOOTNOTE.match(stripped):
        return False
    if stripped.endswith((".", "!", ":", ";", ",", "。", "！")) and not re.search(r"\b[A-Z][a-z]?\.$", stripped):
        return False  # sentences end with punctuation; titles and names do not (bar "Ph.D.", "Jr.")
    if _PHONE.search(stripped) or _is_name(stripped) or _CONTACT.search(stripped) or _ADDRESS_LINE.search(stripped):
        return True
    # A title or a district name is short, or written in title case; "Same question for our district" is a
    # sentence.
    return len(words) <= (8 if under_name else 4) or (bool(_SIGNATURE_MARK.search(stripped)) and _title_case(stripped))


def _is_name(line: str) -> bool:
    """A person's name as signed: "Jane Doe", "- Jane", "Dr. Jane Doe, Ph.D.", "Sanne de Vries", "王丽"."""
    stripped = line.strip()
    if _NAME_LINE.match(stripped) or _CJK_NAME.match(stripped):
        return True
    words = re.sub(r"^[-–—~]\s*", "", stripped).split(",")[0].split()
    return 0 < len(words) <= 4 and all(
        (word[0].isupper() and word.replace("-", "").replace(".", "").replace("'", "").isalpha())
        or word in _PARTICLES
        for word in words
    ) and words[0][0].isupper()


def _title_case(line: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’/-]*", line) if w.lower() not in _SMALL_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _drop_trailing_signature(lines: list[str]) -> list[str]:
    """A signature block left under the text after the sign-off rules, recognised by its shape: a run of
    short lines opened by a name, or holding a phone number, an address, an email or web address."""
    lines = _trim(lines)
    start = _run_start(lines, under_name=True)
    first_name = next((k for k in range(start, len(lines)) if _is_name(lines[k])), None)
    if first_name is not None and len(lines) - first_name <= 8:
        start = first_name
    else:
        start = _run_start(lines, under_name=False)
        block = lines[start:]
        if not any(_SIGNATURE_MARK.search(ln) or _PHONE.search(ln) or _ADDRESS_LINE.search(ln) for ln in block):
            return lines
    if start == len(lines) or not any(_is_content(line) for line in lines[:start]):
        return lines
    if lines[start - 1].strip().endswith((":", "：")):
        return lines  # "Our concerns:" introduces what follows; a signature is not introduced
    return _drop_trailing_signature(lines[:start])


def _run_start(lines: list[str], *, under_name: bool) -> int:
    """Where the run of signature-like lines at the end of `lines` starts (len(lines) when there is none)."""
    start = len(lines)
    while start > 0 and lines[start - 1].strip() and _signature_like(lines[start - 1], under_name=under_name):
        start -= 1
    return start


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
    if body and not re.search(r"[^\W_]", "".join(body)):
        return True  # "👍", "🙏": a reaction, not a question
    sentences = [s for s in re.split(r"(?<=[.!?,;])\s+|\n", "\n".join(body)) if s.strip()]
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
