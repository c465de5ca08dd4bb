"""The pure email parser: quoted-reply stripping, thread ids, bodies, attachments, refusals."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fincall.channels.email import parsing
from fincall.channels.email.errors import AttachmentTooLarge, MailRejected, MalformedEmail
from fincall.channels.email.models import EmailMessage as EmailRow
from fincall.channels.email.outbound import thread_references
from fincall.channels.email.storage import safe_filename


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\nOn Tue, 3 Nov 2026 at 09:12, Bank <s@b.c> wrote:\n> old\n> older", "Thanks!"),
        ("Thanks!\nOn Tue, 3 Nov 2026 at 09:12, Bank Service\n<s@b.c> wrote:\n> old", "Thanks!"),
        ("收到，谢谢\n\n在 2026年11月3日 09:12，客服 <s@b.c> 写道：\n> 旧内容", "收到，谢谢"),
        ("Fine.\n-----Original Message-----\nFrom: Bank\nSent: today\nold", "Fine."),
        ("Fine.\n\nFrom: Bank Service <s@b.c>\nSent: Tuesday\nSubject: x\n\nold", "Fine."),
        ("> quoted first\nmy answer\n> more quote\nsecond line", "my answer\nsecond line"),
        ("On the other hand, I agree.\nOk.", "On the other hand, I agree.\nOk."),
    ],
)
def test_strip_quoted(text, expected):
    assert parsing.strip_quoted(text) == expected


_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40)


@given(st.lists(_line, max_size=12))
def test_strip_quoted_leaves_no_quote_lines_and_is_idempotent(lines):
    once = parsing.strip_quoted("\n".join(lines))
    assert not any(ln.lstrip().startswith(">") for ln in once.split("\n"))
    assert parsing.strip_quoted(once) == once


@given(st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ,.?]{0,30}", fullmatch=True), max_size=8))
def test_plain_text_without_markers_survives(lines):
    lines = [ln for ln in lines if not ln.lower().startswith(("on ", "from"))]
    text = "\n".join(lines)
    kept = parsing.strip_quoted(text).split("\n")
    assert [k for k in kept if k.strip()] == [ln.rstrip() for ln in lines if ln.strip()]


@given(st.binary(max_size=300))
def test_parser_never_crashes_on_arbitrary_bytes(raw):
    try:
        parsed = parsing.parse(raw)
    except MailRejected:  # refusing is fine; any other exception fails the test
        return
    assert "@" in parsed.from_addr and parsed.message_id.startswith("<")


def _msg(**headers) -> EmailMessage:
    m = EmailMessage()
    m["From"] = headers.pop("From", "Ann <ANN@Example.COM>")
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content("hello")
    return m


def test_thread_ids_prefer_in_reply_to_then_newest_reference():
    p = parsing.parse(
        _msg(Message_ID="<c@x>", In_Reply_To="<b@x>", References="<a@x> <b@x>").as_bytes()
    )
    assert p.thread_ids == ["<b@x>", "<a@x>"] and p.from_addr == "ann@example.com"


def test_missing_message_id_gets_a_stable_one():
    raw = _msg().as_bytes()
    assert parsing.parse(raw).message_id == parsing.parse(raw).message_id
    assert parsing.parse(raw).message_id != parsing.parse(raw + b"x").message_id


def test_html_only_mail_becomes_text():
    m = EmailMessage()
    m["From"] = "a@b.example"
    m.set_content("<p>Hello <b>there</b></p><script>x()</script><p>Line 2</p>", subtype="html")
    assert parsing.parse(m.as_bytes()).text == "Hello there\nLine 2"


def test_alternative_html_is_not_an_attachment_but_a_forwarded_mail_is():
    m = _msg()
    m.add_alternative("<p>hello</p>", subtype="html")
    inner = _msg(Subject="inner")
    m.add_attachment(inner)
    p = parsing.parse(m.as_bytes())
    assert p.text.strip() == "hello"
    assert [(a.content_type, a.filename) for a in p.attachments] == [
        ("message/rfc822", "message-1.eml")
    ]
    assert b"inner" in p.attachments[0].data


def test_attachment_limit_and_no_from():
    m = _msg()
    m.add_attachment(b"x" * 11, maintype="application", subtype="octet-stream", filename="a.bin")
    with pytest.raises(AttachmentTooLarge) as err:
        parsing.parse(m.as_bytes(), max_attachment_bytes=10)
    assert err.value.reply().startswith("552 ")
    with pytest.raises(MalformedEmail) as err2:
        parsing.parse(b"Subject: no sender\r\n\r\nhi")
    assert err2.value.reply().startswith("550 ")


def test_safe_filename_cannot_escape():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\boot.ini") == "boot.ini"
    assert safe_filename("...") == "file"
    assert safe_filename("报表 2026.pdf") == "报表_2026.pdf"


def test_references_keep_root_and_newest():
    parent = EmailRow(
        message_id="<p@x>",
        in_reply_to="<o@x>",
        reference_ids=" ".join(f"<r{i}@x>" for i in range(30)),
    )
    refs = thread_references(parent)
    assert len(refs) == 20 and refs[0] == "<r0@x>" and refs[-1] == "<p@x>"
    lone = EmailRow(message_id="<p@x>", in_reply_to="<o@x>", reference_ids="")
    assert thread_references(lone) == ["<o@x>", "<p@x>"]
