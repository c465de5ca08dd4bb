"""The SIP trunk dialer against sipp as the far end: every final answer, the ring timeout, the
runner dialing a campaign member over it."""

from __future__ import annotations

import asyncio
import errno
import shutil
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from fincall.agents.models import Agent
from fincall.auth import audit
from fincall.channels.voice.call import Call
from fincall.channels.voice.models import VoiceCall
from fincall.channels.voice.server import SipEndpoint
from fincall.channels.voice.sipp import free_udp_port, run_sipp, wait_for
from fincall.core.settings import Settings
from fincall.customers.models import Customer
from fincall.outbound import runner
from fincall.outbound import service as campaigns
from fincall.outbound.dialer import CallProgress, TrunkResult
from fincall.outbound.models import CampaignMember, DialAttempt
from fincall.outbound.sip_trunk import SipTrunk, result_for, target_uri
from tests.conftest import TEST_SECRET, service_unavailable

pytestmark = pytest.mark.sip
VOICE_SCENARIOS = Path(__file__).resolve().parents[1] / "voice" / "scenarios"
MONDAY_10_SHANGHAI = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SYSTEM = audit.Actor.system()

HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">
  <recv request="INVITE" crlf="true"/>
"""
RINGING = """  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:far@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
"""
REFUSE = """  <send>
    <![CDATA[

      SIP/2.0 {status} {reason}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""
ANSWER = """  <send retrans="500">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:far@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=far 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE" timeout="20000"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <timewait milliseconds="200"/>
</scenario>
"""
ANSWER_THEN_HANG_UP = (
    ANSWER[: ANSWER.index('  <recv request="ACK"')]
    + """  <recv request="ACK" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="fincall"/>
    </action>
  </recv>
  <pause milliseconds="@PAUSE@"/>
  <send retrans="500">
    <![CDATA[

      BYE sip:fincall@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:far@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To:[$fincall]
      [last_Call-ID:]
      CSeq: 1 BYE
      Contact: <sip:far@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""
)
RING_UNTIL_CANCEL = """  <recv request="CANCEL" timeout="20000"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[

      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [last_cseq_number] INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""


def far_end(tmp: Path, name: str, body: str, *, ring: bool = True) -> Path:
    """A sipp UAS scenario: receive the INVITE, ring (optionally), then ``body``."""
    path = tmp / f"{name}.xml"
    path.write_text(HEAD.format(name=name) + (RINGING if ring else "") + body)
    return path


def refusing(tmp: Path, status: int, reason: str) -> Path:
    return far_end(tmp, f"refuse_{status}", REFUSE.format(status=status, reason=reason))


@pytest.fixture
def sipp() -> None:
    if shutil.which("sipp") is None:
        service_unavailable("sipp is not installed (Debian package sip-tester)")


def udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


class Refuse:
    async def on_incoming(self, call: Call) -> None:
        await call.hangup("not-used")


class FarEnd:
    """sipp running a UAS scenario on its own port, its messages traced to a file."""

    def __init__(self, tmp: Path, scenario: Path, *, port: int | None = None) -> None:
        self.port = port or free_udp_port()
        self.messages = tmp / f"{scenario.stem}_messages.log"
        self.task = asyncio.ensure_future(
            run_sipp(
                scenario,
                tmp,
                local_port=self.port,
                timeout=20,
                extra=("-trace_msg", "-message_file", str(self.messages)),
            )
        )

    async def listening(self) -> None:
        assert await wait_for(lambda: udp_port_taken(self.port), 10), "sipp did not start"

    async def done(self) -> tuple[int, str]:
        return await asyncio.wait_for(self.task, 40)

    def saw(self, request: str) -> bool:
        text = self.messages.read_text("utf-8", "replace") if self.messages.exists() else ""
        return any(line.startswith(f"{request} sip:") for line in text.splitlines())


async def start_endpoint(tmp: Path) -> SipEndpoint:
    endpoint = SipEndpoint(handler=Refuse(), host="127.0.0.1", port=0, tcp=False)
    await endpoint.start()
    return endpoint


def make_trunk(endpoint: SipEndpoint, far: FarEnd, **kwargs: Any) -> SipTrunk:
    return SipTrunk(
        endpoint=lambda: endpoint,
        loop=asyncio.get_running_loop(),
        trunk_uri=f"sip:127.0.0.1:{far.port}",
        caller_id="+85230001234",
        record=False,
        **kwargs,
    )


async def final_of(trunk: SipTrunk, seen: list[CallProgress], timeout: float = 15) -> CallProgress:
    def arrived() -> bool:
        seen.extend(trunk.updates())
        return any(p.final for p in seen)

    assert await wait_for(arrived, timeout), f"no final result, only {seen}"
    return next(p for p in seen if p.final)


def test_sip_statuses_map_to_trunk_results() -> None:
    assert result_for(180) is result_for(183) is TrunkResult.RINGING
    assert result_for(100) is None
    assert result_for(200) is TrunkResult.ANSWERED
    assert {result_for(s) for s in (486, 600)} == {TrunkResult.BUSY}
    assert {result_for(s) for s in (404, 484, 604)} == {TrunkResult.WRONG_NUMBER}
    assert {result_for(s) for s in (408, 480)} == {TrunkResult.NO_ANSWER}
    assert {result_for(s) for s in (403, 488, 500, 503, 603)} == {TrunkResult.FAILED}
    assert target_uri("sip:127.0.0.1:5090", "+8613800000000") == "sip:+8613800000000@127.0.0.1:5090"
    assert target_uri("sip:gw@trunk.example", "+441") == "sip:+441@trunk.example"


@given(st.integers(min_value=100, max_value=699))
def test_every_sip_status_has_one_meaning(status: int) -> None:
    result = result_for(status)
    if status < 200:
        assert result in (None, TrunkResult.RINGING)
        assert (result is TrunkResult.RINGING) == (status in (180, 183))
    elif status < 300:
        assert result is TrunkResult.ANSWERED
    else:  # every refusal is final and never looks like an answer
        assert result not in (None, TrunkResult.RINGING, TrunkResult.ANSWERED)


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (486, "Busy Here", TrunkResult.BUSY),
        (404, "Not Found", TrunkResult.WRONG_NUMBER),
        (480, "Temporarily Unavailable", TrunkResult.NO_ANSWER),
        (503, "Service Unavailable", TrunkResult.FAILED),
    ],
)
def test_far_end_refusals(
    sipp: None, tmp_path: Path, status: int, reason: str, expected: TrunkResult
) -> None:
    async def main() -> tuple[CallProgress, CallProgress, list[CallProgress], tuple[int, str]]:
        endpoint = await start_endpoint(tmp_path)
        far = FarEnd(tmp_path, refusing(tmp_path, status, reason))
        await far.listening()
        trunk = make_trunk(endpoint, far, ring_timeout=10)
        placed = trunk.dial(call_id="att-refused", number="+8613800000001")
        seen: list[CallProgress] = []
        final = await final_of(trunk, seen)
        result = await far.done()
        await endpoint.stop()
        return placed, final, seen, result

    placed, final, seen, (code, out) = asyncio.run(main())
    assert placed.result is None and not placed.final  # dial() did not wait for the far end
    assert seen[0].result is TrunkResult.RINGING and seen[0].sip_status == 180
    assert final.result is expected
    assert final.sip_status == status
    assert final.call_id == "att-refused"
    assert code == 0, out  # sipp got the ACK for its refusal


def test_far_end_answers_and_the_call_is_handed_to_the_voice_channel(
    sipp: None, tmp_path: Path
) -> None:
    handed: list[tuple[str, str, str]] = []

    async def connect(call: Call, contact_id: str) -> None:
        handed.append((contact_id, call.state.value, call.caller))
        await call.hangup("agent-done")

    async def main() -> tuple[CallProgress, tuple[int, str], bool]:
        endpoint = await start_endpoint(tmp_path)
        far = FarEnd(tmp_path, far_end(tmp_path, "answer", ANSWER))
        await far.listening()
        trunk = make_trunk(endpoint, far, ring_timeout=10, connect=connect)
        trunk.dial(call_id="att-answered", number="+8613800000002")
        final = await final_of(trunk, [])
        assert "att-answered" in trunk.answered  # held up until the runner settles it
        trunk.hand_off(call_id="att-answered", contact_id="ct-1")
        result = await far.done()
        await wait_for(lambda: not trunk.busy)
        await endpoint.stop()
        return final, result, far.saw("BYE")

    final, (code, out), bye = asyncio.run(main())
    assert final.result is TrunkResult.ANSWERED and final.sip_status == 200
    assert handed == [("ct-1", "answered", "+85230001234")]
    assert bye and code == 0, out


def test_abandoned_answered_call_is_hung_up(sipp: None, tmp_path: Path) -> None:
    async def main() -> tuple[CallProgress, tuple[int, str], bool, str | None]:
        endpoint = await start_endpoint(tmp_path)
        far = FarEnd(tmp_path, far_end(tmp_path, "answer_abandoned", ANSWER, ring=False))
        await far.listening()
        trunk = make_trunk(endpoint, far, ring_timeout=10)
        trunk.dial(call_id="att-abandoned", number="+8613800000003")
        final = await final_of(trunk, [])
        call = trunk.answered["att-abandoned"]
        trunk.hand_off(call_id="att-abandoned", contact_id=None)
        result = await far.done()
        await endpoint.stop()
        return final, result, far.saw("BYE"), call.end_reason

    final, (code, out), bye, reason = asyncio.run(main())
    assert final.result is TrunkResult.ANSWERED
    assert bye and code == 0, out
    assert reason == "abandoned"


def test_ring_timeout_cancels_the_invite(sipp: None, tmp_path: Path) -> None:
    async def main() -> tuple[CallProgress, tuple[int, str], bool]:
        endpoint = await start_endpoint(tmp_path)
        far = FarEnd(tmp_path, far_end(tmp_path, "ring_forever", RING_UNTIL_CANCEL))
        await far.listening()
        trunk = make_trunk(endpoint, far, ring_timeout=1.5)
        trunk.dial(call_id="att-timeout", number="+8613800000004")
        final = await final_of(trunk, [])
        result = await far.done()
        await endpoint.stop()
        return final, result, far.saw("CANCEL")

    final, (code, out), cancelled = asyncio.run(main())
    assert final.result is TrunkResult.NO_ANSWER
    assert final.after_seconds >= 1.5
    assert cancelled, "sipp never received the CANCEL"
    assert code == 0, out  # CANCEL answered, 487 sent and ACKed


def test_settings_choose_the_dialer(tmp_path: Path) -> None:
    base = {"data_dir": tmp_path, "secret_key": TEST_SECRET, "environment": "test"}
    assert Settings(**base).outbound_dialer == "simulated"
    with pytest.raises(ValueError, match="FINCALL_OUTBOUND_TRUNK_URI"):
        Settings(**base, outbound_dialer="sip")
    with pytest.raises(ValueError, match="FINCALL_SIP_ENABLED"):
        Settings(
            **base,
            outbound_dialer="sip",
            outbound_trunk_uri="sip:127.0.0.1:5090",
            sip_enabled=False,
        )
    sip = Settings(
        **base,
        outbound_dialer="sip",
        outbound_trunk_uri="sip:127.0.0.1:5090",
        outbound_ring_timeout=12,
    )

    class Runtime:
        settings = sip

    class App:
        class state:  # noqa: N801 - stands in for FastAPI's app.state
            voice = None

    async def build() -> Any:
        return runner.make_trunk(Runtime, App)

    trunk = asyncio.run(build())
    assert isinstance(trunk, SipTrunk)
    assert not trunk.ready  # no voice channel: the runner leaves members alone
    assert (trunk.trunk_uri, trunk.ring_timeout, trunk.simulated) == (
        "sip:127.0.0.1:5090",
        12,
        False,
    )


def _running_campaign(rt: Any) -> tuple[str, str]:
    """A running service campaign with one Chinese customer and two free agents."""
    with rt.transaction() as s:
        customer = (
            s.execute(
                select(Customer)
                .where(Customer.region == "CN", Customer.do_not_call.is_(False))
                .order_by(Customer.id)
            )
            .scalars()
            .first()
        )
        campaign = campaigns.create(
            session=s,
            data={"name": "sip test", "purpose": "service", "queue_id": "cards"},
            actor=SYSTEM,
        )
        s.add(CampaignMember(campaign_id=campaign.id, customer_id=customer.id))
        campaigns.set_status(session=s, campaign=campaign, status="running", actor=SYSTEM)
        for agent in s.execute(select(Agent).order_by(Agent.id).limit(2)).scalars():
            agent.state = "available"  # progressive dialing needs a free agent
        return campaign.id, str(customer.phone)


@pytest.mark.parametrize(
    ("status", "reason", "outcome", "member_status"),
    [
        (486, "Busy Here", "busy", "retry"),
        (404, "Not Found", "wrong_number", "bad_number"),
        (503, "Service Unavailable", "failed", "retry"),
    ],
)
def test_runner_dials_a_member_over_the_sip_trunk(
    sipp: None,
    ob_world: Any,
    tmp_path: Path,
    status: int,
    reason: str,
    outcome: str,
    member_status: str,
) -> None:
    rt = ob_world.runtime
    campaign_id, phone = _running_campaign(rt)

    def tick(trunk: SipTrunk, now: datetime, progress: list[CallProgress]) -> dict[str, int]:
        with rt.transaction() as s:
            return runner.tick(
                session=s, now=now, dialer_for=lambda c: trunk, progress=progress, handoffs=[]
            )

    def attempt_state() -> str:
        with rt.transaction() as s:
            return s.execute(
                select(DialAttempt.state).where(DialAttempt.campaign_id == campaign_id)
            ).scalar_one()

    async def main() -> tuple[list[dict[str, int]], list[str], tuple[int, str]]:
        endpoint = await start_endpoint(tmp_path)
        far = FarEnd(tmp_path, refusing(tmp_path, status, reason))
        await far.listening()
        trunk = make_trunk(endpoint, far, ring_timeout=10)
        reports = [await asyncio.to_thread(tick, trunk, MONDAY_10_SHANGHAI, [])]
        states = [attempt_state()]
        seen: list[CallProgress] = []
        final = await final_of(trunk, seen)
        ringing = [p for p in seen if not p.final]
        soon = MONDAY_10_SHANGHAI + timedelta(seconds=2)
        reports.append(await asyncio.to_thread(tick, trunk, soon, ringing))
        states.append(attempt_state())
        later = MONDAY_10_SHANGHAI + timedelta(minutes=1)
        reports.append(await asyncio.to_thread(tick, trunk, later, [final]))
        result = await far.done()
        await endpoint.stop()
        return reports, states, result

    reports, states, (code, out) = asyncio.run(main())
    assert reports[0]["dialed"] == 1 and outcome not in reports[0]  # the tick did not wait
    assert states == ["dialing", "ringing"]  # the 180 was recorded on the attempt
    assert reports[2][outcome] == 1
    assert code == 0, out
    with rt.transaction() as s:
        attempt = s.execute(
            select(DialAttempt).where(DialAttempt.campaign_id == campaign_id)
        ).scalar_one()
        member = s.execute(
            select(CampaignMember).where(CampaignMember.campaign_id == campaign_id)
        ).scalar_one()
        assert (attempt.state, attempt.outcome) == ("completed", outcome)
        assert (attempt.trunk_result, attempt.trunk_status) == (outcome, status)
        assert attempt.simulated is False and attempt.number == phone
        assert not attempt.connected
        assert (member.status, member.last_outcome) == (member_status, outcome)


def test_runner_queues_an_answered_call_and_the_customers_hang_up_settles_it(
    sipp: None, ob_world: Any, tmp_path: Path
) -> None:
    """Answered: a contact queued to the campaign's queue, the live call held by the voice
    channel; the customer hangs up before an agent takes it, so the contact and the attempt
    end abandoned (the outbound listener settles the attempt when the contact is abandoned)."""
    from fincall.channels.voice.wiring import VoiceChannel
    from fincall.contacts.models import Contact

    rt = ob_world.runtime
    campaign_id, _ = _running_campaign(rt)

    def contact_of(attempt_id: str) -> Contact | None:
        with rt.transaction() as s:
            attempt = s.get(DialAttempt, attempt_id)
            contact = s.get(Contact, attempt.contact_id) if attempt.contact_id else None
            if contact is not None:
                s.expunge(contact)
            return contact

    async def main() -> tuple[list[dict[str, int]], tuple[int, str], str]:
        voice = VoiceChannel(rt)
        await voice.start(host="127.0.0.1", port=0)
        far = FarEnd(
            tmp_path,
            far_end(tmp_path, "customer_hangs_up", ANSWER_THEN_HANG_UP.replace("@PAUSE@", "1500")),
        )
        await far.listening()
        trunk = SipTrunk(
            endpoint=lambda: voice.endpoint,
            loop=asyncio.get_running_loop(),
            trunk_uri=f"sip:127.0.0.1:{far.port}",
            caller_id="+85230001234",
            ring_timeout=10,
            connect=voice.connect_outbound,
        )
        campaign_runner = runner.CampaignRunner(rt, trunk=trunk)
        reports = [await asyncio.to_thread(campaign_runner.run_tick, MONDAY_10_SHANGHAI)]
        assert await wait_for(lambda: bool(trunk.answered), 15), "the far end did not answer"
        later = MONDAY_10_SHANGHAI + timedelta(minutes=1)
        reports.append(await asyncio.to_thread(campaign_runner.run_tick, later))
        result = await far.done()
        with rt.transaction() as s:
            attempt_id = s.execute(
                select(DialAttempt.id).where(DialAttempt.campaign_id == campaign_id)
            ).scalar_one()

        def abandoned() -> bool:
            contact = contact_of(attempt_id)
            return contact is not None and contact.status == "abandoned"

        assert await wait_for(abandoned, 10), "the hang-up did not reach the contact"
        await voice.stop()
        return reports, result, attempt_id

    reports, (code, out), attempt_id = asyncio.run(main())
    assert reports[0]["dialed"] == 1
    assert reports[1]["connected"] == 1  # an agent was free: queued to the campaign's queue
    assert code == 0, out
    contact = contact_of(attempt_id)
    assert contact.direction == "outbound" and contact.attributes["outbound_attempt_id"]
    assert contact.queue == "cards"
    with rt.transaction() as s:
        attempt = s.get(DialAttempt, attempt_id)
        assert (attempt.trunk_result, attempt.trunk_status) == ("answered", 200)
        assert (attempt.state, attempt.outcome, attempt.abandoned) == (
            "completed",
            "answered",
            True,
        )
        call_row = s.execute(
            select(VoiceCall).where(VoiceCall.contact_id == contact.id)
        ).scalar_one()
        assert call_row.end_reason == "remote-bye"


def test_answered_campaign_call_is_bridged_to_the_agent_who_takes_it(
    sipp: None, ob_world: Any, tmp_path: Path
) -> None:
    """The whole path: runner dials, the customer answers, the contact is offered to the only
    available agent, whose registered phone rings, answers and is bridged to the customer;
    the agent hangs up and fincall ends the customer's leg."""
    from fincall.auth.models import User
    from fincall.contacts.models import Contact

    world = ob_world
    rt = world.runtime
    campaign_id, _ = _running_campaign(rt)
    with rt.transaction() as s:
        user = s.execute(select(User).where(User.role == "agent")).scalars().first()
        for a in s.execute(select(Agent)).scalars():
            a.state = "offline"
        agent = s.get(Agent, user.agent_id)
        agent.languages, agent.shifts = ["en", "zh-CN", "zh-HK"], []
        agent.skills = {**(agent.skills or {}), "cards": 1}
        agent_id, sip_user = agent.id, agent.sip_username
    agent_h = world.headers("agent")
    assert world.client.post(
        "/api/desk/state", json={"state": "available"}, headers=agent_h
    ).is_success
    r = world.client.put(
        f"/api/voice/agents/{agent_id}/sip-credentials",
        json={"password": "agent-phone-pw"},
        headers=world.headers("admin"),
    )
    assert r.status_code == 204, r.text

    def contact_row() -> Contact | None:
        with rt.transaction() as s:
            contact = s.execute(
                select(Contact).join(DialAttempt, DialAttempt.contact_id == Contact.id)
            ).scalar_one_or_none()
            if contact is not None:
                s.expunge(contact)
            return contact

    async def main() -> dict[str, Any]:
        voice = world.client.app.state.voice
        endpoint = await voice.start(host="127.0.0.1", port=0)
        agent_port = free_udp_port()
        register = VOICE_SCENARIOS / "register_auth.xml"
        text = register.read_text()
        for key, value in {
            "USER": sip_user,
            "PASSWORD": "agent-phone-pw",
            "EXPECT": "200",
            "CONTACT_PORT": str(agent_port),
        }.items():
            text = text.replace(f"@{key}@", value)
        (tmp_path / "register.xml").write_text(text)
        code, out = await run_sipp(
            tmp_path / "register.xml", tmp_path, remote_port=endpoint.port, timeout=15
        )
        assert code == 0, out
        phone = FarEnd(
            tmp_path,
            far_end(tmp_path, "agent_phone", ANSWER_THEN_HANG_UP.replace("@PAUSE@", "1000")),
            port=agent_port,
        )
        customer = FarEnd(tmp_path, far_end(tmp_path, "customer", ANSWER))
        await phone.listening()
        await customer.listening()
        trunk = SipTrunk(
            endpoint=lambda: voice.endpoint,
            loop=asyncio.get_running_loop(),
            trunk_uri=f"sip:127.0.0.1:{customer.port}",
            ring_timeout=10,
            connect=voice.connect_outbound,
        )
        campaign_runner = runner.CampaignRunner(rt, trunk=trunk)
        await asyncio.to_thread(campaign_runner.run_tick, MONDAY_10_SHANGHAI)
        assert await wait_for(lambda: bool(trunk.answered), 15), "the customer did not answer"
        later = MONDAY_10_SHANGHAI + timedelta(minutes=1)
        settled = await asyncio.to_thread(campaign_runner.run_tick, later)
        contact = contact_row()
        assert contact is not None and contact.status == "queued", settled
        # the held call is known to the broker before routing offers the contact
        assert await wait_for(lambda: voice.broker.live(contact.id) is not None, 10)
        rounds = await asyncio.to_thread(world.client.app.state.dispatcher.run_round)
        phone_result = await phone.done()
        customer_result = await customer.done()
        await wait_for(lambda: not trunk.busy, 10)
        await voice.stop()
        return {
            "rounds": rounds,
            "phone": phone_result,
            "customer": customer_result,
            "customer_bye": customer.saw("BYE"),
        }

    out = asyncio.run(main())
    assert out["phone"][0] == 0, out["phone"][1]  # rung, answered, bridged, hung up
    assert out["customer"][0] == 0, out["customer"][1]
    assert out["customer_bye"]  # the agent's hang-up ended the customer's leg
    contact = contact_row()
    assert contact.agent_id == agent_id
    assert contact.status in ("active", "wrap_up", "ended")
    with rt.transaction() as s:
        attempt = s.execute(
            select(DialAttempt).where(DialAttempt.campaign_id == campaign_id)
        ).scalar_one()
        assert attempt.connected and not attempt.abandoned


def test_runner_leaves_members_alone_while_the_sip_endpoint_is_down(ob_world: Any) -> None:
    rt = ob_world.runtime
    campaign_id, _ = _running_campaign(rt)
    loop = asyncio.new_event_loop()
    try:
        trunk = SipTrunk(endpoint=lambda: None, loop=loop, trunk_uri="sip:127.0.0.1:5090")
        with rt.transaction() as s:
            report = runner.tick(session=s, now=MONDAY_10_SHANGHAI, dialer_for=lambda c: trunk)
    finally:
        loop.close()
    assert report == {"trunk_unavailable": 1}
    with rt.transaction() as s:
        member = s.execute(
            select(CampaignMember).where(CampaignMember.campaign_id == campaign_id)
        ).scalar_one()
        assert (member.status, member.attempts) == ("pending", 0)
        assert s.execute(select(DialAttempt)).first() is None


def test_an_answer_nobody_waits_for_any_more_is_hung_up(ob_world: Any) -> None:
    rt = ob_world.runtime
    late = CallProgress("att-settled-long-ago", "+8613800000009", TrunkResult.ANSWERED, 400, 200)
    busy = CallProgress("att-unknown", "+8613800000009", TrunkResult.BUSY, 3, 486)
    handoffs: list[runner.Handoff] = []
    with rt.transaction() as s:
        runner.tick(session=s, now=MONDAY_10_SHANGHAI, progress=[late, busy], handoffs=handoffs)
    assert handoffs == [("att-settled-long-ago", None)]
