"""The traffic simulator against a live server: synthetic customers chat through the widget
protocol, synthetic agents accept on the desk API and answer, and every message is counted
once at the other side."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fincall.routing.simulate import Simulator


def simulate(world, live_url: str, data_dir: Path, *, chats: int, turns: int) -> dict[str, Any]:
    """Run the simulator against the live server (3 agents, fast think times); every chat
    must have reached an agent without an error."""
    sim = Simulator(
        live_url,
        admin=("admin", world.passwords["admin"]),
        data_dir=data_dir,
        agents=3,
        think=0.05,
    )
    report = asyncio.run(sim.run(chats=chats, rate=0, duration=0, turns=turns))
    assert report["errors"] == []
    assert report["chats_started"] == report["chats_connected"] == chats
    return report


def test_simulated_chats_are_routed_answered_and_delivered_once(world, live_url, tmp_path):
    report = simulate(world, live_url, tmp_path, chats=6, turns=2)
    assert report["messages_sent"] == 6 * 2 * 2  # each customer line and each agent reply
    assert report["messages_received"] == report["messages_sent"]
    assert report["messages_lost"] == report["messages_duplicated"] == 0
    assert report["messages_acked"] == 6 * 2
    assert report["concurrent_sessions_peak"] >= 2
    assert 0 < report["delivery_ms_p50"] <= report["delivery_ms_p99"]
    # the synthetic agents were created once and are reused by the next run
    assert (tmp_path / "sim-logins.json").stat().st_mode & 0o777 == 0o600
