"""Chat load: many concurrent web-chat sessions against a real fincall server on loopback.

Starts ``fincall serve`` on a fresh data dir (SQLite, embedded defaults), signs in synthetic
agents with enough chat capacity (5 chats each), opens chat sessions through the widget
protocol at ``--rate`` per second and measures end-to-end delivery (customer → agent desktop
and agent → customer), lost and duplicated messages, and the peak of sessions open at once.

The default load: 500 sessions arriving at 5 per second, each of 6 customer messages and 6
agent replies. ``--think`` scales the pauses: a customer writes again 0.5–1.5 × think seconds
after reading a reply, an agent answers after 0.2–1.0 × think and accepts an offer after
0.1–0.5 × think (think 15: replies in 3–15 s, customers writing every 7.5–22.5 s, so all 500
sessions are open at once). A smaller think is a stress test (think 5, rate 10: three times the
message rate of a real desk). By default the intent and sentiment models are off (the bot hands
every chat over at once); ``--nlu-models DIR`` runs with them on.
Usage: python benchmarks/chat_load.py [--chats 500] [--think 15] [--nlu-models DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fincall.core.heap import pace_collector, settle_heap
from fincall.demo.seed import read_logins
from fincall.routing.simulate import Simulator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory_mb(pid: int, field: str) -> float:
    """A memory figure of a running process in MiB from /proc (VmRSS now, VmHWM the peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chats", type=int, default=500)
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--turns", type=int, default=6)
    ap.add_argument("--think", type=float, default=15.0)
    ap.add_argument("--profile", help="write a py-spy raw CPU profile of the server here")
    ap.add_argument("--rate", type=float, default=5, help="new chats per second (0: all at once)")
    ap.add_argument(
        "--nlu-models",
        type=Path,
        help="a trained model dir (<data dir>/models/nlu of a started fincall): the server runs "
        "with the intent and sentiment models on, so the bot classifies every customer line "
        "before the hand-over and every customer line is scored for sentiment",
    )
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    data = Path(tempfile.mkdtemp(prefix="fincall-chatload-"))
    if args.nlu_models is not None:
        if not (args.nlu_models / "intent_model.json").exists():
            raise SystemExit(f"{args.nlu_models}: no trained model here (intent_model.json)")
        shutil.copytree(args.nlu_models, data / "models" / "nlu")
    port = free_port()
    env = {
        **os.environ,
        "FINCALL_DATA_DIR": str(data),
        "FINCALL_NLU_ENABLED": "1" if args.nlu_models is not None else "0",
        "FINCALL_SIP_ENABLED": "0",
        "FINCALL_SMTP_ENABLED": "0",
    }
    env.pop("FINCALL_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "fincall.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=1)
                if health.status_code == 200 and health.json()["intent_model"] != "loading":
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        admin = next(lg for lg in read_logins(data) if lg.username == "admin")
        sim = Simulator(
            url,
            admin=(admin.username, admin.password),
            data_dir=data,
            agents=args.agents,
            think=args.think,
        )
        marks: dict[str, float] = {}

        spy: subprocess.Popen[bytes] | None = None

        def customers_start() -> None:  # agents are signed in: the measured part begins
            nonlocal spy
            settle_heap()  # the driver's own collections would show as delivery latency
            pace_collector()
            marks["driver"], marks["server"] = time.process_time(), process_cpu_s(server.pid)
            if args.profile:  # a py-spy CPU profile of the server while customers chat
                spy = subprocess.Popen(
                    ["py-spy", "record", "--gil", "-r", "50", "-f", "raw", "-o", args.profile]
                    + ["-p", str(server.pid)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )

        report = asyncio.run(
            sim.run(
                chats=args.chats,
                rate=args.rate,
                duration=0,
                turns=args.turns,
                on_customers_start=customers_start,
            )
        )
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        report["driver_cpu_s"] = round(time.process_time() - marks["driver"], 1)
        report["server_cpu_s"] = round(process_cpu_s(server.pid) - marks["server"], 1)
        # the peak includes start-up (migrations, demo data, models); the end is the run's own heap
        report["server_rss_peak_mb"] = process_memory_mb(server.pid, "VmHWM")
        report["server_rss_end_mb"] = process_memory_mb(server.pid, "VmRSS")
        if report["messages_received"]:
            report["server_cpu_ms_per_message"] = round(
                1000 * report["server_cpu_s"] / report["messages_received"], 2
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    report.update(
        {
            "concurrent_chats": args.chats,
            "agents": args.agents,
            "turns": args.turns,
            "nlu": args.nlu_models is not None,
        }
    )
    for error in report.pop("errors", None) or []:
        print(f"error (first five shown): {error}", file=sys.stderr)
    for key, value in report.items():
        print(f"{key:>22}: {value}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
