"""The asyncio SIP endpoint (UDP): UAS for callers, registrar for agents, UAC for agent legs."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fincall.channels.voice import sdp
from fincall.channels.voice.call import Call, CallEnded, CallEvent, CallHandler, CallState
from fincall.channels.voice.dialog import Dialog, new_branch, new_tag, strip_tag, tag_of
from fincall.channels.voice.errors import CallError, SdpError, SipParseError
from fincall.channels.voice.recording import digest_of
from fincall.channels.voice.registrar import CredentialProvider, Registrar
from fincall.channels.voice.rtp import MediaClock, PortAllocator, RtpSession, random_session_id
from fincall.channels.voice.sip.message import (
    SipMessage,
    parse,
    parse_stream,
    response_to,
    uri_of,
    user_of,
)
from fincall.channels.voice.uac import UserAgentClient

log = logging.getLogger(__name__)

HOLD_ADDR = "0.0.0.0"  # noqa: S104 - RFC 2543 hold marker in SDP, never bound
T1 = 0.5
T2 = 4.0
TXN_LIFETIME = 32.0
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO"
EventSink = Callable[[CallEvent], Awaitable[None] | None]
_DTMF_INFO = re.compile(r"Signal\s*=\s*([0-9*#A-Da-d])")


class SipEndpoint(asyncio.DatagramProtocol):
    """One UDP SIP listener with its calls, transactions, registrar and media clock."""

    def __init__(
        self,
        *,
        handler: CallHandler,
        host: str = "127.0.0.1",
        port: int = 5070,
        credentials: CredentialProvider | None = None,
        realm: str = "fincall",
        rtp_ports: tuple[int, int] = (0, 0),
        recordings_dir: Path | None = None,
        master_key: bytes | str | None = None,
        on_event: EventSink | None = None,
        user_agent: str = "fincall",
        tcp: bool = True,
    ) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.registrar = Registrar(credentials=credentials or (lambda _u: None), realm=realm)
        self.ports = PortAllocator(*rtp_ports)
        self.recordings_dir = recordings_dir
        self.master_key = master_key
        self.on_event = on_event
        self.user_agent = user_agent
        self.clock = MediaClock()
        self.transport: asyncio.DatagramTransport | None = None
        self.calls: dict[str, Call] = {}  # by SIP Call-ID
        self._server_txns: dict[tuple[str, str], tuple[SipMessage | None, float, Call | None]] = {}
        self._client_txns: dict[tuple[str, str], asyncio.Queue[SipMessage]] = {}  # branch, method
        self._recent_invites: dict[str, SipMessage] = {}
        self.uac = UserAgentClient(self)
        self.tcp = tcp
        self._tcp_server: asyncio.Server | None = None
        self._tcp_conns: dict[tuple[str, int], asyncio.StreamWriter] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stats = {
            "received": 0,
            "malformed": 0,
            "answered": 0,
            "ended": 0,
            "errors": 0,
            "tcp_connections": 0,
        }

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind the UDP socket (and TCP on the same port if enabled); start the media clock."""
        loop = asyncio.get_running_loop()
        wanted = self.port
        for _attempt in range(20 if wanted == 0 else 1):
            transport, _ = await loop.create_datagram_endpoint(
                lambda: self, local_addr=(self.host, wanted)
            )
            if not self.tcp:
                break
            try:
                self._tcp_server = await asyncio.start_server(
                    self._tcp_client, self.host, self.port
                )
                break
            except OSError as exc:
                if wanted == 0:  # an ephemeral UDP port whose TCP twin is taken: pick another
                    transport.close()
                    continue
                log.warning("SIP over TCP not available on port %s: %s", self.port, exc)
        self.clock.start()
        self._spawn(self._sweep())

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP connection: frame messages by Content-Length (RFC 3261 18.3)."""
        peer = writer.get_extra_info("peername")[:2]
        self._tcp_conns[peer] = writer
        self.stats["tcp_connections"] += 1
        buffer = b""
        try:
            while data := await reader.read(65536):
                buffer += data
                while True:
                    try:
                        msg, used = parse_stream(buffer)
                    except SipParseError as exc:
                        self.stats["malformed"] += 1
                        self._answer_malformed(buffer, peer, exc)
                        return  # framing is lost: close the connection
                    if msg is None:
                        break
                    buffer = buffer[used:]
                    self.datagram_received(msg.serialise(), peer)
                if len(buffer) > 65536:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tcp_conns.pop(peer, None)
            writer.close()

    async def stop(self) -> None:
        """Hang up every call, stop the clock and close the socket."""
        for call in list(self.calls.values()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(call.hangup("shutdown"), 2)
        for task in list(self._tasks):
            task.cancel()
        await self.clock.stop()
        if self.transport is not None:
            self.transport.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            for writer in list(self._tcp_conns.values()):
                writer.close()
            await self._tcp_server.wait_closed()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("sockname")[1]

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(5)
            now = time.monotonic()
            for key, (_, expires, _) in list(self._server_txns.items()):
                if expires < now:
                    del self._server_txns[key]

    # -- transport --------------------------------------------------------------------------
    def send(self, msg: SipMessage, addr: tuple[str, int]) -> None:
        """Send a message: over the peer's TCP connection if it has one, else UDP."""
        writer = self._tcp_conns.get(addr)
        if writer is not None and not writer.is_closing():
            writer.write(msg.serialise())
            return
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(msg.serialise(), addr)

    @property
    def via(self) -> str:
        """A fresh Via header value for a request we originate."""
        return f"SIP/2.0/UDP {self.host}:{self.port};branch={new_branch()};rport"

    @property
    def contact(self) -> str:
        """Our Contact header value."""
        return f"<sip:fincall@{self.host}:{self.port}>"

    async def dial(
        self,
        target: str,
        *,
        caller: str = "fincall",
        timeout: float = 30.0,
        record: bool = False,
        created: Callable[[Call], None] | None = None,
        provisional: Callable[[int], None] | None = None,
    ) -> Call:
        """Call a registered user (agent softphone) or a SIP URI; returns the answered Call."""
        return await self.uac.dial(
            target,
            caller=caller,
            timeout=timeout,
            record=record,
            created=created,
            provisional=provisional,
        )

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # noqa: D102
        self.stats["received"] += 1
        if not data.strip():
            return  # keep-alive
        try:
            msg = parse(data)
        except SipParseError as exc:
            self.stats["malformed"] += 1
            self._answer_malformed(data, addr, exc)
            return
        try:
            if msg.is_request:
                self._on_request(msg, addr)
            else:
                self.uac.on_response(msg, addr)
        except Exception:  # never let one message take the endpoint down
            self.stats["errors"] += 1
            log.exception("error handling SIP message")

    def _answer_malformed(self, data: bytes, addr: tuple[str, int], exc: SipParseError) -> None:
        """400 when the request line and the headers a response needs can be read, else drop."""
        text = data[:4096].decode("utf-8", "replace")
        lines = re.split(r"\r?\n", text)
        if not re.match(r"^[A-Z]+ \S+ SIP/2\.0$", lines[0].strip()) or lines[0].startswith("ACK"):
            return
        resp = SipMessage(status=400, reason="Bad Request")
        needed = {
            "via": "Via",
            "v": "Via",
            "from": "From",
            "f": "From",
            "to": "To",
            "t": "To",
            "call-id": "Call-ID",
            "i": "Call-ID",
            "cseq": "CSeq",
        }
        seen = set()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            key = needed.get(name.strip().lower())
            if sep and key and value.strip() and re.fullmatch(r"[ -~]*", value):
                resp.add(key, value.strip())
                seen.add(key)
        if not {"Via", "From", "To", "Call-ID"} <= seen:
            return
        method = lines[0].split(" ", 1)[0]
        number = (resp.get("CSeq") or "").split(" ", 1)[0]
        resp.remove("CSeq")
        resp.add("CSeq", f"{number if number.isdigit() else 0} {method}")
        resp.add("Warning", f'399 fincall "{exc.message[:60]}"')
        self.send(resp, addr)

    # -- requests ---------------------------------------------------------------------------
    def _txn_key(self, msg: SipMessage, method: str) -> tuple[str, str]:
        via = (msg.get_all("Via") or [""])[0]
        branch = re.search(r"branch=([^;,\s]+)", via)
        return (branch.group(1) if branch else via + msg.call_id + str(msg.cseq[0]), method)

    def reply(
        self,
        request: SipMessage,
        addr: tuple[str, int],
        status: int,
        reason: str,
        *,
        to_tag: str = "",
        call: Call | None = None,
        body: bytes = b"",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> SipMessage:
        """Send a response and remember it for retransmitted requests."""
        resp = response_to(request, status, reason, to_tag=to_tag)
        resp.add("Server", self.user_agent)
        for name, value in headers:
            resp.add(name, value)
        if body:
            resp.add("Content-Type", "application/sdp")
            resp.body = body
        key = self._txn_key(request, request.method or "")
        prev = self._server_txns.get(key)
        keep_call = call or (prev[2] if prev else None)
        self._server_txns[key] = (resp, time.monotonic() + TXN_LIFETIME, keep_call)
        self.send(resp, addr)
        return resp

    def _on_request(self, msg: SipMessage, addr: tuple[str, int]) -> None:
        method = msg.method or ""
        if method == "ACK":
            self._on_ack(msg)
            return
        key = self._txn_key(msg, method)
        if key in self._server_txns:  # retransmission: same answer again
            last = self._server_txns[key][0]
            if last is not None:
                self.send(last, addr)
            return
        self._server_txns[key] = (None, time.monotonic() + TXN_LIFETIME, None)
        call = self.calls.get(msg.call_id)
        in_dialog = bool(tag_of(msg.get("To")))
        if method == "INVITE" and not in_dialog:
            self._on_invite(msg, addr)
        elif method == "INVITE":
            self._on_reinvite(msg, addr, call)
        elif method == "BYE":
            self._on_bye(msg, addr, call)
        elif method == "CANCEL":
            self._on_cancel(msg, addr)
        elif method == "OPTIONS":
            self.reply(
                msg,
                addr,
                200,
                "OK",
                to_tag=new_tag(),
                headers=(("Allow", ALLOW), ("Accept", "application/sdp")),
            )
        elif method == "REGISTER":
            resp = self.registrar.handle(msg, addr, new_tag())
            self.reply(
                msg,
                addr,
                resp.status or 500,
                resp.reason,
                to_tag=tag_of(resp.get("To")),
                headers=tuple(h for h in resp.headers if h[0] in ("WWW-Authenticate", "Contact")),
            )
        elif method == "INFO":
            self._on_info(msg, addr, call)
        else:
            self.reply(msg, addr, 501, "Not Implemented", headers=(("Allow", ALLOW),))

    def _on_invite(self, msg: SipMessage, addr: tuple[str, int]) -> None:
        if msg.call_id in self.calls:  # a forked/second INVITE for a live call
            self.reply(msg, addr, 482, "Loop Detected")
            return
        try:
            offer = sdp.parse(msg.body) if msg.body else None
            if offer is not None:
                sdp.choose_codec(offer)
        except SdpError as exc:
            self.reply(
                msg,
                addr,
                488,
                "Not Acceptable Here",
                headers=(("Warning", f'304 fincall "{exc.message}"'),),
            )
            return
        self.reply(msg, addr, 100, "Trying")
        self._spawn(self._start_inbound(msg, addr, offer))

    async def _start_inbound(
        self, msg: SipMessage, addr: tuple[str, int], offer: sdp.MediaDescription | None
    ) -> None:
        try:
            call = await self._create_inbound(msg, addr, offer)
        except Exception:
            self.stats["errors"] += 1
            log.exception("could not set up an inbound call")
            self.reply(msg, addr, 500, "Server Internal Error")
            return
        await self._emit(call, "started")
        try:
            await self.handler.on_incoming(call)
        except CallEnded:
            pass
        except Exception:
            self.stats["errors"] += 1
            log.exception("call handler failed")
        if not call.ended:
            await call.hangup("handler-finished")

    async def _create_inbound(
        self, msg: SipMessage, addr: tuple[str, int], offer: sdp.MediaDescription | None
    ) -> Call:
        rtp_transport, rtp = await self.ports.bind(
            asyncio.get_running_loop(), self.host, RtpSession
        )
        from_h, to_h = msg.get("From") or "", msg.get("To") or ""
        dialog = Dialog(
            call_id=msg.call_id,
            local_uri=strip_tag(to_h),
            remote_uri=strip_tag(from_h),
            local_tag=new_tag(),
            remote_tag=tag_of(from_h),
            remote_target=uri_of(msg.get("Contact") or from_h),
            remote_addr=addr,
            remote_cseq=msg.cseq[0],
            invite=msg,
            session_id=random_session_id(),
            route_set=msg.get_all("Record-Route"),  # UAS: in order (RFC 3261 12.1.1)
        )
        dialog.extra["invite_addr"] = f"{addr[0]}:{addr[1]}"
        record_to = None
        if self.recordings_dir is not None and self.master_key is not None:
            record_to = (
                self.recordings_dir / time.strftime("%Y/%m/%d") / f"{dialog.call_id_safe()}.fcrec"
            )
        call = Call(
            direction="inbound",
            caller=user_of(uri_of(from_h)),
            called=user_of(msg.uri or ""),
            rtp=rtp,
            signalling=self,
            dialog=dialog,
            record_to=record_to,
            master_key=self.master_key,
        )
        if offer is not None:
            self._apply_offer(call, offer)
        self.calls[msg.call_id] = call
        key = self._txn_key(msg, "INVITE")
        last = self._server_txns.get(key, (None, 0.0, None))
        self._server_txns[key] = (last[0], last[1], call)
        return call

    def _apply_offer(self, call: Call, offer: sdp.MediaDescription) -> None:
        call.rtp.remote = (offer.address, offer.port)
        call.rtp.payload_type = sdp.choose_codec(offer)
        call.rtp.dtmf_pt = offer.dtmf_payload
        call.rtp.sending = (
            offer.direction in ("sendrecv", "recvonly") and offer.address != HOLD_ADDR
        )
        call.on_hold = not call.rtp.sending
        call.dialog.extra["offer_direction"] = offer.direction
        call.dialog.extra["offer"] = "1"

    # -- Signalling protocol used by Call ---------------------------------------------------
    async def ring(self, call: Call) -> None:
        """Send 180 Ringing."""
        d = call.dialog
        if call.state == CallState.RINGING and d.invite is not None:
            self.reply(d.invite, d.remote_addr, 180, "Ringing", to_tag=d.local_tag, call=call)

    async def accept(self, call: Call) -> None:
        """Answer an inbound call: 200 OK with SDP, retransmitted until the ACK arrives."""
        d = call.dialog
        if d.invite is None or call.direction != "inbound":
            raise CallError("only an inbound ringing call can be answered", call_id=call.id)
        body = self._local_sdp(call)
        resp = self.reply(
            d.invite,
            d.remote_addr,
            200,
            "OK",
            to_tag=d.local_tag,
            call=call,
            body=body,
            headers=(
                *(("Record-Route", r) for r in d.route_set),
                ("Contact", self.contact),
                ("Allow", ALLOW),
            ),
        )
        call.mark_answered()
        self.clock.add(call.rtp)
        self.stats["answered"] += 1
        self._spawn(self._retransmit_ok(call, resp))
        await self._emit(call, "answered")

    def _local_sdp(self, call: Call) -> bytes:
        d = call.dialog
        direction = {"sendonly": "recvonly", "inactive": "inactive", "recvonly": "sendonly"}
        return sdp.build(
            address=self.host,
            port=call.rtp.local_port,
            payloads=[call.rtp.payload_type],
            dtmf_payload=call.rtp.dtmf_pt,
            direction=direction.get(d.extra.get("offer_direction", ""), "sendrecv"),
            session_id=d.session_id,
            version=d.sdp_version,
        )

    async def _retransmit_ok(self, call: Call, resp: SipMessage) -> None:
        interval, waited = T1, 0.0
        while not call.dialog.acked and not call.ended:
            await asyncio.sleep(interval)
            waited += interval
            if call.dialog.acked or call.ended:
                return
            if waited >= 64 * T1:
                await self.terminate(call, "no-ack")
                return
            self.send(resp, call.dialog.remote_addr)
            interval = min(interval * 2, T2)

    async def terminate(self, call: Call, reason: str) -> None:
        """End a call from fincall's side with the right request for its state."""
        d = call.dialog
        if call.ended:
            return
        if call.state == CallState.RINGING and d.invite is not None:
            self.reply(d.invite, d.remote_addr, 480, "Temporarily Unavailable", to_tag=d.local_tag)
        elif call.state == CallState.DIALING:
            await self.uac.cancel_outbound(call)
        elif call.state == CallState.ANSWERED:
            bye = d.request("BYE", via=self.via, contact=self.contact)
            await self._finish(call, reason)
            with contextlib.suppress(TimeoutError):
                await self.uac.request(bye, d.remote_addr, timeout=8)
            return
        await self._finish(call, reason)

    async def _finish(self, call: Call, reason: str) -> None:
        if call.ended:
            return
        self.clock.remove(call.rtp)
        call.mark_ended(reason)
        self.calls.pop(call.dialog.call_id, None)
        self.stats["ended"] += 1
        if call.recording is not None and self.master_key is not None:
            try:
                call.recording_result = await asyncio.to_thread(
                    digest_of, call.recording.path, master_key=self.master_key
                )
            except Exception:
                log.exception("recording verification failed for %s", call.id)
        await self._emit(call, "ended")

    async def _emit(self, call: Call, kind: str) -> None:
        if self.on_event is None:
            return
        try:
            result = self.on_event(call.event(kind))
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("call event listener failed")

    # -- in-dialog requests -----------------------------------------------------------------
    def _on_ack(self, msg: SipMessage) -> None:
        call = self.calls.get(msg.call_id)
        if call is not None and call.direction == "inbound":
            call.dialog.acked = True

    def _on_bye(self, msg: SipMessage, addr: tuple[str, int], call: Call | None) -> None:
        if call is None:
            self.reply(msg, addr, 481, "Call/Transaction Does Not Exist")
            return
        self.reply(msg, addr, 200, "OK")
        self._spawn(self._finish(call, "remote-bye"))

    def _on_cancel(self, msg: SipMessage, addr: tuple[str, int]) -> None:
        invite_txn = self._server_txns.get(self._txn_key(msg, "INVITE"))
        call = invite_txn[2] if invite_txn else self.calls.get(msg.call_id)
        if invite_txn is None or call is None:
            self.reply(msg, addr, 481, "Call/Transaction Does Not Exist")
            return
        self.reply(msg, addr, 200, "OK")
        if call.state == CallState.RINGING and call.dialog.invite is not None:
            self.reply(
                call.dialog.invite, addr, 487, "Request Terminated", to_tag=call.dialog.local_tag
            )
            self._spawn(self._finish(call, "cancelled"))

    def _on_reinvite(self, msg: SipMessage, addr: tuple[str, int], call: Call | None) -> None:
        if call is None or call.state != CallState.ANSWERED:
            self.reply(msg, addr, 481, "Call/Transaction Does Not Exist")
            return
        try:
            if msg.body:
                offer = sdp.parse(msg.body)
                self._apply_offer(call, offer)
        except SdpError:
            self.reply(msg, addr, 488, "Not Acceptable Here")
            return
        call.dialog.sdp_version += 1
        call.dialog.acked = True
        self.reply(
            msg,
            addr,
            200,
            "OK",
            to_tag=call.dialog.local_tag,
            body=self._local_sdp(call),
            headers=(("Contact", self.contact),),
        )

    def _on_info(self, msg: SipMessage, addr: tuple[str, int], call: Call | None) -> None:
        if call is None:
            self.reply(msg, addr, 481, "Call/Transaction Does Not Exist")
            return
        ctype = (msg.get("Content-Type") or "").lower()
        text = msg.body.decode("utf-8", "replace")
        match = _DTMF_INFO.search(text) if "dtmf-relay" in ctype else None
        if "application/dtmf" in ctype and "relay" not in ctype and text.strip()[:1]:
            call.dtmf_received(text.strip()[0].upper())
        elif match:
            call.dtmf_received(match.group(1).upper())
        self.reply(msg, addr, 200, "OK")
