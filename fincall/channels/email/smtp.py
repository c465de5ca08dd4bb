"""The inbound SMTP listener (aiosmtpd): mail is committed before it is acknowledged with 250."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from fincall.channels.email import parsing
from fincall.channels.email import service as mail
from fincall.channels.email.errors import MailRejected
from fincall.channels.email.storage import StagedFiles, mail_key
from fincall.runtime import Runtime

log = logging.getLogger(__name__)


class InboundMailHandler:
    """aiosmtpd handler: each accepted message is stored in one transaction, then answered."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        max_attachment_bytes: int = parsing.MAX_ATTACHMENT_BYTES,
        accept_domains: Collection[str] | None = None,
    ) -> None:
        self.runtime = runtime
        self.key = mail_key(runtime.settings)
        self.max_attachment_bytes = max_attachment_bytes
        self.accept_domains = {d.lower() for d in accept_domains} if accept_domains else None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domain = address.rsplit("@", 1)[-1].lower()
        if self.accept_domains is not None and domain not in self.accept_domains:
            return "550 5.7.1 relaying denied: not a mailbox of this contact center"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.store, bytes(raw))

    def store(self, raw: bytes) -> str:
        """Store one message; the SMTP reply says what happened (5xx refused, 4xx retry later)."""
        files = StagedFiles(self.runtime.settings.data_dir, self.key)
        try:
            with self.runtime.transaction() as session:
                got = mail.receive(
                    session=session,
                    files=files,
                    raw=raw,
                    max_attachment_bytes=self.max_attachment_bytes,
                )
        except MailRejected as exc:
            files.discard()
            log.info("inbound mail refused: %s", exc.message)
            return exc.reply()
        except Exception:
            files.discard()
            log.exception("inbound mail could not be stored")
            return "451 4.3.0 temporary failure storing the message; please retry"
        if got.duplicate:
            return f"250 2.0.0 already received as {got.contact_id}"
        return f"250 2.0.0 stored as {got.contact_id}"


@dataclass
class SmtpListener:
    """A running listener: call it (or ``stop()``) to shut it down; ``port`` is the bound port."""

    host: str
    port: int
    _loop: asyncio.AbstractEventLoop
    _server: Any
    _thread: threading.Thread
    _stopped: bool = field(default=False)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True

        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __call__(self) -> None:
        self.stop()


def serve(
    handler: Any,
    host: str,
    port: int,
    *,
    data_size_limit: int | None = None,
    smtputf8: bool = True,
    tls_context: ssl.SSLContext | None = None,
    require_starttls: bool = False,
) -> SmtpListener:
    """Run an aiosmtpd server for ``handler`` on its own thread; port 0 picks a free port."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    def factory() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=data_size_limit,
            enable_SMTPUTF8=smtputf8,
            tls_context=tls_context,
            require_starttls=require_starttls,
            hostname=host,
            loop=loop,
        )

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            box["server"] = loop.run_until_complete(loop.create_server(factory, host, port))
        except BaseException as exc:  # report bind errors to the caller
            box["error"] = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name=f"smtp-{host}:{port}", daemon=True)
    thread.start()
    ready.wait(timeout=10)
    if "error" in box:
        raise box["error"]
    server = box["server"]
    bound = server.sockets[0].getsockname()[1]
    return SmtpListener(host=host, port=bound, _loop=loop, _server=server, _thread=thread)


def start_smtp(
    runtime: Runtime,
    host: str,
    port: int,
    *,
    max_attachment_bytes: int = parsing.MAX_ATTACHMENT_BYTES,
    accept_domains: Collection[str] | None = None,
    tls_context: ssl.SSLContext | None = None,
    require_starttls: bool = False,
) -> SmtpListener:
    """Start the inbound mail listener; the returned object stops it when called.

    With ``tls_context`` the listener offers STARTTLS; ``require_starttls`` refuses mail from
    senders that do not switch to TLS first.
    """
    handler = InboundMailHandler(
        runtime, max_attachment_bytes=max_attachment_bytes, accept_domains=accept_domains
    )
    # Whole-message cap: a largest attachment travels base64-encoded (4/3 larger), plus room
    # for the text and headers.
    limit = max_attachment_bytes * 4 // 3 + max(64 * 1024, max_attachment_bytes // 4)
    listener = serve(
        handler,
        host,
        port,
        data_size_limit=limit,
        tls_context=tls_context,
        require_starttls=require_starttls,
    )
    log.info("SMTP listener on %s:%s", host, listener.port)
    return listener


def start_hook(
    host: str, port: int, **options: Any
) -> Callable[[Runtime], Callable[[], Awaitable[None]]]:
    """A start-up hook for the app: starts the listener, returns an async stop function."""

    def hook(runtime: Runtime) -> Callable[[], Awaitable[None]]:
        listener = start_smtp(runtime, host, port, **options)

        async def stop() -> None:
            await asyncio.to_thread(listener.stop)

        return stop

    return hook
