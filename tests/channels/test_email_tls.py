"""STARTTLS on both sides: the listener can demand it, replies verify the relay's certificate."""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fincall.auth import audit
from fincall.channels.email import service as mail
from fincall.channels.email.errors import RelayUnavailable
from fincall.channels.email.outbound import SmtpRelay, send_reply
from fincall.channels.email.smtp import serve
from fincall.channels.email.storage import StagedFiles
from fincall.contacts.models import Contact
from fincall.core.clock import utcnow
from tests.channels.helpers import Sink, customer_with
from tests.channels.helpers import mail as make_mail


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key, as files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fincall test")])
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return d / "cert.pem", d / "key.pem"


def _server_context(cert, key) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def test_listener_requires_starttls_when_told(chan_world, listen, tls_files):
    cert, key = tls_files
    listener = listen(chan_world, tls_context=_server_context(cert, key), require_starttls=True)
    cust = customer_with(chan_world, language="en")
    msg = make_mail(sender=cust.email, message_id="<tls1@c>", text="over TLS")
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            smtp.send_message(msg)
        assert err.value.smtp_code == 530
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=str(cert)))
        smtp.send_message(msg)
    with chan_world.runtime.transaction() as session:
        assert mail.get_by_message_id(session=session, message_id="<tls1@c>") is not None


def test_reply_verifies_the_relay_certificate(chan_world, inbound, tls_files, tmp_path):
    w = chan_world
    cert, key = tls_files
    box = Sink()
    relay_server = serve(
        box, "127.0.0.1", 0, tls_context=_server_context(cert, key), require_starttls=True
    )
    try:
        cust = customer_with(w, language="en")
        with smtplib.SMTP(inbound.host, inbound.port, timeout=10) as smtp:
            smtp.send_message(make_mail(sender=cust.email, message_id="<tls2@c>", text="hi"))
        with w.runtime.transaction() as session:
            contact_id = mail.get_by_message_id(session=session, message_id="<tls2@c>").contact_id
        base = {
            "host": "127.0.0.1",
            "port": relay_server.port,
            "mail_from": "s@bank.example",
            "domain": "bank.example",
            "starttls": True,
        }
        # without the relay's certificate among the trust anchors, nothing is sent
        with pytest.raises(RelayUnavailable), w.runtime.transaction() as session:
            send_reply(
                session=session,
                contact=session.get(Contact, contact_id),
                text="untrusted",
                actor=audit.Actor.system(),
                relay=SmtpRelay(**base),
                files=StagedFiles.for_settings(w.runtime.settings),
            )
        assert box.messages == []
        with w.runtime.transaction() as session:
            send_reply(
                session=session,
                contact=session.get(Contact, contact_id),
                text="trusted",
                actor=audit.Actor.system(),
                relay=SmtpRelay(**base, ca_file=str(cert)),
                files=StagedFiles.for_settings(w.runtime.settings),
            )
        assert [m["In-Reply-To"] for m in box.messages] == ["<tls2@c>"]
    finally:
        relay_server.stop()
