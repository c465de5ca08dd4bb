"""Email in through the SMTP listener: contacts, threading, attachments, refusals; replies out."""

from __future__ import annotations

import hashlib
import smtplib

import pytest
from sqlalchemy import func, select

from fincall.auth import audit
from fincall.auth.models import AuditEvent
from fincall.channels.email import service as mail
from fincall.channels.email.errors import RelayUnavailable
from fincall.channels.email.models import EmailAttachment
from fincall.channels.email.models import EmailMessage as EmailRow
from fincall.channels.email.outbound import SmtpRelay, send_reply
from fincall.channels.email.storage import StagedFiles, StoredFileDamaged
from fincall.contacts.models import Contact, Utterance
from fincall.core.events import Event
from tests.channels.helpers import customer_with, send
from tests.channels.helpers import mail as make_mail


def _contact(world, contact_id):
    with world.runtime.transaction() as session:
        c = session.get(Contact, contact_id)
        texts = [
            (u.speaker, u.text)
            for u in session.execute(
                select(Utterance).where(Utterance.contact_id == contact_id).order_by(Utterance.seq)
            ).scalars()
        ]
        return c, texts


def _row(world, message_id):
    with world.runtime.transaction() as session:
        return mail.get_by_message_id(session=session, message_id=message_id)


def _count(world, model):
    with world.runtime.transaction() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_new_mail_opens_a_contact_for_the_customer_and_announces_it(chan_world, inbound):
    w = chan_world
    seen: list[Event] = []
    w.runtime.bus.subscribe("contact.message", seen.append)
    created: list[Event] = []
    w.runtime.bus.subscribe("contact.created", created.append)
    cust = customer_with(w, language="en")
    sender = f"Ann Example <{cust.email.upper()}>"  # matched case-insensitively
    send(
        inbound,
        make_mail(
            sender=sender, message_id="<m1@mail.example.com>", text="Hi,\nwhere is my statement?\n"
        ),
    )
    row = _row(w, "<m1@mail.example.com>")
    contact, texts = _contact(w, row.contact_id)
    assert contact.customer_id == cust.id and contact.channel == "email"
    assert contact.queue == "email-en" and contact.subject == "Statement question"
    assert contact.status == "queued"  # waiting for an agent in the email queue
    assert texts == [("customer", "Hi,\nwhere is my statement?")]
    assert row.direction == "inbound" and row.from_addr == cust.email.lower()
    on_disk = (w.runtime.settings.data_dir / row.body_path).read_bytes()
    assert b"where is my statement" not in on_disk  # encrypted at rest
    stored = StagedFiles.for_settings(w.runtime.settings).read(row.body_path)
    assert hashlib.sha256(stored).hexdigest() == row.sha256 and b"where is my statement" in stored
    assert [e.payload for e in seen] == [
        {"contact_id": contact.id, "channel": "email", "seq": 0, "direction": "inbound"}
    ]
    assert [e.payload["contact_id"] for e in created] == [contact.id]


def test_chinese_customer_goes_to_the_chinese_queue(chan_world, inbound):
    cust = customer_with(chan_world, language="zh-CN")
    send(inbound, make_mail(sender=cust.email, message_id="<zh1@x>", text="我的账单在哪里？"))
    contact, texts = _contact(chan_world, _row(chan_world, "<zh1@x>").contact_id)
    assert contact.queue == "email-zh" and texts == [("customer", "我的账单在哪里？")]


def test_utf8_headers_over_smtputf8(chan_world, inbound):
    raw = (
        "From: 陈大文 <Chan.TaiMan@Mail.Example.com>\r\nTo: service@bank.example\r\n"
        "Subject: 信用卡月結單\r\nMessage-ID: <u8@x>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "請寄給我上月的月結單。\r\n"
    ).encode()
    with smtplib.SMTP(inbound.host, inbound.port, timeout=10) as smtp:
        smtp.sendmail("chan.taiman@mail.example.com", ["service@bank.example"], raw, ["SMTPUTF8"])
    row = _row(chan_world, "<u8@x>")
    contact, texts = _contact(chan_world, row.contact_id)
    assert row.from_addr == "chan.taiman@mail.example.com" and row.subject == "信用卡月結單"
    assert contact.queue == "email-zh" and texts == [("customer", "請寄給我上月的月結單。")]


def test_mail_is_kept_even_when_its_queue_is_not_set_up(chan_world, inbound):
    from fincall.routing.models import Queue

    with chan_world.runtime.transaction() as session:
        session.delete(session.get(Queue, "email-zh"))
    cust = customer_with(chan_world, language="zh-HK")
    send(inbound, make_mail(sender=cust.email, message_id="<zh2@x>", text="查詢"))
    contact, texts = _contact(chan_world, _row(chan_world, "<zh2@x>").contact_id)
    assert (contact.queue, contact.status) == ("email-zh", "new") and texts[0][1] == "查詢"


def test_replies_thread_by_in_reply_to_and_by_references(chan_any_world, listen):
    w = chan_any_world
    inbound = listen(w)
    cust = customer_with(w, language="en")
    send(inbound, make_mail(sender=cust.email, message_id="<root@c>", text="First question"))
    first = _row(w, "<root@c>").contact_id
    quoted = (
        "Second question\n\nOn Mon, 2 Nov 2026 at 10:00, Bank <service@bank.example>\n"
        "wrote:\n> First question\n"
    )
    send(
        inbound,
        make_mail(
            sender=cust.email,
            subject="Re: Statement question",
            message_id="<r1@c>",
            in_reply_to="<root@c>",
            text=quoted,
        ),
    )
    # a client that only sets References (newest last) still threads
    send(
        inbound,
        make_mail(
            sender=cust.email,
            message_id="<r2@c>",
            references="<unknown@elsewhere> <root@c> <r1@c>",
            text="> old\nThird question",
        ),
    )
    # an unrelated mail from the same customer is a new contact
    send(inbound, make_mail(sender=cust.email, message_id="<other@c>", text="New topic"))
    assert _row(w, "<r1@c>").contact_id == first
    assert _row(w, "<r2@c>").contact_id == first
    assert _row(w, "<other@c>").contact_id != first
    _, texts = _contact(w, first)
    assert [t for _, t in texts] == ["First question", "Second question", "Third question"]


def test_a_stranger_cannot_join_another_customers_thread(chan_world, inbound):
    w = chan_world
    cust = customer_with(w, language="en")
    send(inbound, make_mail(sender=cust.email, message_id="<own@c>", text="My balance?"))
    send(
        inbound,
        make_mail(
            sender="intruder@evil.example",
            message_id="<evil@e>",
            in_reply_to="<own@c>",
            references="<own@c>",
            text="Please send the statement to this address instead",
        ),
    )
    own, evil = _row(w, "<own@c>").contact_id, _row(w, "<evil@e>").contact_id
    assert evil != own
    assert _contact(w, own)[1] == [("customer", "My balance?")]
    assert _contact(w, evil)[0].customer_id is None
    # an address that wrote on a thread may continue it even without a customer record
    send(
        inbound,
        make_mail(sender="intruder@evil.example", message_id="<e2@e>", in_reply_to="<evil@e>"),
    )
    assert _row(w, "<e2@e>").contact_id == evil


def test_redelivered_mail_is_stored_once(chan_world, inbound):
    cust = customer_with(chan_world, language="en")
    msg = make_mail(sender=cust.email, message_id="<dup@c>", text="once")
    before = _count(chan_world, Utterance)
    send(inbound, msg)
    send(inbound, msg)
    assert _count(chan_world, EmailRow) == 1
    assert _count(chan_world, Utterance) == before + 1


def test_unknown_sender_gets_a_contact_without_customer(chan_world, inbound):
    send(
        inbound,
        make_mail(
            sender="Sam Stranger <stranger@nowhere.example>", message_id="<s1@n>", text="hello"
        ),
    )
    contact, texts = _contact(chan_world, _row(chan_world, "<s1@n>").contact_id)
    assert contact.customer_id is None and contact.channel == "email"
    assert contact.attributes["email_from"] == "stranger@nowhere.example"
    assert contact.attributes["email_name"] == "Sam Stranger"
    assert texts == [("customer", "hello")]


def test_attachment_stored_with_its_sha256(chan_world, inbound):
    w = chan_world
    cust = customer_with(w, language="en")
    msg = make_mail(sender=cust.email, message_id="<att@c>", text="Payslip attached")
    payload = bytes(range(256)) * 40
    msg.add_attachment(payload, maintype="application", subtype="pdf", filename="../../payslip.pdf")
    send(inbound, msg)
    row = _row(w, "<att@c>")
    with w.runtime.transaction() as session:
        (att,) = mail.list_attachments(session=session, contact_id=row.contact_id)
    assert att.filename == "../../payslip.pdf" and att.content_type == "application/pdf"
    assert att.size == len(payload) and att.sha256 == hashlib.sha256(payload).hexdigest()
    path = w.runtime.settings.data_dir / att.path
    assert path.parent == w.runtime.settings.data_dir / "attachments" / row.contact_id
    assert payload not in path.read_bytes()
    files = StagedFiles.for_settings(w.runtime.settings)
    assert files.read(att.path) == payload
    # a flipped byte, or a sealed file moved over another one, does not open
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(StoredFileDamaged):
        files.read(att.path)
    (w.runtime.settings.data_dir / row.body_path).write_bytes(
        (w.runtime.settings.data_dir / att.path).read_bytes()
    )
    with pytest.raises(StoredFileDamaged):
        files.read(row.body_path)


def test_oversize_attachment_refused_with_552_and_nothing_stored(chan_world, inbound):
    w = chan_world
    cust = customer_with(w, language="en")
    msg = make_mail(sender=cust.email, message_id="<big@c>", text="big file")
    msg.add_attachment(
        b"x" * (64 * 1024 + 1), maintype="application", subtype="octet-stream", filename="big.bin"
    )
    contacts_before = _count(w, Contact)
    with pytest.raises(smtplib.SMTPDataError) as err:
        send(inbound, msg)
    assert err.value.smtp_code == 552 and b"big.bin" in err.value.smtp_error
    # beyond the whole-message cap the listener refuses before reading the data
    huge = make_mail(sender=cust.email, message_id="<huge@c>", text="y" * (400 * 1024))
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as err2:
        send(inbound, huge)
    assert err2.value.smtp_code == 552
    assert _count(w, Contact) == contacts_before
    assert _count(w, EmailRow) == 0 and _count(w, EmailAttachment) == 0
    assert not (w.runtime.settings.data_dir / "attachments").exists()


def test_malformed_mail_refused_with_a_reason(chan_world, inbound):
    w = chan_world
    before = _count(w, Contact)
    with pytest.raises(smtplib.SMTPDataError) as err:
        send(inbound, b"this is not an email at all\r\n")
    assert err.value.smtp_code == 550 and b"From" in err.value.smtp_error
    bad_charset = (
        b"From: a@b.example\r\nMessage-ID: <cs@b>\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n"
        b"Subject: x\r\n\r\nbody\r\n"
    )
    with pytest.raises(smtplib.SMTPDataError) as err2:
        send(inbound, bad_charset)
    assert err2.value.smtp_code == 554 and b"decoded" in err2.value.smtp_error
    assert _count(w, Contact) == before and _count(w, EmailRow) == 0


def test_reply_is_threaded_sent_through_the_relay_and_audited(chan_world, inbound, sink):
    w = chan_world
    box, relay_listener = sink
    relay = SmtpRelay(
        host=relay_listener.host,
        port=relay_listener.port,
        mail_from="Customer Service <service@bank.example>",
        domain="bank.example",
    )
    cust = customer_with(w, language="en")
    send(inbound, make_mail(sender=cust.email, message_id="<q1@c>", text="Question one"))
    send(
        inbound,
        make_mail(
            sender=cust.email,
            message_id="<q2@c>",
            in_reply_to="<q1@c>",
            references="<q1@c>",
            text="Question two",
        ),
    )
    contact_id = _row(w, "<q1@c>").contact_id
    actor = audit.Actor(user_id="usr_agent", role="agent")
    with w.runtime.transaction() as session:
        contact = session.get(Contact, contact_id)
        out = send_reply(
            session=session,
            contact=contact,
            text="Your statement is on its way.",
            actor=actor,
            relay=relay,
            files=StagedFiles.for_settings(w.runtime.settings),
        )
        out_id = out.message_id
    (sent,) = box.messages
    assert sent["In-Reply-To"] == "<q2@c>"
    assert sent["References"].split() == ["<q1@c>", "<q2@c>"]
    assert sent["Message-ID"] == out_id and out_id.endswith("@bank.example>")
    assert sent["To"] == cust.email and sent["Subject"] == "Re: Statement question"
    body = sent.get_content()
    assert body.startswith("Your statement is on its way.") and "> Question two" in body
    assert box.envelopes == [("service@bank.example", [cust.email])]
    _, texts = _contact(w, contact_id)
    assert texts[-1] == ("agent", "Your statement is on its way.")
    with w.runtime.transaction() as session:
        evt = session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "email.sent", AuditEvent.entity_id == contact_id
            )
        ).scalar_one()
        assert evt.actor_id == "usr_agent" and evt.detail["in_reply_to"] == "<q2@c>"
    # the customer answers our reply (quoting it): it lands on the same contact
    send(
        inbound,
        make_mail(
            sender=cust.email,
            message_id="<q3@c>",
            in_reply_to=out_id,
            text="Thanks!\n\n" + "\n".join("> " + ln for ln in body.splitlines()),
        ),
    )
    assert _row(w, "<q3@c>").contact_id == contact_id
    assert _contact(w, contact_id)[1][-1] == ("customer", "Thanks!")


def test_refused_reply_leaves_no_trace(chan_world, inbound, sink):
    w = chan_world
    _, relay_listener = sink
    port = relay_listener.port
    relay_listener.stop()  # nothing listens there any more
    cust = customer_with(w, language="en")
    send(inbound, make_mail(sender=cust.email, message_id="<f1@c>", text="Question"))
    contact_id = _row(w, "<f1@c>").contact_id
    relay = SmtpRelay(
        host="127.0.0.1",
        port=port,
        mail_from="service@bank.example",
        domain="bank.example",
        timeout=2,
    )
    with pytest.raises(RelayUnavailable):
        with w.runtime.transaction() as session:
            send_reply(
                session=session,
                contact=session.get(Contact, contact_id),
                text="reply",
                actor=audit.Actor.system(),
                relay=relay,
                files=StagedFiles.for_settings(w.runtime.settings),
            )
    assert _count(w, EmailRow) == 1
    assert _contact(w, contact_id)[1] == [("customer", "Question")]
    assert len(list((w.runtime.settings.data_dir / "mail" / contact_id).iterdir())) == 1


def test_reply_needs_an_inbound_email(chan_world, sink):
    from fincall.channels.email.errors import NothingToReplyTo

    w = chan_world
    _, relay_listener = sink
    relay = SmtpRelay(
        host=relay_listener.host,
        port=relay_listener.port,
        mail_from="s@bank.example",
        domain="bank.example",
    )
    with w.runtime.transaction() as session:
        contact = session.execute(select(Contact).limit(1)).scalar_one()
        with pytest.raises(NothingToReplyTo):
            send_reply(
                session=session,
                contact=contact,
                text="x",
                actor=audit.Actor.system(),
                relay=relay,
                files=StagedFiles.for_settings(w.runtime.settings),
            )


def test_mail_to_a_foreign_domain_is_not_relayed(chan_world, listen):
    listener = listen(chan_world, accept_domains=["bank.example"])
    msg = make_mail(sender="a@b.example", to="victim@elsewhere.example", message_id="<rl@b>")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(listener, msg)
    send(listener, make_mail(sender="a@b.example", message_id="<ok@b>"))
    assert _row(chan_world, "<ok@b>") is not None and _row(chan_world, "<rl@b>") is None
