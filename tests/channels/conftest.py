"""Fixtures for the email and webhook channels: their tables, a mail sink, an inbound listener."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from fincall.channels.email.models import EmailAttachment
from fincall.channels.email.models import EmailMessage as EmailRow
from fincall.channels.email.smtp import SmtpListener, serve, start_smtp
from fincall.channels.webhooks.models import WebhookMessage
from tests.channels.helpers import Sink

CHANNEL_TABLES = (EmailRow, EmailAttachment, WebhookMessage)


def _with_tables(world):
    for model in CHANNEL_TABLES:
        model.__table__.create(world.runtime.engine, checkfirst=True)
    return world


@pytest.fixture
def chan_world(world):
    """``world`` (SQLite) plus the email and webhook tables."""
    return _with_tables(world)


@pytest.fixture
def chan_any_world(any_world):
    """``any_world`` (SQLite, then PostgreSQL) plus the email and webhook tables."""
    return _with_tables(any_world)


@pytest.fixture
def sink() -> Iterator[tuple[Sink, SmtpListener]]:
    box = Sink()
    listener = serve(box, "127.0.0.1", 0)
    yield box, listener
    listener.stop()


@pytest.fixture
def listen() -> Iterator[Callable[..., SmtpListener]]:
    """Start inbound listeners (64 KiB attachment limit) on free ports; stopped afterwards."""
    started: list[SmtpListener] = []

    def start(world, **options) -> SmtpListener:
        options.setdefault("max_attachment_bytes", 64 * 1024)
        listener = start_smtp(world.runtime, "127.0.0.1", 0, **options)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


@pytest.fixture
def inbound(chan_world, listen) -> SmtpListener:
    return listen(chan_world)
