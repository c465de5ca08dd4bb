"""SIP message parser/serialiser, SDP offer/answer and digest authentication."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.channels.voice import sdp
from fincall.channels.voice.errors import SdpError, SipParseError
from fincall.channels.voice.sip import digest
from fincall.channels.voice.sip.message import (
    SipMessage,
    host_port,
    parse,
    parse_stream,
    response_to,
    uri_of,
)

INVITE = (
    b"INVITE sip:ivr@127.0.0.1:5070 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb2\r\n"
    b'f: "Doe, John" <sip:john@example.com>;tag=abc\r\n'
    b"t: <sip:ivr@127.0.0.1>\r\n"
    b"i: call-1@example.com\r\n"
    b"CSeq: 1 INVITE\r\n"
    b'm: "A, B" <sip:john@10.0.0.1:5060>, <sip:alt@10.0.0.3>\r\n'
    b"Subject: folded\r\n"
    b" continuation\r\n"
    b"c: application/sdp\r\n"
    b"l: 4\r\n\r\nbodyEXTRA"
)


def test_parse_compact_multi_value_and_body() -> None:
    msg = parse(INVITE)
    assert msg.method == "INVITE" and msg.uri == "sip:ivr@127.0.0.1:5070"
    assert msg.get_all("Via") == [
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa1",
        "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb2",
    ]
    assert msg.get_all("Contact") == ['"A, B" <sip:john@10.0.0.1:5060>', "<sip:alt@10.0.0.3>"]
    assert msg.get("from") == '"Doe, John" <sip:john@example.com>;tag=abc'
    assert msg.get("Subject") == "folded continuation"
    assert msg.body == b"body"  # Content-Length wins over trailing bytes
    assert msg.cseq == (1, "INVITE")
    assert uri_of(msg.get("Contact") or "") == "sip:john@10.0.0.1:5060"
    assert host_port("sip:john@10.0.0.1:5062;transport=udp") == ("10.0.0.1", 5062)


def test_response_copies_dialog_headers_and_adds_tag() -> None:
    resp = response_to(parse(INVITE), 180, "Ringing", to_tag="xyz")
    wire = parse(resp.serialise())
    assert wire.status == 180 and wire.reason == "Ringing"
    assert wire.get("To") == "<sip:ivr@127.0.0.1>;tag=xyz"
    assert len(wire.get_all("Via")) == 2
    assert wire.call_id == "call-1@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"hello world\r\n\r\n",
        b"INVITE sip:a SIP/2.0\r\nVia: x\r\n\r\n",  # missing headers
        INVITE.replace(b"l: 4", b"l: 400"),  # body shorter than Content-Length
        INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: one INVITE"),
        INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"),
        INVITE.replace(b"i: call", b"bad header line i call"),
        b"\xff\xfe\r\n\r\n",
    ],
)
def test_malformed_input_raises_parse_error(raw: bytes) -> None:
    with pytest.raises(SipParseError):
        parse(raw)


def test_stream_framing_waits_for_complete_message() -> None:
    data = INVITE.replace(b"bodyEXTRA", b"body") * 2
    msg, used = parse_stream(data[:50])
    assert msg is None and used == 0
    msg, used = parse_stream(data)
    assert msg is not None and used == len(data) // 2


_token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.",
    min_size=1,
    max_size=12,
)
_value = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30
)


@st.composite
def sip_messages(draw: st.DrawFn) -> SipMessage:
    if draw(st.booleans()):
        method = draw(st.sampled_from(["INVITE", "BYE", "OPTIONS", "REGISTER", "INFO"]))
        msg = SipMessage(method=method, uri="sip:" + draw(_token) + "@127.0.0.1")
    else:
        method = "INVITE"
        msg = SipMessage(status=draw(st.integers(100, 699)), reason=draw(_token))
    msg.add("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK" + draw(_token))
    msg.add("From", f"<sip:{draw(_token)}@h>;tag={draw(_token)}")
    msg.add("To", f"<sip:{draw(_token)}@h>")
    msg.add("Call-ID", draw(_token))
    msg.add("CSeq", f"{draw(st.integers(0, 2**31))} {method}")
    for _ in range(draw(st.integers(0, 4))):
        msg.add("X-" + draw(_token), draw(_value))
    msg.body = draw(st.binary(max_size=200))
    return msg


@given(sip_messages())
def test_parse_serialise_round_trip(msg: SipMessage) -> None:
    assert parse(msg.serialise()) == msg


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_parser_only_raises_its_own_error(data: bytes) -> None:
    try:
        parse(data)
    except SipParseError:
        pass


@given(st.binary(max_size=200))
def test_parser_survives_corrupted_valid_message(noise: bytes) -> None:
    for cut in (10, 60, 120):
        try:
            parse(INVITE[:cut] + noise)
        except SipParseError:
            pass


OFFER = (
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n"
)


def test_sdp_answer_picks_offerer_preference_and_dtmf() -> None:
    offer = sdp.parse(OFFER)
    assert (offer.address, offer.port, offer.dtmf_payload) == ("10.0.0.1", 40000, 96)
    body, codec = sdp.answer(offer, address="127.0.0.1", port=30000)
    assert codec == sdp.PCMA
    ans = sdp.parse(body)
    assert ans.payloads == [8, 96] and ans.port == 30000 and ans.direction == "sendrecv"


@pytest.mark.parametrize(
    ("offered", "answered"),
    [("sendonly", "recvonly"), ("inactive", "inactive"), ("recvonly", "sendonly")],
)
def test_sdp_hold_directions(offered: str, answered: str) -> None:
    offer = sdp.parse(OFFER.replace("a=sendrecv", f"a={offered}"))
    body, _ = sdp.answer(offer, address="127.0.0.1", port=30000)
    assert sdp.parse(body).direction == answered


def test_sdp_without_common_codec_is_refused() -> None:
    with pytest.raises(SdpError):
        sdp.choose_codec(sdp.parse(OFFER.replace("8 0 96", "18 96")))


def test_digest_round_trip_and_wrong_password() -> None:
    issuer = digest.NonceIssuer()
    challenge = issuer.challenge("fincall")
    header = digest.authorization_header(
        username="agt1",
        password="s3cret",
        method="REGISTER",
        uri="sip:fincall",
        challenge=challenge,
    )
    params = digest.parse_header(header)
    ok = digest.verify(
        params=params, method="REGISTER", password="s3cret", realm="fincall", issuer=issuer
    )
    bad = digest.verify(
        params=params, method="REGISTER", password="nope", realm="fincall", issuer=issuer
    )
    forged = digest.verify(
        params={**params, "nonce": "1.abc"},
        method="REGISTER",
        password="s3cret",
        realm="fincall",
        issuer=issuer,
    )
    assert (ok, bad, forged) == (True, False, False)
