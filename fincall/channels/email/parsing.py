"""Reading an RFC 5322 message into plain data: addresses, thread ids, text, attachments."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser

from fincall.channels.email.errors import AttachmentTooLarge, MalformedEmail, UndecodableEmail
from fincall.core.clock import ensure_utc

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    in_reply_to: str | None
    references: list[str]
    from_addr: str
    from_name: str
    reply_to: str | None
    to_addrs: list[str]
    subject: str
    date: datetime | None
    text: str
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Ids this message answers, most specific first (In-Reply-To, then References newest)."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return list(dict.fromkeys(ids))


def message_ids(value: str | None) -> list[str]:
    """The ``<id@host>`` tokens of a Message-ID / In-Reply-To / References header."""
    return _MSGID.findall(value or "")


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot model is treated as absent
        return None
    return None if value is None else str(value)


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    try:
        header = msg.get(name)
        addrs = getattr(header, "addresses", ()) if header is not None else ()
    except Exception:
        return []
    out = []
    for a in addrs:
        if a.username and a.domain:
            out.append((f"{a.username}@{a.domain}".lower(), a.display_name or ""))
    return out


def _date(msg: Message) -> datetime | None:
    try:
        header = msg.get("Date")
        value = getattr(header, "datetime", None)
    except Exception:
        return None
    return ensure_utc(value) if isinstance(value, datetime) else None


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "blockquote"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (tags dropped, block elements become line breaks)."""
    p = _TextOfHtml()
    p.feed(html)
    p.close()
    lines = [ln.strip() for ln in "".join(p.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_ATTRIBUTION = [
    re.compile(r"^\s*On\b.*\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*在.*(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|原始邮件|原始郵件)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above "From: ... Sent: ..."
]
_WRAPPED_ON = re.compile(r"^\s*On\b", re.IGNORECASE)
_WROTE = re.compile(r"\bwrote:\s*$", re.IGNORECASE)
_OUTLOOK = re.compile(r"^\s*(From|发件人|寄件者)\s*[:：]")
_OUTLOOK_NEXT = re.compile(r"^\s*(Sent|Date|发送时间|寄件日期|日期)\s*[:：]")


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted lines ("> ..."), the quote header and what follows go."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if any(p.match(line) for p in _ATTRIBUTION):
            break
        if _WRAPPED_ON.match(line) and _WROTE.search(nxt) and not _WROTE.search(line):
            break  # "On Mon, 1 Jan 2026, Ann <a@b.c>" / "wrote:" split over two lines
        if _OUTLOOK.match(line) and _OUTLOOK_NEXT.match(nxt):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


def _is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    if disposition == "attachment" or part.get_filename():
        return True
    return disposition == "inline" and part.get_content_maintype() not in ("text", "multipart")


def _collect(part: Message, body: Message | None, out: list[Message]) -> None:
    if part is body:
        return
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        if part is not body and (
            _is_attachment(part) or part.get_content_type() == "message/rfc822"
        ):
            out.append(part)
        return
    payload = part.get_payload()
    for sub in payload if isinstance(payload, list) else []:
        if isinstance(sub, Message):
            _collect(sub, body, out)


def _attachment(part: Message, index: int, limit: int) -> Attachment:
    name = part.get_filename() or f"attachment-{index}"
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        data = inner.as_bytes() if isinstance(inner, Message) else b""
        name = part.get_filename() or f"message-{index}.eml"
    else:
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else b""
    if len(data) > limit:
        raise AttachmentTooLarge(
            f"attachment {name!r} is {len(data)} bytes; the limit is {limit} bytes",
            filename=name,
            size=len(data),
        )
    return Attachment(filename=name, content_type=part.get_content_type(), data=data)


def _body_text(msg: EmailMessage) -> tuple[str, Message | None]:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", None
    try:
        content = body.get_content()
    except (LookupError, UnicodeError, ValueError) as exc:
        raise UndecodableEmail(f"the message text cannot be decoded ({exc})") from None
    if not isinstance(content, str):
        return "", body
    if body.get_content_subtype() == "html":
        content = html_to_text(content)
    return content, body


def parse(raw: bytes, *, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> ParsedEmail:
    """Parse one message; raise a ``MailRejected`` subclass when it cannot be accepted."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)  # noqa: S101 - policy.default always builds these
    senders = _addresses(msg, "From")
    if not senders:
        raise MalformedEmail("the message has no valid From address")
    ids = message_ids(_header(msg, "Message-ID"))
    # A message without a Message-ID gets a stable one derived from its bytes, so that a
    # redelivery of the same mail is recognised as a duplicate.
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id>"
    replied = message_ids(_header(msg, "In-Reply-To"))
    in_reply_to = replied[0] if replied else None
    text, body = _body_text(msg)
    parts: list[Message] = []
    _collect(msg, body, parts)
    attachments = [_attachment(p, i + 1, max_attachment_bytes) for i, p in enumerate(parts)]
    reply_to = _addresses(msg, "Reply-To")
    return ParsedEmail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=message_ids(_header(msg, "References")),
        from_addr=senders[0][0],
        from_name=senders[0][1],
        reply_to=reply_to[0][0] if reply_to else None,
        to_addrs=[a for a, _ in _addresses(msg, "To") + _addresses(msg, "Cc")],
        subject=" ".join((_header(msg, "Subject") or "").split()),
        date=_date(msg),
        text=text.replace("\r\n", "\n"),
        attachments=attachments,
    )
