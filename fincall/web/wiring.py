"""Optional parts plugged into the application: the flow bot with its intent model, the
compliance guard, channels (email, messaging webhooks) and the knowledge index."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from fincall.core.heap import settle_heap
from fincall.runtime import Runtime

log = logging.getLogger(__name__)

PACK_BY_LANGUAGE = {"zh-CN": "cn-mainland", "zh-HK": "hk", "zh": "cn-mainland", "en": "us"}


def pack_for_language(language: str) -> str:
    return PACK_BY_LANGUAGE.get(language, "us")


def _demo_sms(runtime: Runtime) -> Callable[[str, str], None]:
    """The demo's SMS gateway: messages go to ``<data dir>/demo-sms.log`` (owner-only)."""
    path = runtime.settings.data_dir / "demo-sms.log"

    def send(customer_id: str, text: str) -> None:
        path.touch(mode=0o600, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{customer_id}\t{text}\n")

    return send


def install_bot(app: FastAPI, runtime: Runtime) -> None:
    """The chat bot runs the main banking flow; its intent model loads in the background."""
    from fincall.channels.chat.flowbot import FlowChatBot
    from fincall.compliance.engine import check_live
    from fincall.flows.adapters import ComplianceReplyGuard, NluIntents
    from fincall.flows.loader import load_library

    app.state.nlu = None

    def classifier() -> Any:
        nlu = app.state.nlu
        return None if nlu is None else NluIntents(nlu.intents)

    def guard(context: Callable[[], dict[str, Any]]) -> ComplianceReplyGuard:
        return ComplianceReplyGuard(check_live, pack=pack_for_language, context=context)

    app.state.chat_bot = FlowChatBot(
        flow=load_library()["main_banking"],
        classifier=classifier,
        guard=guard,
        sms=_demo_sms(runtime),
    )

    async def load_nlu(rt: Runtime, app: FastAPI) -> None:
        if not rt.settings.nlu_enabled:
            return None
        from fincall.nlu import service as nlu

        def load() -> None:
            try:
                app.state.nlu = nlu.load_or_train(settings=rt.settings)
                settle_heap()
                log.info("intent model ready")
                app.state.sentiment_scorer = app.state.nlu.sentiment.score
                worker = getattr(app.state, "sentiment_worker", None)
                if worker is not None:
                    worker.sweep()
            except Exception:
                log.exception("intent model unavailable; the bot hands every chat to an agent")

        asyncio.get_running_loop().run_in_executor(None, load)
        return None

    app.state.background_hooks.append(load_nlu)


def install_sentiment(app: FastAPI, runtime: Runtime) -> None:
    """Customer utterances of every channel are scored on a worker thread after commit.

    The scorer is ``app.state.sentiment_scorer`` (set once the NLU model has loaded).
    """
    from fincall.contacts.sentiment_worker import SentimentWorker

    app.state.sentiment_scorer = None

    async def start(rt: Runtime, app: FastAPI) -> Callable[[], Awaitable[None]]:
        worker = SentimentWorker(rt, lambda: app.state.sentiment_scorer)
        worker.start()
        worker.sweep()
        app.state.sentiment_worker = worker

        async def stop() -> None:
            await asyncio.to_thread(worker.stop)

        return stop

    app.state.background_hooks.append(start)


def install_knowledge(app: FastAPI, runtime: Runtime) -> None:
    from fincall.knowledge.views import router

    app.include_router(router)
    app.state.kb_index = None

    async def build(rt: Runtime, app: FastAPI) -> None:
        from fincall.knowledge import service as kb

        def run() -> None:
            try:
                with rt.transaction() as session:
                    app.state.kb_index = kb.build_index(session=session)
            except Exception:
                log.exception("knowledge index not built")

        def rebuild(_evt: Any) -> None:
            asyncio.run_coroutine_threadsafe(asyncio.to_thread(run), loop)

        loop = asyncio.get_running_loop()
        await asyncio.to_thread(run)
        unsubscribe = [
            rt.bus.subscribe("kb.version_approved", rebuild),
            rt.bus.subscribe("kb.article_retired", rebuild),
        ]

        async def stop() -> None:
            for u in unsubscribe:
                u()

        return stop

    app.state.background_hooks.append(build)


def install_channels(app: FastAPI, runtime: Runtime) -> None:
    """Email (SMTP in, relay out) and signed messaging webhooks."""
    from fincall.channels.email.outbound import SmtpRelay
    from fincall.channels.email.views import build_router as email_router
    from fincall.channels.webhooks.service import Gateway
    from fincall.channels.webhooks.views import build_router as webhook_router

    s = runtime.settings
    relay = (
        SmtpRelay(
            host=s.smtp_relay_host,
            port=s.smtp_relay_port,
            mail_from=s.mail_from,
            domain=s.mail_domain,
        )
        if s.smtp_relay_host
        else None
    )
    app.state.email_relay = relay
    app.include_router(email_router(None))
    secrets = {name: value.get_secret_value() for name, value in s.webhook_secrets.items()}
    gateways = {
        name: Gateway(name=name, reply_url=url, secret=secrets[name])
        for name, url in s.webhook_reply_urls.items()
        if name in secrets
    }
    if secrets:  # the inbound routes exist only for configured gateways (they check HMAC)
        app.include_router(webhook_router(secrets, gateways))

    async def smtp(rt: Runtime, app: FastAPI) -> Callable[[], Awaitable[None]] | None:
        if not rt.settings.smtp_enabled:
            return None
        from fincall.channels.email.smtp import start_smtp

        listener = await asyncio.to_thread(
            start_smtp, rt, rt.settings.smtp_host, rt.settings.smtp_port
        )
        log.info("SMTP listening on %s:%s", rt.settings.smtp_host, rt.settings.smtp_port)

        async def stop() -> None:
            await asyncio.to_thread(listener.stop)

        return stop

    app.state.background_hooks.append(smtp)


def install_redis_bus(app: FastAPI, runtime: Runtime) -> None:
    """With ``FINCALL_REDIS_URL`` events also travel between nodes through Redis pub/sub."""

    async def bridge(rt: Runtime, app: FastAPI) -> Callable[[], Awaitable[None]] | None:
        if not rt.settings.redis_url:
            return None
        from fincall.core.redis_bus import RedisBridge

        b = RedisBridge(rt.bus, rt.settings.redis_url)
        await asyncio.to_thread(b.start)
        log.info("events shared through Redis")

        async def stop() -> None:
            await asyncio.to_thread(b.stop)

        return stop

    app.state.background_hooks.append(bridge)
