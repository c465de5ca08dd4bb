"""Raw UDP against the endpoint: malformed input, retransmissions, OPTIONS, SIP INFO DTMF."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from fincall.channels.voice.call import Call, CallEvent
from fincall.channels.voice.sip.message import SipMessage, parse

INVITE = (
    "INVITE sip:ivr@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{branch}\r\n"
    "From: <sip:raw@127.0.0.1>;tag=r1\r\nTo: <sip:ivr@127.0.0.1>\r\n"
    "Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:raw@127.0.0.1:{port}>\r\n"
    "Content-Type: application/sdp\r\nContent-Length: {length}\r\n\r\n{body}"
)
SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 0\r\n"
)


class Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait(data)


async def _client() -> tuple[asyncio.DatagramTransport, Client, int]:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(Client, local_addr=("127.0.0.1", 0))
    return transport, proto, transport.get_extra_info("sockname")[1]  # type: ignore[return-value]


async def _next(client: Client, timeout: float = 3.0) -> SipMessage:
    return parse(await asyncio.wait_for(client.queue.get(), timeout))


def _invite(port: int, call_id: str, branch: str = "a1") -> bytes:
    return INVITE.format(
        port=port, branch=branch, call_id=call_id, length=len(SDP), body=SDP
    ).encode()


class Answer:
    def __init__(self) -> None:
        self.digits: list[str] = []

    async def on_incoming(self, call: Call) -> None:
        await call.ring()
        await call.answer()
        self.digits.append(await call.collect_digits(2, timeout=5))
        await call.hangup()


def test_malformed_gets_400_garbage_is_dropped_and_endpoint_survives(
    tmp_path: Path, voice: Any
) -> None:
    async def main() -> None:
        endpoint = await voice.start_endpoint(Answer(), tmp_path, [])
        transport, client, port = await _client()
        dest = ("127.0.0.1", endpoint.port)
        bad = _invite(port, "bad-1").replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE")
        transport.sendto(bad, dest)
        resp = await _next(client)
        assert resp.status == 400 and resp.call_id == "bad-1"
        transport.sendto(b"\x00\xff garbage \r\n\r\n\x80", dest)
        transport.sendto(bytes(range(256)) * 4, dest)
        options = SipMessage(method="OPTIONS", uri="sip:127.0.0.1")
        for name, value in (
            ("Via", f"SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKo1"),
            ("From", "<sip:raw@h>;tag=o"),
            ("To", "<sip:ivr@h>"),
            ("Call-ID", "opt-1"),
            ("CSeq", "1 OPTIONS"),
        ):
            options.add(name, value)
        transport.sendto(options.serialise(), dest)
        resp = await _next(client)  # the garbage produced nothing; OPTIONS is answered
        assert (
            resp.status == 200 and resp.call_id == "opt-1" and "INVITE" in (resp.get("Allow") or "")
        )
        assert endpoint.stats["malformed"] == 3
        transport.close()
        await endpoint.stop()

    asyncio.run(main())


def test_invite_retransmission_and_200_retransmitted_until_ack_then_info_dtmf(
    tmp_path: Path, voice: Any
) -> None:
    handler = Answer()
    events: list[CallEvent] = []

    async def main() -> None:
        endpoint = await voice.start_endpoint(handler, tmp_path, events)
        transport, client, port = await _client()
        dest = ("127.0.0.1", endpoint.port)
        transport.sendto(_invite(port, "rt-1"), dest)
        statuses = [(await _next(client)).status for _ in range(3)]
        assert statuses == [100, 180, 200]
        transport.sendto(_invite(port, "rt-1"), dest)  # retransmitted INVITE: same final answer
        again = await _next(client)
        assert again.status == 200 and again.call_id == "rt-1"
        retrans = await _next(client, timeout=2.5)  # no ACK yet: the 200 comes again
        assert retrans.status == 200
        ok = retrans
        to = ok.get("To") or ""
        ack = SipMessage(method="ACK", uri=f"sip:fincall@127.0.0.1:{endpoint.port}")
        for name, value in (
            ("Via", f"SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKack"),
            ("From", "<sip:raw@127.0.0.1>;tag=r1"),
            ("To", to),
            ("Call-ID", "rt-1"),
            ("CSeq", "1 ACK"),
        ):
            ack.add(name, value)
        transport.sendto(ack.serialise(), dest)
        for i, digit in enumerate("47"):
            info = SipMessage(method="INFO", uri=f"sip:fincall@127.0.0.1:{endpoint.port}")
            for name, value in (
                ("Via", f"SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKi{i}"),
                ("From", "<sip:raw@127.0.0.1>;tag=r1"),
                ("To", to),
                ("Call-ID", "rt-1"),
                ("CSeq", f"{2 + i} INFO"),
                ("Content-Type", "application/dtmf-relay"),
            ):
                info.add(name, value)
            info.body = f"Signal={digit}\r\nDuration=160\r\n".encode()
            transport.sendto(info.serialise(), dest)
        seen = [await _next(client) for _ in range(3)]  # two 200 to INFO, then fincall's BYE
        assert [m.status for m in seen[:2]] == [200, 200]
        bye = seen[2]
        assert bye.method == "BYE" and bye.call_id == "rt-1"
        reply = SipMessage(
            status=200,
            reason="OK",
            headers=[h for h in bye.headers if h[0] in ("Via", "From", "To", "Call-ID", "CSeq")],
        )
        transport.sendto(reply.serialise(), dest)
        transport.close()
        await endpoint.stop()

    asyncio.run(main())
    assert handler.digits == ["47"]
    assert [e.kind for e in events] == ["started", "answered", "ended"]


def test_unknown_dialog_bye_gets_481(tmp_path: Path, voice: Any) -> None:
    async def main() -> int | None:
        endpoint = await voice.start_endpoint(Answer(), tmp_path, [])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(3)
            port = sock.getsockname()[1]
            bye = (
                _invite(port, "nope")
                .replace(b"INVITE sip", b"BYE sip")
                .replace(b"1 INVITE", b"1 BYE")
            )
            bye = bye.replace(b"To: <sip:ivr@127.0.0.1>", b"To: <sip:ivr@127.0.0.1>;tag=zz")
            sock.sendto(bye, ("127.0.0.1", endpoint.port))
            data = await asyncio.get_running_loop().run_in_executor(None, sock.recv, 4096)
        await endpoint.stop()
        return parse(data).status

    assert asyncio.run(main()) == 481


class AnswerThenHangUp:
    async def on_incoming(self, call: Call) -> None:
        await call.answer()
        await call.hangup("done")


def test_record_route_is_echoed_and_followed_by_in_dialog_requests(
    tmp_path: Path, voice: Any
) -> None:
    async def main() -> tuple[SipMessage, SipMessage]:
        endpoint = await voice.start_endpoint(AnswerThenHangUp(), tmp_path, [])
        transport, client, port = await _client()
        invite = _invite(port, "rr-1").replace(
            b"CSeq: 1 INVITE\r\n",
            b"CSeq: 1 INVITE\r\nRecord-Route: <sip:10.9.9.9;lr>, <sip:10.8.8.8;lr>\r\n",
        )
        transport.sendto(invite, ("127.0.0.1", endpoint.port))
        seen: list[SipMessage] = []
        while not any(m.method == "BYE" for m in seen):
            seen.append(await _next(client))
        transport.close()
        await endpoint.stop()
        ok = next(m for m in seen if m.status == 200)
        bye = next(m for m in seen if m.method == "BYE")
        return ok, bye

    ok, bye = asyncio.run(main())
    assert ok.get_all("Record-Route") == ["<sip:10.9.9.9;lr>", "<sip:10.8.8.8;lr>"]
    assert bye.get_all("Route") == ["<sip:10.9.9.9;lr>", "<sip:10.8.8.8;lr>"]
    assert (bye.uri or "").startswith("sip:raw@127.0.0.1:")  # sent to the caller's Contact
