"""Wiring for ``fincall serve``: start and stop the voice endpoint inside the server's loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fincall.channels.voice.call import CallEvent, CallHandler
from fincall.channels.voice.demo import DemoHandler
from fincall.channels.voice.registrar import CredentialProvider
from fincall.channels.voice.server import EventSink, SipEndpoint
from fincall.core.events import Event, EventBus
from fincall.speech.tts import EspeakSynthesizer


def bus_sink(bus: EventBus, *, then: EventSink | None = None) -> EventSink:
    """An event sink publishing ``voice.call.<kind>`` events on the in-process bus."""

    async def sink(event: CallEvent) -> None:
        bus.publish(Event(topic=f"voice.call.{event.kind}", payload=event.to_payload()))
        if then is not None:
            result = then(event)
            if result is not None:
                await result

    return sink


async def start_voice(
    settings: Any,
    handler: CallHandler | None = None,
    *,
    credentials: CredentialProvider | None = None,
    bus: EventBus | None = None,
    on_event: EventSink | None = None,
    host: str | None = None,
    port: int | None = None,
    rtp_ports: tuple[int, int] = (0, 0),
    record: bool = True,
) -> SipEndpoint:
    """Bind the SIP endpoint (settings.sip_host/sip_port); ``await endpoint.stop()`` ends it.

    Recordings go to ``settings.data_dir / "recordings"`` encrypted under
    ``settings.recording_master_key``; lifecycle events go to ``on_event`` and/or ``bus``.
    """
    data_dir = Path(settings.data_dir)
    if handler is None:
        handler = DemoHandler(tts=EspeakSynthesizer(cache_dir=data_dir / "tts"))
    sink = bus_sink(bus, then=on_event) if bus is not None else on_event
    endpoint = SipEndpoint(
        handler=handler,
        host=host or settings.sip_host,
        port=settings.sip_port if port is None else port,
        credentials=credentials,
        rtp_ports=rtp_ports,
        recordings_dir=data_dir / "recordings" if record else None,
        master_key=settings.recording_master_key if record else None,
        on_event=sink,
    )
    await endpoint.start()
    return endpoint
