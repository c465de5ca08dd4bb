"""REGISTER handling: digest-authenticated bindings of agents' softphones (RFC 3261 section 10)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fincall.channels.voice.sip import digest
from fincall.channels.voice.sip.message import (
    SipMessage,
    header_params,
    response_to,
    uri_of,
    user_of,
)

CredentialProvider = Callable[[str], str | None]
"""Maps a SIP username to its password (None: unknown user)."""


@dataclass
class Binding:
    """Where a registered user can be reached."""

    user: str
    contact: str  # Contact URI
    addr: tuple[str, int]  # source address of the REGISTER
    expires_at: float


class Registrar:
    """Keeps bindings; challenges REGISTERs with digest; 403 for a wrong password."""

    def __init__(
        self, *, credentials: CredentialProvider, realm: str = "fincall", max_expires: int = 3600
    ) -> None:
        self.credentials = credentials
        self.realm = realm
        self.max_expires = max_expires
        self.nonces = digest.NonceIssuer()
        self.bindings: dict[str, Binding] = {}

    def lookup(self, user: str) -> Binding | None:
        """The live binding of ``user`` (None if unregistered or expired)."""
        binding = self.bindings.get(user)
        if binding is None or binding.expires_at < time.monotonic():
            self.bindings.pop(user, None)
            return None
        return binding

    def handle(self, request: SipMessage, addr: tuple[str, int], to_tag: str) -> SipMessage:
        """The response to a REGISTER request."""
        user = user_of(uri_of(request.get("To") or ""))
        auth = request.get("Authorization")
        if not auth:
            return self._challenge(request, to_tag)
        params = digest.parse_header(auth)
        password = self.credentials(params.get("username", ""))
        if params.get("username") != user or password is None:
            return response_to(request, 403, "Forbidden", to_tag=to_tag)
        if not self.nonces.valid(params.get("nonce", "")):
            return self._challenge(request, to_tag, stale=True)
        if not digest.verify(
            params=params,
            method="REGISTER",
            password=password,
            realm=self.realm,
            issuer=self.nonces,
        ):
            return response_to(request, 403, "Forbidden", to_tag=to_tag)
        return self._bind(request, addr, user, to_tag)

    def _challenge(self, request: SipMessage, to_tag: str, stale: bool = False) -> SipMessage:
        resp = response_to(request, 401, "Unauthorized", to_tag=to_tag)
        challenge = self.nonces.challenge(self.realm) + (", stale=TRUE" if stale else "")
        resp.add("WWW-Authenticate", challenge)
        return resp

    def _bind(
        self, request: SipMessage, addr: tuple[str, int], user: str, to_tag: str
    ) -> SipMessage:
        contacts = request.get_all("Contact")
        default = request.get("Expires") or "3600"
        resp = response_to(request, 200, "OK", to_tag=to_tag)
        for contact in contacts:
            if contact.strip() == "*":
                self.bindings.pop(user, None)
                continue
            params = header_params(contact)[1]
            raw = params.get("expires", default)
            expires = min(int(raw) if raw.isdigit() else 3600, self.max_expires)
            if expires == 0:
                self.bindings.pop(user, None)
            else:
                self.bindings[user] = Binding(
                    user, uri_of(contact), addr, time.monotonic() + expires
                )
                resp.add("Contact", f"<{uri_of(contact)}>;expires={expires}")
        return resp
