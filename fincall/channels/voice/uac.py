"""The client side of the endpoint: requests we originate and outbound INVITEs to agent phones."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fincall.channels.voice import sdp
from fincall.channels.voice.call import Call, CallState
from fincall.channels.voice.dialog import Dialog, new_tag, tag_of
from fincall.channels.voice.errors import CallError, SdpError
from fincall.channels.voice.rtp import RtpSession, random_session_id
from fincall.channels.voice.sip.message import SipMessage, host_port, uri_of, user_of

if TYPE_CHECKING:
    from fincall.channels.voice.server import SipEndpoint

_BRANCH = re.compile(r"branch=([^;,\s]+)")


def _branch(msg: SipMessage) -> str:
    match = _BRANCH.search((msg.get_all("Via") or [""])[0])
    return match.group(1) if match else ""


class UserAgentClient:
    """Client transactions (retransmission over UDP) and outbound calls for ``SipEndpoint``."""

    def __init__(self, endpoint: SipEndpoint) -> None:
        self.ep = endpoint
        self._provisional: dict[str, Callable[[int], None]] = {}  # by Call-ID

    async def request(
        self,
        msg: SipMessage,
        addr: tuple[str, int],
        *,
        timeout: float = 32.0,
        invite: bool = False,
    ) -> SipMessage:
        """Send a request, retransmit until a response, return the final response."""
        key = (_branch(msg), msg.method or "")  # a CANCEL shares its INVITE's branch (RFC 3261 9.1)
        queue: asyncio.Queue[SipMessage] = asyncio.Queue()
        self.ep._client_txns[key] = queue
        deadline = time.monotonic() + timeout
        interval, provisional = 0.5, False
        try:
            self.ep.send(msg, addr)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no final response to {msg.method}")
                wait = left if provisional and invite else min(interval, left)
                try:
                    resp = await asyncio.wait_for(queue.get(), wait)
                except TimeoutError:
                    if not provisional:
                        self.ep.send(msg, addr)
                        interval = min(interval * 2, 4.0)
                    continue
                if (resp.status or 0) >= 200:
                    return resp
                provisional = True
                if invite and msg.call_id in self.ep.calls:
                    self.ep.calls[msg.call_id].dialog.extra["provisional"] = str(resp.status)
                    listener = self._provisional.get(msg.call_id)
                    if listener is not None:
                        listener(resp.status or 0)
        finally:
            self.ep._client_txns.pop(key, None)

    def on_response(self, msg: SipMessage, addr: tuple[str, int]) -> None:
        queue = self.ep._client_txns.get((_branch(msg), msg.cseq[1]))
        if queue is not None:
            queue.put_nowait(msg)
            return
        invite = self.ep._recent_invites.get(_branch(msg))
        if invite is not None and msg.cseq[1] == "INVITE" and (msg.status or 0) >= 300:
            self._ack_failure(invite, msg, addr)  # a late final answer after CANCEL/timeout
            return
        # a retransmitted 2xx to an INVITE whose ACK was lost: ACK again
        call = self.ep.calls.get(msg.call_id)
        if call is not None and msg.cseq[1] == "INVITE" and (msg.status or 0) < 300:
            if call.direction == "outbound" and call.state == CallState.ANSWERED:
                self._send_ack(call, msg.cseq[0])

    def _ack_failure(self, invite: SipMessage, resp: SipMessage, addr: tuple[str, int]) -> None:
        """ACK a non-2xx final response (same branch as the INVITE, RFC 3261 17.1.1.3)."""
        ack = SipMessage(method="ACK", uri=invite.uri)
        ack.add("Via", invite.get_all("Via")[0])
        for name in ("From", "Call-ID"):
            ack.add(name, invite.get(name) or "")
        ack.add("To", resp.get("To") or "")
        ack.add("CSeq", f"{invite.cseq[0]} ACK")
        ack.add("Max-Forwards", "70")
        self.ep.send(ack, addr)

    def _send_ack(self, call: Call, cseq: int) -> None:
        ack = call.dialog.request("ACK", via=self.ep.via, contact=self.ep.contact, cseq=cseq)
        self.ep.send(ack, call.dialog.remote_addr)

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
        """Call a registered user (agent softphone) or a SIP URI; returns the answered Call.

        ``timeout`` bounds the whole ringing: then the INVITE is cancelled (CallError with
        ``reason="timeout"``); a refusal raises CallError with the SIP ``status``;
        ``provisional`` hears each 1xx status (180, 183) as it arrives.
        """
        if target.startswith("sip:"):
            uri, addr = target, host_port(target)
        else:
            binding = self.ep.registrar.lookup(target)
            if binding is None:
                raise CallError("that user has no registered phone", user=target)
            uri, addr = binding.contact, host_port(binding.contact)
        rtp_transport, rtp = await self.ep.ports.bind(
            asyncio.get_running_loop(), self.ep.host, RtpSession
        )
        local = f"<sip:{caller}@{self.ep.host}:{self.ep.port}>"
        dialog = Dialog(
            call_id=f"{new_tag()}{new_tag()}@{self.ep.host}",
            local_uri=local,
            remote_uri=f"<{uri}>",
            local_tag=new_tag(),
            remote_target=uri,
            remote_addr=addr,
            session_id=random_session_id(),
        )
        record_to = None
        if record and self.ep.recordings_dir is not None and self.ep.master_key is not None:
            record_to = (
                self.ep.recordings_dir
                / time.strftime("%Y/%m/%d")
                / f"{dialog.call_id_safe()}.fcrec"
            )
        call = Call(
            direction="outbound",
            caller=caller,
            called=user_of(uri) or target,
            rtp=rtp,
            signalling=self.ep,
            dialog=dialog,
            record_to=record_to,
            master_key=self.ep.master_key,
        )
        invite = dialog.request("INVITE", via=self.ep.via, contact=self.ep.contact)
        invite.add("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO")
        invite.add("Content-Type", "application/sdp")
        invite.body = sdp.build(
            address=self.ep.host, port=rtp.local_port, payloads=[0, 8], session_id=dialog.session_id
        )
        dialog.invite = invite
        self.ep._recent_invites[_branch(invite)] = invite
        while len(self.ep._recent_invites) > 1000:
            self.ep._recent_invites.pop(next(iter(self.ep._recent_invites)))
        self.ep.calls[dialog.call_id] = call
        if created is not None:
            created(call)
        await self.ep._emit(call, "started")
        if provisional is not None:
            self._provisional[dialog.call_id] = provisional
        try:
            resp = await self.request(invite, addr, timeout=timeout, invite=True)
        except TimeoutError:
            await self.cancel_outbound(call)
            raise CallError("the phone did not answer", user=target, reason="timeout") from None
        finally:
            self._provisional.pop(dialog.call_id, None)
        if call.ended:  # cancelled meanwhile
            raise CallError("the call was cancelled", user=target)
        status = resp.status or 0
        if status >= 300:
            self._ack_failure(invite, resp, addr)
            await self.ep._finish(call, f"rejected-{status}")
            raise CallError("the phone refused the call", user=target, status=status)
        dialog.remote_tag = tag_of(resp.get("To"))
        dialog.remote_target = uri_of(resp.get("Contact") or "") or uri
        dialog.route_set = list(reversed(resp.get_all("Record-Route")))  # UAC: reversed
        self._send_ack(call, dialog.local_cseq)
        try:
            answer = sdp.parse(resp.body)
            call.rtp.remote = (answer.address, answer.port)
            call.rtp.payload_type = sdp.choose_codec(answer)
            call.rtp.dtmf_pt = answer.dtmf_payload
        except SdpError:
            await self.ep.terminate(call, "bad-sdp")
            raise
        call.mark_answered()
        self.ep.clock.add(call.rtp)
        await self.ep._emit(call, "answered")
        return call

    async def cancel_outbound(self, call: Call) -> None:
        """CANCEL a ringing outbound INVITE (RFC 3261 section 9)."""
        d = call.dialog
        if d.invite is not None and call.state == CallState.DIALING:
            cancel = SipMessage(method="CANCEL", uri=d.invite.uri)
            for name in ("Via", "From", "To", "Call-ID"):
                cancel.add(name, d.invite.get(name) or "")
            cancel.add("CSeq", f"{d.invite.cseq[0]} CANCEL")
            cancel.add("Max-Forwards", "70")
            with contextlib.suppress(TimeoutError):
                await self.request(cancel, d.remote_addr, timeout=4)
        await self.ep._finish(call, "cancelled")
