"""SIP dialog state (RFC 3261 section 12) and request builders."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from fincall.channels.voice.sip.message import SipMessage, header_params


def new_tag() -> str:
    """A random From/To tag."""
    return secrets.token_hex(6)


def new_branch() -> str:
    """A random RFC 3261 branch (magic cookie prefix)."""
    return "z9hG4bK" + secrets.token_hex(8)


@dataclass
class Dialog:
    """Both ends of one SIP dialog, as seen from fincall."""

    call_id: str
    local_uri: str  # our From (UAC) / To (UAS) name-addr without tag
    remote_uri: str
    local_tag: str
    remote_tag: str = ""
    remote_target: str = ""  # the peer's Contact URI
    remote_addr: tuple[str, int] = ("127.0.0.1", 5060)
    local_cseq: int = 0
    remote_cseq: int = 0
    invite: SipMessage | None = None  # the INVITE that created the dialog
    sdp_version: int = 1
    session_id: int = 1
    acked: bool = False
    route_set: list[str] = field(default_factory=list)  # Route headers for in-dialog requests
    extra: dict[str, str] = field(default_factory=dict)

    def call_id_safe(self) -> str:
        """The Call-ID reduced to file-name-safe characters."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.call_id)[:120] or "call"

    def request(
        self, method: str, *, via: str, contact: str, cseq: int | None = None
    ) -> SipMessage:
        """An in-dialog request (new CSeq unless given)."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        msg = SipMessage(method=method, uri=self.remote_target or self.remote_uri.strip("<>"))
        msg.add("Via", via)
        msg.add("Max-Forwards", "70")
        msg.add("From", f"{self.local_uri};tag={self.local_tag}")
        to = self.remote_uri + (f";tag={self.remote_tag}" if self.remote_tag else "")
        msg.add("To", to)
        msg.add("Call-ID", self.call_id)
        msg.add("CSeq", f"{cseq} {method}")
        msg.add("Contact", contact)
        for route in self.route_set:  # loose routing through proxies such as Kamailio
            msg.add("Route", route)
        return msg


def tag_of(value: str | None) -> str:
    """The tag parameter of a From/To header value."""
    return header_params(value or "")[1].get("tag", "")


def strip_tag(value: str) -> str:
    """A From/To value without its parameters (the name-addr)."""
    addr, _ = header_params(value)
    return addr
