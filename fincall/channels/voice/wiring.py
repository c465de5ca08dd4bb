"""The voice channel inside a running fincall: endpoint, IVR handler, post-call jobs."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Any

from fincall.channels.voice import credentials, store
from fincall.channels.voice.call import Call, CallEvent
from fincall.channels.voice.ivr.handler import CallBroker, IvrHandler
from fincall.channels.voice.retention import policy_from_env
from fincall.channels.voice.server import SipEndpoint
from fincall.channels.voice.service import start_voice
from fincall.runtime import Runtime
from fincall.speech.asr import LanguageRouter, Recognizer
from fincall.speech.tts import EspeakSynthesizer

log = logging.getLogger(__name__)


def default_recognizer(data_dir: Path) -> Recognizer:
    """English on pocketsphinx; other languages from ``<data_dir>/asr-models/<language>``."""
    root = Path(data_dir) / "asr-models"
    dirs = {p.name: p for p in root.iterdir() if p.is_dir()} if root.is_dir() else {}
    return LanguageRouter(model_dirs=dirs)


class VoiceChannel:
    """Owns the call broker (routing events → calls), the IVR handler and post-call work."""

    def __init__(self, runtime: Runtime, *, recognizer: Recognizer | None = None) -> None:
        self.runtime = runtime
        self.broker = CallBroker()
        self._recognizer = recognizer
        self.policy = policy_from_env()
        self.endpoint: SipEndpoint | None = None
        self.handler: IvrHandler | None = None
        self._warming: asyncio.Future[int] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice-postcall")
        self._jobs: list[Future[Any]] = []
        self._unsubscribe = [
            runtime.bus.subscribe("routing.offer", self.broker.on_event),
            runtime.bus.subscribe("contact.connected", self.broker.on_event),
        ]

    @property
    def recognizer(self) -> Recognizer:
        """The post-call recogniser (built on first use)."""
        if self._recognizer is None:
            self._recognizer = default_recognizer(self.runtime.settings.data_dir)
        return self._recognizer

    def make_handler(self, **options: Any) -> IvrHandler:
        """The IVR handler (prompts from espeak-ng cached under ``data_dir/tts``)."""
        tts = EspeakSynthesizer(cache_dir=Path(self.runtime.settings.data_dir) / "tts")
        self.handler = IvrHandler(runtime=self.runtime, broker=self.broker, tts=tts, **options)
        return self.handler

    async def start(
        self, *, host: str | None = None, port: int | None = None, **options: Any
    ) -> SipEndpoint:
        """Start the SIP endpoint: IVR handler, registrar reading the stored passwords."""
        settings = self.runtime.settings
        handler = self.make_handler(**options)
        self.endpoint = await start_voice(
            settings,
            handler,
            credentials=credentials.provider(self.runtime.sessions, settings.recording_master_key),
            bus=self.runtime.bus,
            on_event=self.on_call_event,
            host=host,
            port=port,
        )
        handler.endpoint = self.endpoint
        self._warming = asyncio.ensure_future(asyncio.to_thread(self.warm_prompts))
        return self.endpoint

    def warm_prompts(self) -> int:
        """Render every prompt of the flow once (espeak-ng cache), so first callers wait less."""
        handler = self.handler
        if handler is None or handler.tts is None:
            return 0
        done = 0
        for text, language in handler.prompts():
            try:
                handler.tts.render(text, language=language)
                done += 1
            except Exception:  # a missing voice only costs that prompt
                log.warning("could not render a %s prompt", language)
        return done

    async def stop(self) -> None:
        """Stop the endpoint, finish queued post-call jobs, stop listening to routing."""
        if self.endpoint is not None:
            await self.endpoint.stop()
            self.endpoint = None
        await asyncio.to_thread(self.drain, 120.0)
        self.close()

    def close(self) -> None:
        """Release the bus subscriptions and the worker thread."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._executor.shutdown(wait=False)

    async def connect_outbound(self, call: Call, contact_id: str) -> None:
        """An answered campaign call whose contact the runner queued: keep it, hold, bridge."""
        language = await asyncio.to_thread(
            store.attach_call,
            self.runtime,
            contact_id=contact_id,
            sip_call_id=call.dialog.call_id,
            number=call.called,
        )
        if call.ended:  # the customer hung up before the call row existed
            await self.on_call_event(call.event("ended"))
            return
        handler = self.handler or self.make_handler()
        handler.endpoint = handler.endpoint or self.endpoint
        await handler.on_outbound(call, contact_id=contact_id, language=language)

    async def on_call_event(self, event: CallEvent) -> None:
        """After a hang-up of a contact's call: store the recording, close or hand on the contact.

        Agent legs have no call row of their own and are skipped by ``store.call_ended``.
        """
        if event.kind != "ended":
            return
        contact_id = await asyncio.to_thread(
            store.call_ended, self.runtime, event=event, policy=self.policy
        )
        if contact_id is not None:
            self.submit_transcription(contact_id)

    def submit_transcription(self, contact_id: str) -> Future[Any]:
        """Queue the post-call transcription (it ends the contact, which starts QA)."""
        job = self._executor.submit(
            store.transcribe_and_end,
            self.runtime,
            contact_id=contact_id,
            recognizer=self.recognizer,
            master_key=self.runtime.settings.recording_master_key,
        )
        self._jobs.append(job)
        return job

    def drain(self, timeout: float = 60.0) -> None:
        """Wait for queued post-call jobs (tests, shutdown)."""
        jobs, self._jobs = self._jobs, []
        wait_futures(jobs, timeout=timeout)
        for job in jobs:
            if job.done() and job.exception() is not None:
                log.error("post-call job failed: %r", job.exception())
