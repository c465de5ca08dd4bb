"""Traffic simulator: synthetic customers chat through the widget protocol against a running
fincall, synthetic agents accept and answer through the agent API, and every message is
tracked end to end (sent, received, lost, duplicated, delivery latency).

Agents: the simulator signs in as the demo admin (from the data dir's demo-logins.txt or
given), creates ``sim-agent-N`` agents with logins (kept in ``<data dir>/sim-logins.json``)
and sets them available; customers open chats in the demo's languages.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

SAYINGS = {
    "en": [
        "Hi, I need help with my card",
        "It was declined at a shop",
        "Can you check it?",
        "Thanks, that helps",
        "One more question about fees",
    ],
    "zh-CN": [
        "你好，我的卡刷不了",
        "昨天在商场被拒绝了",
        "能帮我查一下吗",
        "好的，谢谢",
        "还有一个手续费的问题",
    ],
    "zh-HK": [
        "你好，我張卡用唔到",
        "琴日喺商場俾人拒絕咗",
        "可唔可以幫我查下",
        "好，唔該晒",
        "仲有個手續費問題",
    ],
}


@dataclass
class Stats:
    sent: dict[str, float] = field(default_factory=dict)  # token -> send time
    received: dict[str, int] = field(default_factory=dict)  # token -> times received
    latency_ms: list[float] = field(default_factory=list)
    to_agent_ms: list[float] = field(default_factory=list)
    to_customer_ms: list[float] = field(default_factory=list)
    agent_post_ms: list[float] = field(default_factory=list)  # the desk's HTTP round trip
    acked: int = 0
    bot_questions_answered: int = 0
    chats_started: int = 0
    chats_connected: int = 0
    open_now: int = 0
    open_peak: int = 0
    errors: list[str] = field(default_factory=list)

    def opened(self) -> None:
        self.open_now += 1
        self.open_peak = max(self.open_peak, self.open_now)

    def got(self, token: str, *, timed: bool = True, to_agent: bool = False) -> None:
        """A message arrived; ``timed=False`` for lines read from history (queue wait, not
        delivery)."""
        n = self.received.get(token, 0)
        self.received[token] = n + 1
        if timed and n == 0 and token in self.sent:
            ms = (time.perf_counter() - self.sent[token]) * 1000
            self.latency_ms.append(ms)
            (self.to_agent_ms if to_agent else self.to_customer_ms).append(ms)

    def report(self) -> dict[str, Any]:
        def pct(p: float, values: list[float] | None = None) -> float | None:
            lat = sorted(self.latency_ms if values is None else values)
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

        lost = [t for t in self.sent if t not in self.received]
        return {
            "chats_started": self.chats_started,
            "chats_connected": self.chats_connected,
            "messages_sent": len(self.sent),
            "messages_acked": self.acked,
            "messages_received": sum(1 for t in self.sent if t in self.received),
            "messages_lost": len(lost),
            "messages_duplicated": sum(1 for n in self.received.values() if n > 1),
            "delivery_ms_p50": pct(0.50),
            "delivery_ms_p95": pct(0.95),
            "delivery_ms_p99": pct(0.99),
            "delivery_ms_max": pct(1.0),
            "to_agent_ms_p99": pct(0.99, self.to_agent_ms),
            "to_customer_ms_p99": pct(0.99, self.to_customer_ms),
            "agent_post_ms_p99": pct(0.99, self.agent_post_ms),
            "concurrent_sessions_peak": self.open_peak,
            "bot_questions_answered": self.bot_questions_answered,
            "errors": self.errors[:5],
        }


# what a customer answers when the bot asks something before an adviser has taken the chat
ASK_FOR_AGENT = {
    "en": "I'd like to speak to an agent, please",
    "zh-CN": "转人工客服",
    "zh-HK": "我想搵真人客服",
}
MAX_BOT_ANSWERS = 3


def _token(text: str) -> str | None:
    return text.rsplit("#", 1)[1] if "#" in text else None


class Simulator:
    def __init__(
        self,
        url: str,
        *,
        admin: tuple[str, str],
        data_dir: Path,
        agents: int,
        think: float,
        seed: int = 7,
    ) -> None:
        self.url = url.rstrip("/")
        self.ws_url = self.url.replace("http", "ws", 1)
        self.admin = admin
        self.data_dir = data_dir
        self.n_agents = agents
        self.think = think
        self.rng = random.Random(seed)  # noqa: S311 - think times, not secrets
        self.stats = Stats()
        self.stop = asyncio.Event()
        self.agents_ready = 0
        self.all_agents_ready = asyncio.Event()

    async def _token(self, client: httpx.AsyncClient, user: str, password: str) -> str:
        r = await client.post(
            f"{self.url}/api/auth/token", json={"username": user, "password": password}
        )
        r.raise_for_status()
        return r.json()["access_token"]

    async def ensure_agents(self, client: httpx.AsyncClient) -> list[tuple[str, str]]:
        """Create (once) and return (username, password) of the synthetic agents."""
        path = self.data_dir / "sim-logins.json"
        known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        admin = {"Authorization": f"Bearer {await self._token(client, *self.admin)}"}
        out = []
        for i in range(self.n_agents):
            name = f"sim-agent-{i:03d}"
            if name not in known:
                agent = await client.post(
                    f"{self.url}/api/agents",
                    headers=admin,
                    json={
                        "name": f"Sim Agent {i:03d}",
                        "languages": ["en", "zh-CN", "zh-HK"],
                        "region": "SG",
                        "timezone": "Asia/Singapore",
                        "max_chats": 5,
                        "skills": {
                            "cards": 3,
                            "funds": 3,
                            "complaints": 3,
                            "wealth": 3,
                            "loans": 3,
                        },
                    },
                )
                agent.raise_for_status()
                password = secrets.token_urlsafe(12)
                user = await client.post(
                    f"{self.url}/api/users",
                    headers=admin,
                    json={
                        "username": name,
                        "password": password,
                        "role": "agent",
                        "agent_id": agent.json()["id"],
                    },
                )
                user.raise_for_status()
                known[name] = password
                path.write_text(json.dumps(known))
                path.chmod(0o600)
            out.append((name, known[name]))
        return out

    async def agent(self, username: str, password: str) -> None:
        # each agent is one browser: its own HTTP connections next to its WebSocket
        async with httpx.AsyncClient(timeout=30) as client:
            await self._agent(client, username, password)

    async def _agent(self, client: httpx.AsyncClient, username: str, password: str) -> None:
        token = await self._token(client, username, password)
        h = {"Authorization": f"Bearer {token}"}
        (await client.post(f"{self.url}/api/desk/state", headers=h, json={"state": "available"}))
        async with websockets.connect(
            f"{self.ws_url}/ws/agent", additional_headers=h, max_queue=None
        ) as ws:
            replies: dict[str, int] = {}
            self.agents_ready += 1
            if self.agents_ready == self.n_agents:
                self.all_agents_ready.set()
            while not self.stop.is_set():
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=1))
                except TimeoutError:
                    continue
                asyncio.create_task(self._safe_frame(client, h, frame, replies))

    async def _safe_frame(
        self,
        client: httpx.AsyncClient,
        h: dict[str, str],
        frame: dict[str, Any],
        replies: dict[str, int],
    ) -> None:
        try:
            await self._on_agent_frame(client, h, frame, replies)
        except httpx.HTTPError as exc:
            self.stats.errors.append(f"agent: {type(exc).__name__}")

    async def _on_agent_frame(
        self,
        client: httpx.AsyncClient,
        h: dict[str, str],
        frame: dict[str, Any],
        replies: dict[str, int],
    ) -> None:
        kind = frame.get("type")
        if kind == "routing.offer":
            await asyncio.sleep(self.rng.uniform(0.1, 0.5) * self.think)
            accepted = await client.post(
                f"{self.url}/api/desk/offers/{frame['offer_id']}/accept", headers=h
            )
            if accepted.status_code == 200:
                # what the customer said before the agent joined is on the screen-pop
                contact = accepted.json()
                said = [u for u in contact["utterances"] if u["speaker"] == "customer"]
                for u in said:
                    t = _token(u["text"])
                    if t:
                        self.stats.got(t, timed=False)
                if said:
                    replies[contact["id"]] = 1
                    asyncio.create_task(self._reply(client, h, contact["id"], 1))
        elif kind == "message" and frame.get("speaker") == "customer":
            token_ = _token(frame["text"])
            if token_:
                self.stats.got(token_, to_agent=True)
            cid = frame["contact_id"]
            replies[cid] = replies.get(cid, 0) + 1
            asyncio.create_task(self._reply(client, h, cid, replies[cid]))
        elif kind == "chat.customer_left":
            await client.post(
                f"{self.url}/api/desk/contacts/{frame['contact_id']}/wrap-up",
                headers=h,
                json={"disposition": "resolved"},
            )

    async def _reply(
        self, client: httpx.AsyncClient, h: dict[str, str], contact_id: str, n: int
    ) -> None:
        await asyncio.sleep(self.rng.uniform(0.2, 1.0) * self.think)
        token = secrets.token_hex(6)
        self.stats.sent[token] = time.perf_counter()
        body = {"text": f"Let me check that for you ({n}) #{token}", "client_msg_id": token}
        for attempt in range(3):
            try:
                posted = time.perf_counter()
                r = await client.post(
                    f"{self.url}/api/desk/contacts/{contact_id}/messages", headers=h, json=body
                )
                self.stats.agent_post_ms.append((time.perf_counter() - posted) * 1000)
                break
            except httpx.TransportError as exc:
                # like the desk: send again with the same client_msg_id (stored once); a
                # reply that never arrives counts as lost
                self.stats.errors.append(f"agent reply try {attempt + 1}: {type(exc).__name__}")
        else:
            return
        if r.status_code != 201:
            self.stats.sent.pop(token, None)
            self.stats.errors.append(f"agent reply refused: {r.status_code}")

    async def customer(self, language: str, turns: int) -> None:
        self.stats.chats_started += 1
        opened = False
        try:
            async with websockets.connect(f"{self.ws_url}/ws/chat", max_queue=None) as ws:
                self.stats.opened()
                opened = True
                await ws.send(json.dumps({"type": "hello", "language": language}))
                connected, queued, bot_spoke = asyncio.Event(), asyncio.Event(), asyncio.Event()
                acks = 0
                replies = asyncio.Queue()

                async def reader() -> None:
                    try:
                        await read_frames()
                    except websockets.ConnectionClosed as exc:
                        self.stats.errors.append(f"chat socket closed: {exc}")

                async def read_frames() -> None:
                    nonlocal acks
                    async for raw in ws:
                        f = json.loads(raw)
                        if f.get("type") == "ack":
                            self.stats.acked += 1
                            acks += 1
                        elif f.get("type") == "message" and f.get("speaker") == "agent":
                            t = _token(f["text"])
                            if t:
                                self.stats.got(t)
                                replies.put_nowait(t)
                        elif f.get("type") == "message" and f.get("speaker") == "bot" and acks:
                            bot_spoke.set()  # an answer to the customer, not the greeting
                        elif f.get("type") == "status" and f.get("status") == "queued":
                            queued.set()
                        elif f.get("type") == "status" and f.get("status") == "connected":
                            self.stats.chats_connected += 1
                            connected.set()

                task = asyncio.create_task(reader())
                for i in range(turns):
                    await self._say(ws, SAYINGS[language][i % len(SAYINGS[language])])
                    if i == 0 and not await self._until_connected(
                        ws, language, connected, queued, bot_spoke
                    ):
                        self.stats.errors.append("a chat waited over 60 s for an agent")
                    # a customer reads the reply before writing again
                    try:
                        await asyncio.wait_for(replies.get(), timeout=30 * self.think + 30)
                    except TimeoutError:
                        self.stats.errors.append("no reply within the wait")
                    await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think)
                await ws.send(json.dumps({"type": "close"}))
                await asyncio.sleep(0.2)
                task.cancel()
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            if opened:
                self.stats.open_now -= 1

    async def _until_connected(
        self,
        ws: Any,
        language: str,
        connected: asyncio.Event,
        queued: asyncio.Event,
        bot_spoke: asyncio.Event,
    ) -> bool:
        """Wait up to 60 s for an adviser. When the bot asks something first (a clarifying
        question, a menu), answer it the way people do: read it, then ask for an agent."""
        deadline = time.perf_counter() + 60
        answered = 0
        while not connected.is_set():
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            waits = [asyncio.ensure_future(connected.wait())]
            if answered < MAX_BOT_ANSWERS and not queued.is_set():
                waits.append(asyncio.ensure_future(bot_spoke.wait()))
            done, pending = await asyncio.wait(
                waits, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
            for w in pending:
                w.cancel()
            if connected.is_set() or not done:
                continue
            bot_spoke.clear()
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think)  # reads it
            if queued.is_set() or connected.is_set():
                continue  # the bot's words were the hand-over
            answered += 1
            self.stats.bot_questions_answered += 1
            await self._say(ws, ASK_FOR_AGENT[language])
        return True

    async def _say(self, ws: Any, saying: str) -> None:
        """Send one customer line, tagged with a token the other side is counted by."""
        token = secrets.token_hex(6)
        self.stats.sent[token] = time.perf_counter()
        text = f"{saying} #{token}"
        await ws.send(json.dumps({"type": "message", "client_msg_id": token, "text": text}))

    async def run(
        self,
        *,
        chats: int,
        rate: float,
        duration: float,
        turns: int,
        on_customers_start: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            logins = await self.ensure_agents(client)
            agents = [asyncio.create_task(self.agent(u, p)) for u, p in logins]
            # customers come once every agent is signed in and listening
            ready = asyncio.create_task(self.all_agents_ready.wait())
            await asyncio.wait([ready, *agents], return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
                failed = [t.exception() for t in agents if t.done() and t.exception()]
                raise RuntimeError(f"a synthetic agent could not sign in: {failed[:1]!r}")
            if on_customers_start is not None:
                on_customers_start()
            started = time.perf_counter()
            tasks = []
            for _ in range(chats):
                lang = self.rng.choice(["en", "en", "zh-CN", "zh-HK"])
                tasks.append(asyncio.create_task(self.customer(lang, turns)))
                if rate > 0:
                    await asyncio.sleep(1 / rate)
                if duration and time.perf_counter() - started > duration:
                    break
            await asyncio.gather(*tasks)
            await asyncio.sleep(3 * self.think + 1)  # last agent replies in flight
            self.stop.set()
            await asyncio.gather(*agents, return_exceptions=True)
            elapsed = time.perf_counter() - started
        report = self.stats.report()
        report["seconds"] = round(elapsed, 1)
        report["messages_per_s"] = round(report["messages_received"] / elapsed, 1) if elapsed else 0
        return report
