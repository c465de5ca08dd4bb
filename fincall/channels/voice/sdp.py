"""SDP offer/answer (RFC 4566, RFC 3264) for G.711 PCMU/PCMA and telephone-event (RFC 4733)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fincall.channels.voice.errors import SdpError

PCMU = 0
PCMA = 8
STATIC = {PCMU: "PCMU", PCMA: "PCMA"}
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_REVERSE = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


@dataclass
class MediaDescription:
    """The audio stream of a session description."""

    address: str
    port: int
    payloads: list[int]
    rtpmap: dict[int, str] = field(default_factory=dict)
    direction: str = "sendrecv"

    def codec_name(self, pt: int) -> str:
        """Encoding name for a payload type (static or from rtpmap), upper case."""
        if pt in self.rtpmap:
            return self.rtpmap[pt].split("/")[0].upper()
        return STATIC.get(pt, "")

    @property
    def dtmf_payload(self) -> int | None:
        """Payload type of telephone-event, if offered."""
        for pt in self.payloads:
            if self.codec_name(pt) == "TELEPHONE-EVENT":
                return pt
        return None


def parse(body: bytes | str) -> MediaDescription:
    """Parse the first audio m= line of an SDP body (RFC 4566)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    session_addr = ""
    media: MediaDescription | None = None
    session_dir = "sendrecv"
    in_audio = False
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:]
        if kind == "m":
            in_audio = False
            parts = value.split()
            if media is None and len(parts) >= 4 and parts[0] == "audio":
                if not parts[1].split("/")[0].isdigit():
                    raise SdpError("malformed media port", line=line)
                pts = [int(p) for p in parts[3:] if p.isdigit()]
                media = MediaDescription(session_addr, int(parts[1].split("/")[0]), pts)
                media.direction = session_dir
                in_audio = True
        elif kind == "c":
            parts = value.split()
            if len(parts) < 3:
                raise SdpError("malformed connection line", line=line)
            addr = parts[2].split("/")[0]
            if media is None:
                session_addr = addr
            elif in_audio:
                media.address = addr
        elif kind == "a":
            name, _, arg = value.partition(":")
            if name in DIRECTIONS:
                if media is None:
                    session_dir = name
                elif in_audio:
                    media.direction = name
            elif name == "rtpmap" and in_audio and media is not None:
                pt_s, _, enc = arg.partition(" ")
                if pt_s.isdigit():
                    media.rtpmap[int(pt_s)] = enc.strip()
    if media is None:
        raise SdpError("no audio media line in SDP")
    if not media.address:
        raise SdpError("no connection address in SDP")
    return media


def choose_codec(offer: MediaDescription, supported: tuple[int, ...] = (PCMU, PCMA)) -> int:
    """First offered payload type we support (the offerer's preference order)."""
    for pt in offer.payloads:
        name = offer.codec_name(pt)
        for ours in supported:
            if name == STATIC[ours]:
                return ours
    raise SdpError("no common audio codec (PCMU/PCMA)", offered=offer.payloads)


def build(
    *,
    address: str,
    port: int,
    payloads: list[int],
    dtmf_payload: int | None = 101,
    direction: str = "sendrecv",
    session_id: int = 1,
    version: int = 1,
) -> bytes:
    """Serialise an SDP body for one audio stream."""
    pts = list(payloads) + ([dtmf_payload] if dtmf_payload is not None else [])
    lines = [
        "v=0",
        f"o=fincall {session_id} {version} IN IP4 {address}",
        "s=fincall",
        f"c=IN IP4 {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(str(p) for p in pts)}",
    ]
    lines += [f"a=rtpmap:{p} {STATIC[p]}/8000" for p in payloads]
    if dtmf_payload is not None:
        lines += [f"a=rtpmap:{dtmf_payload} telephone-event/8000", f"a=fmtp:{dtmf_payload} 0-16"]
    lines += ["a=ptime:20", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()


def answer(
    offer: MediaDescription,
    *,
    address: str,
    port: int,
    session_id: int = 1,
    version: int = 1,
    hold: bool = False,
) -> tuple[bytes, int]:
    """SDP answer to an offer and the chosen codec; direction mirrors the offer (RFC 3264 6.1)."""
    codec = choose_codec(offer)
    direction = _REVERSE[offer.direction]
    if hold and direction == "sendrecv":
        direction = "sendonly"
    body = build(
        address=address,
        port=port,
        payloads=[codec],
        dtmf_payload=offer.dtmf_payload,
        direction=direction,
        session_id=session_id,
        version=version,
    )
    return body, codec
