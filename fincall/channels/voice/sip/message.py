"""SIP message model, parser and serialiser (RFC 3261 section 7)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fincall.channels.voice.errors import SipParseError

COMPACT = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "u": "Allow-Events",
    "r": "Refer-To",
    "b": "Referred-By",
    "x": "Session-Expires",
}
_CANONICAL = {
    name.lower(): name
    for name in (
        *COMPACT.values(),
        "CSeq",
        "Max-Forwards",
        "WWW-Authenticate",
        "Authorization",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Record-Route",
        "Route",
        "User-Agent",
        "Server",
        "Allow",
        "Expires",
        "Accept",
        "Require",
        "Unsupported",
        "Reason",
    )
}
# Headers whose value may be a comma separated list of entries (RFC 3261 7.3.1).
MULTI_VALUE = {"Via", "Route", "Record-Route", "Contact", "Allow", "Supported", "Require", "Accept"}
_TOKEN = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
_STATUS = re.compile(r"^SIP/2\.0 ([1-6][0-9]{2}) ?(.*)$")
_REQUEST = re.compile(r"^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP/2\.0$")
MAX_MESSAGE = 65535


def canonical_name(name: str) -> str:
    """The full, conventionally cased header name (expands compact forms)."""
    low = name.lower()
    if low in COMPACT:
        return COMPACT[low]
    return _CANONICAL.get(low, name)


def split_commas(value: str) -> list[str]:
    """Split a header value on commas that are outside quotes and angle brackets."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    escape = False
    for ch in value:
        if escape:
            current.append(ch)
            escape = False
            continue
        if ch == "\\" and quoted:
            escape = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted and depth:
            depth -= 1
        elif ch == "," and not quoted and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    tail = "".join(current).strip()
    if tail or parts:
        parts.append(tail)
    return [p for p in parts if p]


@dataclass
class SipMessage:
    """A SIP request (``method``/``uri`` set) or response (``status``/``reason`` set)."""

    method: str | None = None
    uri: str | None = None
    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        """True for a request, False for a response."""
        return self.method is not None

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of a header (full or compact name), or ``default``."""
        key = canonical_name(name).lower()
        for hname, value in self.headers:
            if hname.lower() == key:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of a header, list-valued headers split on commas."""
        key = canonical_name(name)
        out: list[str] = []
        for hname, value in self.headers:
            if hname.lower() == key.lower():
                out.extend(split_commas(value) if key in MULTI_VALUE else [value])
        return out

    def set(self, name: str, value: str) -> None:
        """Replace every occurrence of a header with one value (kept in place if present)."""
        key = canonical_name(name)
        for i, (hname, _) in enumerate(self.headers):
            if hname.lower() == key.lower():
                self.headers[i] = (key, value)
                self.headers = [
                    h for j, h in enumerate(self.headers) if j <= i or h[0].lower() != key.lower()
                ]
                return
        self.headers.append((key, value))

    def add(self, name: str, value: str) -> None:
        """Append a header value."""
        self.headers.append((canonical_name(name), value))

    def remove(self, name: str) -> None:
        """Remove every occurrence of a header."""
        key = canonical_name(name).lower()
        self.headers = [h for h in self.headers if h[0].lower() != key]

    @property
    def call_id(self) -> str:
        """The Call-ID header (empty if absent)."""
        return self.get("Call-ID") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        """CSeq as (number, method); raises SipParseError if absent or malformed."""
        raw = self.get("CSeq")
        parts = (raw or "").split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise SipParseError("missing or malformed CSeq header", header="CSeq")
        return int(parts[0]), parts[1].upper()

    def serialise(self) -> bytes:
        """Wire bytes, with a Content-Length computed from the body."""
        if self.is_request:
            start = f"{self.method} {self.uri} SIP/2.0"
        else:
            start = f"SIP/2.0 {self.status} {self.reason}"
        lines = [start]
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        idx = data.find(sep)
        if idx >= 0:
            return data[:idx], data[idx + len(sep) :]
    raise SipParseError("no blank line after the headers")


def _header_lines(head: str) -> list[str]:
    lines: list[str] = []
    for raw in re.split(r"\r?\n", head):
        if raw[:1] in (" ", "\t"):
            if not lines:
                raise SipParseError("continuation line before any header")
            lines[-1] += " " + raw.strip()
        else:
            lines.append(raw)
    return lines


def parse(data: bytes, *, stream: bool = False) -> SipMessage:
    """Parse one SIP message; raise SipParseError on anything malformed."""
    message, _ = _parse(data, stream=stream)
    if message is None:
        raise SipParseError("incomplete message")
    return message


def parse_stream(buffer: bytes) -> tuple[SipMessage | None, int]:
    """Parse the first message of a stream buffer: (message, bytes consumed) or (None, 0)."""
    return _parse(buffer, stream=True)


def _parse(data: bytes, *, stream: bool) -> tuple[SipMessage | None, int]:
    if len(data) > MAX_MESSAGE and not stream:
        raise SipParseError("message too large")
    data_start = len(data) - len(data.lstrip(b"\r\n"))
    data = data[data_start:]
    try:
        head_b, rest = _split_head(data)
    except SipParseError:
        if stream and len(data) < MAX_MESSAGE:
            return None, 0
        raise
    try:
        head = head_b.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError("headers are not UTF-8") from exc
    lines = _header_lines(head)
    msg = _start_line(lines[0])
    length: int | None = None
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not _TOKEN.match(name):
            raise SipParseError("malformed header line", line=line[:80])
        cname = canonical_name(name)
        value = value.strip()
        if cname == "Content-Length":
            if not value.isdigit() or len(value) > 7:
                raise SipParseError("malformed Content-Length", value=value[:20])
            length = int(value)
            continue
        msg.headers.append((cname, value))
    if length is None:
        if stream:
            raise SipParseError("Content-Length is required on a stream transport")
        length = len(rest)
    if len(rest) < length:
        if stream:
            return None, 0
        raise SipParseError("body shorter than Content-Length", expected=length, got=len(rest))
    msg.body = rest[:length]
    for required in ("Call-ID", "CSeq", "From", "To", "Via"):
        if msg.get(required) is None:
            raise SipParseError(f"missing {required} header", header=required)
    number, method = msg.cseq
    if msg.is_request and method != msg.method:
        raise SipParseError("CSeq method does not match the request method")
    consumed = data_start + (len(data) - len(rest)) + length
    return msg, consumed


def _start_line(line: str) -> SipMessage:
    status = _STATUS.match(line)
    if status:
        return SipMessage(status=int(status.group(1)), reason=status.group(2).strip())
    request = _REQUEST.match(line)
    if request:
        return SipMessage(method=request.group(1).upper(), uri=request.group(2))
    raise SipParseError("malformed start line", line=line[:80])


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``<sip:a@b>;tag=x;lr`` into (address part, {param: value})."""
    value = value.strip()
    if ">" in value:
        addr, _, params_s = value.partition(">")
        addr += ">"
    else:
        addr, _, params_s = value.partition(";")
        params_s = ";" + params_s if params_s else ""
    params: dict[str, str] = {}
    for item in params_s.split(";"):
        item = item.strip()
        if item:
            k, _, v = item.partition("=")
            params[k.strip().lower()] = v.strip()
    return addr.strip(), params


def uri_of(value: str) -> str:
    """The URI inside a name-addr (``"Bob" <sip:bob@h>;tag=1`` → ``sip:bob@h``)."""
    addr, _ = header_params(value)
    if "<" in addr:
        return addr[addr.index("<") + 1 : addr.rindex(">")]
    return addr


def host_port(uri: str, default_port: int = 5060) -> tuple[str, int]:
    """Host and port of a SIP URI (``sip:user@host:port;params``)."""
    rest = uri.split(":", 1)[1] if uri.lower().startswith(("sip:", "sips:")) else uri
    rest = rest.split(";", 1)[0].split("?", 1)[0]
    hostport = rest.rsplit("@", 1)[-1]
    host, _, port = hostport.partition(":")
    return host, int(port) if port.isdigit() else default_port


def user_of(uri: str) -> str:
    """User part of a SIP URI (empty if none)."""
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    return rest.split("@", 1)[0] if "@" in rest else ""


def response_to(request: SipMessage, status: int, reason: str, *, to_tag: str = "") -> SipMessage:
    """A response copying Via, From, To (adding ``to_tag`` if none), Call-ID and CSeq."""
    resp = SipMessage(status=status, reason=reason)
    for via in request.get_all("Via"):
        resp.add("Via", via)
    for name in ("From", "To", "Call-ID", "CSeq"):
        value = request.get(name)
        if value is not None:
            if name == "To" and to_tag and "tag" not in header_params(value)[1]:
                value = f"{value};tag={to_tag}"
            resp.add(name, value)
    return resp
