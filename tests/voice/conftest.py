"""Fixtures for voice tests: an endpoint on an ephemeral port, sipp skipped when absent."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fincall.channels.voice.call import CallEvent, CallHandler
from fincall.channels.voice.server import SipEndpoint

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
MASTER_KEY = "voice-test-master-key"


@dataclass(frozen=True)
class VoiceKit:
    """What the voice tests share (passed as the ``voice`` fixture)."""

    scenarios: Path
    master_key: str

    async def start_endpoint(
        self,
        handler: CallHandler,
        tmp: Path,
        events: list[CallEvent],
        *,
        credentials: Callable[[str], str | None] | None = None,
    ) -> SipEndpoint:
        """A SIP endpoint on an ephemeral port, recording into ``tmp``."""
        endpoint = SipEndpoint(
            handler=handler,
            host="127.0.0.1",
            port=0,
            credentials=credentials,
            recordings_dir=tmp / "recordings",
            master_key=self.master_key,
            on_event=events.append,
        )
        await endpoint.start()
        return endpoint


@pytest.fixture
def voice() -> VoiceKit:
    """Shared helpers for the voice tests."""
    return VoiceKit(scenarios=SCENARIOS, master_key=MASTER_KEY)


@pytest.fixture
def sipp_available() -> None:
    """Skip unless sipp is installed."""
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed (Debian package sip-tester)")
