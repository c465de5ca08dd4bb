"""Post-contact inspection in the background, and the live check used by the agent desktop.

Every contact that ends is inspected by a worker thread fed from ``contact.ended`` /
``contact.abandoned`` events; nothing runs in the thread that ended the contact. On start,
and whenever the worker has been idle for ``sweep_seconds``, contacts that ended without an
inspection (a crash, a writer that did not announce the end) are caught up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from fincall.compliance.engine import check_live, warm_up
from fincall.compliance.rulepack import choose_pack_id, get_pack, get_packs
from fincall.core.worker import EventWorker
from fincall.qa import service
from fincall.runtime import Runtime

log = logging.getLogger(__name__)

TOPICS = ("contact.ended", "contact.abandoned")


_ONE_AT_A_TIME = threading.Lock()


def process_contact(runtime: Runtime, contact_id: str, *, force: bool = False) -> bool:
    """Inspect one ended contact in its own transaction; False when it was already inspected.

    Calls in one process are serialised (the worker, catch-up and tests never race for the
    same contact); another node inspecting it first shows up as a unique-version conflict.
    """
    with _ONE_AT_A_TIME:
        try:
            with runtime.transaction() as session:
                if not force and service.current(session=session, contact_id=contact_id):
                    return False
                service.inspect_contact(
                    session=session, contact_id=contact_id, data_dir=runtime.settings.data_dir
                )
        except IntegrityError:
            if force:
                raise
            return False
    return True


def catch_up(runtime: Runtime, *, limit: int = 500) -> int:
    """Inspect contacts that ended without an inspection; returns how many were inspected."""
    done = 0
    while True:
        with runtime.transaction() as session:
            ids = service.uninspected(session=session, limit=limit)
        if not ids:
            return done
        progressed = 0
        for cid in ids:
            try:
                if process_contact(runtime, cid):
                    progressed += 1
            except Exception:
                log.exception("inspection of contact %s failed", cid)
        done += progressed
        if progressed == 0 or len(ids) < limit:
            return done


class InspectionWorker(EventWorker):
    """Inspects every contact that ends (and, when idle, catches up the ones missed)."""

    name = "qa-inspection"
    topics = TOPICS

    def __init__(self, runtime: Runtime, *, sweep_seconds: float = 60.0) -> None:
        super().__init__(runtime, sweep_seconds=sweep_seconds)

    def start(self, *, catch_up_first: bool = True) -> None:
        super().start(catch_up_first=catch_up_first)

    def handle(self, item: str) -> bool:
        return process_contact(self.runtime, item)

    def catch_up(self) -> int:
        return catch_up(self.runtime)


# --------------------------------------------------------------------------- live check

LiveCheck = Callable[..., list[dict[str, Any]]]


def make_live_check(data_dir: Path | None = None) -> LiveCheck:
    """A ``(text, language, speaker) -> [finding dict]`` function for draft messages.

    Each dict has category, severity, rule_id, message (the rule's description), evidence,
    detail and ``block`` (True only for a prohibited promise).
    """

    def live_check(
        text: str, language: str = "en", speaker: str = "agent", **context: Any
    ) -> list[dict[str, Any]]:
        lang = language or "en"
        pack = get_pack(
            choose_pack_id(language=lang, region=context.pop("region", None)), data_dir=data_dir
        )
        out = []
        for f in check_live(text, speaker=speaker, language=lang, pack=pack, context=context):
            try:
                message = pack.rule(f.rule_id).description
            except KeyError:
                message = f.category.replace("_", " ")
            out.append(
                {
                    "category": f.category,
                    "severity": f.severity,
                    "rule_id": f.rule_id,
                    "pack_version": f.pack_version,
                    "message": message,
                    "evidence": f.evidence.text if f.evidence else "",
                    "detail": f.detail,
                    "block": f.category == "prohibited_promise",
                }
            )
        return out

    return live_check


# --------------------------------------------------------------------------- app wiring


async def background_hook(runtime: Runtime, app: Any) -> Callable[[], Awaitable[None]]:
    """Start the post-contact worker; warm the engine up off the event loop."""
    data_dir = runtime.settings.data_dir

    def _warm() -> None:
        try:
            warm_up(list(get_packs(data_dir=data_dir).values()))
        except Exception:
            log.exception("compliance engine warm-up failed")

    warm = threading.Thread(target=_warm, name="qa-warm-up", daemon=True)
    warm.start()
    worker = InspectionWorker(runtime)
    worker.start()
    app.state.qa_worker = worker

    async def stop() -> None:
        await asyncio.to_thread(worker.stop)

    return stop
