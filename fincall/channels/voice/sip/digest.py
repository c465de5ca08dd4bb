"""HTTP digest authentication for SIP (RFC 2617 / RFC 7616, MD5)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_header(value: str) -> dict[str, str]:
    """Parameters of a ``Digest k=v, k="v"`` header (scheme must be Digest)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    out: dict[str, str] = {}
    for key, raw in _PARAM.findall(rest):
        out[key.lower()] = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
    return out


def compute_response(
    *,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str = "",
    nc: str = "",
    cnonce: str = "",
) -> str:
    """The digest ``response`` value a client sends."""
    ha1 = _md5(f"{username}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    if qop:
        return _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _md5(f"{ha1}:{nonce}:{ha2}")


def authorization_header(
    *, username: str, password: str, method: str, uri: str, challenge: str, cnonce: str = ""
) -> str:
    """An Authorization header answering a WWW-Authenticate challenge."""
    params = parse_header(challenge)
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    qop = "auth" if "auth" in params.get("qop", "").split(",") else ""
    cnonce = cnonce or secrets.token_hex(8)
    nc = "00000001"
    resp = compute_response(
        username=username,
        realm=realm,
        password=password,
        method=method,
        uri=uri,
        nonce=nonce,
        qop=qop,
        nc=nc if qop else "",
        cnonce=cnonce if qop else "",
    )
    header = (
        f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{resp}", algorithm=MD5'
    )
    if qop:
        header += f', qop={qop}, nc={nc}, cnonce="{cnonce}"'
    return header


class NonceIssuer:
    """Issues stateless nonces (timestamp + HMAC) and checks them for freshness."""

    def __init__(self, *, secret: bytes | None = None, lifetime_s: float = 300.0) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.lifetime_s = lifetime_s

    def issue(self) -> str:
        """A new nonce."""
        stamp = f"{time.time():.0f}"
        sig = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{stamp}.{sig}"

    def valid(self, nonce: str) -> bool:
        """True if the nonce was issued by us and has not expired."""
        stamp, _, sig = nonce.partition(".")
        good = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        if not stamp.isdigit() or not hmac.compare_digest(sig, good):
            return False
        return time.time() - int(stamp) <= self.lifetime_s

    def challenge(self, realm: str) -> str:
        """A WWW-Authenticate header value."""
        return f'Digest realm="{realm}", nonce="{self.issue()}", algorithm=MD5, qop="auth"'


def verify(
    *, params: dict[str, str], method: str, password: str, realm: str, issuer: NonceIssuer
) -> bool:
    """Check an Authorization header's parameters against the expected password."""
    if params.get("realm") != realm or not issuer.valid(params.get("nonce", "")):
        return False
    expected = compute_response(
        username=params.get("username", ""),
        realm=realm,
        password=password,
        method=method,
        uri=params.get("uri", ""),
        nonce=params.get("nonce", ""),
        qop=params.get("qop", ""),
        nc=params.get("nc", ""),
        cnonce=params.get("cnonce", ""),
    )
    return hmac.compare_digest(expected, params.get("response", ""))
