"""``fincall voice ...``: run the SIP endpoint on its own (demo IVR or IVR-then-hold)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from fincall.channels.voice.call import CallEvent
from fincall.channels.voice.demo import DemoHandler, HoldHandler, QueueToAgentHandler
from fincall.channels.voice.server import SipEndpoint
from fincall.speech.tts import EspeakSynthesizer

app = typer.Typer(help="Voice channel: the SIP/RTP endpoint.")


@app.callback()
def main() -> None:
    """Voice channel: the SIP/RTP endpoint."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="SIP listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SIP UDP port")] = 5070,
    handler: Annotated[str, typer.Option(help="demo, hold or queue")] = "demo",
    agent: Annotated[str, typer.Option(help="queue handler: registered user to ring")] = "agent1",
    agent_password: Annotated[
        list[str] | None, typer.Option(help="USER:PASSWORD of a softphone allowed to REGISTER")
    ] = None,
    recordings: Annotated[
        Path | None, typer.Option(help="directory for encrypted recordings")
    ] = None,
    key: Annotated[
        str, typer.Option(envvar="FINCALL_RECORDING_KEY", help="recording master key")
    ] = "",
    rtp_ports: Annotated[
        str, typer.Option(help="RTP port range start-end (0-0: ephemeral)")
    ] = "0-0",
    stats_file: Annotated[
        Path | None, typer.Option(help="write JSON statistics here on exit")
    ] = None,
    tts_cache: Annotated[Path, typer.Option(help="TTS cache directory")] = Path(".fincall-tts"),
    realtime: Annotated[
        bool, typer.Option(help="run the media loop at real-time priority (like asterisk -p)")
    ] = False,
) -> None:
    """Listen for SIP calls until interrupted (Ctrl-C / SIGTERM)."""
    if handler not in ("demo", "hold", "queue"):
        raise typer.BadParameter("handler must be demo, hold or queue", param_hint="--handler")
    passwords: dict[str, str] = {}
    for item in agent_password or []:
        user, sep, password = item.partition(":")
        if not sep or not user or not password:
            raise typer.BadParameter(
                f"expected USER:PASSWORD, got {item!r}", param_hint="--agent-password"
            )
        passwords[user] = password
    start, _, end = rtp_ports.partition("-")
    if not (start.isdigit() and end.isdigit()):
        raise typer.BadParameter("expected START-END, e.g. 10000-20000", param_hint="--rtp-ports")
    if recordings is not None and not key:
        raise typer.BadParameter(
            "recording needs --key (or FINCALL_RECORDING_KEY)", param_hint="--key"
        )
    if realtime:
        typer.echo(request_realtime_priority(), err=True)
    asyncio.run(
        _serve(
            host,
            port,
            handler,
            recordings,
            key or None,
            (int(start), int(end)),
            stats_file,
            tts_cache=tts_cache,
            agent=agent,
            passwords=passwords,
        )
    )


async def _serve(
    host: str,
    port: int,
    handler_name: str,
    recordings: Path | None,
    key: str | None,
    rtp_ports: tuple[int, int],
    stats_file: Path | None,
    *,
    tts_cache: Path,
    agent: str,
    passwords: dict[str, str],
) -> None:
    ended: list[CallEvent] = []
    handler: DemoHandler | HoldHandler | QueueToAgentHandler
    if handler_name == "demo":
        handler = DemoHandler(tts=EspeakSynthesizer(cache_dir=tts_cache))
    elif handler_name == "hold":
        handler = HoldHandler()
    else:
        handler = QueueToAgentHandler(dial=lambda *a, **k: endpoint.dial(*a, **k), agent=agent)
    endpoint = SipEndpoint(
        credentials=passwords.get,
        handler=handler,
        host=host,
        port=port,
        rtp_ports=rtp_ports,
        recordings_dir=recordings,
        master_key=key,
        on_event=lambda e: ended.append(e) if e.kind == "ended" else None,
    )
    await endpoint.start()
    typer.echo(f"fincall voice listening on sip:{host}:{endpoint.port} (udp)", err=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    lateness = np.fromiter(endpoint.clock.lateness_ms, float)
    stats = {
        **endpoint.stats,
        "recordings_verified": sum(1 for e in ended if e.recording_sha256),
        "inbound_calls_ended": sum(1 for e in ended if e.direction == "inbound"),
        "clock_late_ticks": endpoint.clock.late_ticks,
        "clock_lateness_p99_ms": round(float(np.percentile(lateness, 99)), 3)
        if len(lateness)
        else 0.0,
        "end_reasons": _count(e.end_reason or "" for e in ended),
    }
    await endpoint.stop()
    if stats_file is not None:
        stats_file.write_text(json.dumps(stats))
    with contextlib.suppress(Exception):
        typer.echo(json.dumps(stats), err=True)


def request_realtime_priority(priority: int = 10) -> str:
    """Ask the OS for round-robin real-time scheduling of this process (media pacing)."""
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(priority))
    except (PermissionError, AttributeError, OSError) as exc:
        return f"real-time priority not available ({exc}); continuing at normal priority"
    return f"media loop running at real-time priority {priority} (SCHED_RR)"


def _count(values: object) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:  # type: ignore[attr-defined]
        out[v] = out.get(v, 0) + 1
    return out


if __name__ == "__main__":
    app()


@app.command("sweep-retention")
def sweep_retention(
    dry_run: Annotated[bool, typer.Option(help="only list what would be deleted")] = False,
) -> None:
    """Delete recordings past their retention deadline (never those on legal hold)."""
    from sqlalchemy import select

    from fincall.channels.voice import retention
    from fincall.channels.voice.models import VoiceCall
    from fincall.core.clock import utcnow
    from fincall.core.settings import load_settings
    from fincall.runtime import Runtime

    try:
        settings = load_settings()
    except Exception as exc:  # invalid environment: say why, no trace
        typer.echo(f"invalid settings: {exc}", err=True)
        raise typer.Exit(2) from None
    runtime = Runtime.create(settings)
    try:
        with runtime.transaction() as session:
            if dry_run:
                now = utcnow()
                due = session.execute(
                    select(VoiceCall.contact_id).where(
                        VoiceCall.retention_until <= now,
                        VoiceCall.legal_hold.is_(False),
                        VoiceCall.recording_deleted_at.is_(None),
                        VoiceCall.recording_path.is_not(None),
                    )
                ).scalars()
                ids = list(due)
                session.rollback()
            else:
                ids = retention.sweep(session=session)
    finally:
        runtime.dispose()
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"{verb} {len(ids)} recording(s)")
    for contact_id in ids:
        typer.echo(f"  {contact_id}")
