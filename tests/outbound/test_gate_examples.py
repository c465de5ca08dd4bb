"""Example tests of the gate against the shipped jurisdiction rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fincall.outbound.gate import AttemptRecord, DncEntry, DncState, GateCustomer, evaluate
from fincall.outbound.outcomes import Outcome, next_step
from fincall.outbound.rules import Purpose, load_rulebook

BOOK = load_rulebook()
US = BOOK.get("us")
NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


CUSTOMER = GateCustomer(
    id="cus_1", phone="+12125550100", region="US", timezone="America/New_York",
    consent_marketing=True,
)  # fmt: skip


def check(at, purpose=Purpose.COLLECTION, history=(), customer=CUSTOMER, dnc=None, rules=US):
    return evaluate(
        customer=customer,
        purpose=purpose,
        at=at,
        history=list(history),
        rules=rules,
        dnc=dnc or DncState(),
    )


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(7, 59, False), (8, 0, True), (19, 59, True), (20, 0, False)],
)
def test_window_edges_in_local_time(hour: int, minute: int, allowed: bool) -> None:
    decision = check(ny(2026, 11, 23, hour, minute))  # a Monday
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rules == ("calling_window",)
        assert "08:00–20:00" in decision.blocks[0].reason


def test_before_window_next_allowed_is_same_day_start() -> None:
    decision = check(ny(2026, 11, 23, 7, 59))
    assert decision.next_allowed_at == ny(2026, 11, 23, 8, 0).astimezone(UTC)
    late = check(ny(2026, 11, 23, 20, 0))
    assert late.next_allowed_at == ny(2026, 11, 24, 8, 0).astimezone(UTC)


def test_us_holiday_blocks_until_next_working_day() -> None:
    decision = check(ny(2026, 11, 26, 10, 0))  # Thanksgiving
    assert decision.rules == ("holiday",)
    assert "Thanksgiving" in decision.blocks[0].reason
    assert decision.blocks[0].until == ny(2026, 11, 27, 0, 0).astimezone(UTC)
    assert decision.next_allowed_at == ny(2026, 11, 27, 8, 0).astimezone(UTC)


@pytest.mark.parametrize(
    ("jurisdiction", "tz", "day"),
    [
        ("cn-mainland", "Asia/Shanghai", (2026, 10, 1)),
        ("hk", "Asia/Hong_Kong", (2026, 7, 1)),
        ("sg", "Asia/Singapore", (2026, 8, 10)),
        ("uk", "Europe/London", (2026, 12, 25)),
    ],
)
def test_holidays_per_region(jurisdiction: str, tz: str, day: tuple[int, int, int]) -> None:
    customer = GateCustomer(id="c", timezone=tz, consent_marketing=True)
    at = datetime(*day, 11, 0, tzinfo=ZoneInfo(tz))
    decision = check(at, customer=customer, rules=BOOK.get(jurisdiction))
    assert "holiday" in decision.rules
    assert not decision.allowed


def test_weekend_policies() -> None:
    saturday_early = ny(2026, 11, 21, 8, 30)
    collection = check(saturday_early)  # US collection: weekend 09:00-17:00
    assert collection.rules == ("weekend",)
    assert collection.next_allowed_at == ny(2026, 11, 21, 9, 0).astimezone(UTC)
    assert check(saturday_early, purpose=Purpose.SERVICE).allowed  # service: weekend allowed
    uk_customer = GateCustomer(id="c", timezone="Europe/London", consent_marketing=True)
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    uk_marketing = check(
        sunday, purpose=Purpose.MARKETING, customer=uk_customer, rules=BOOK.get("uk")
    )
    assert uk_marketing.rules == ("weekend",)
    assert uk_marketing.next_allowed_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_daily_cap_counts_attempts_across_campaigns() -> None:
    at = ny(2026, 11, 23, 15, 0)
    history = [
        AttemptRecord(at=ny(2026, 11, 23, 9, 0), campaign_id="cmp_a"),
        AttemptRecord(at=ny(2026, 11, 23, 10, 0), campaign_id="cmp_b"),
        AttemptRecord(at=ny(2026, 11, 23, 11, 0), campaign_id=None),  # a manual dial
    ]
    assert check(at, history=history[:2]).allowed
    decision = check(at, history=history)
    assert decision.rules == ("daily_attempt_cap",)
    assert decision.next_allowed_at == ny(2026, 11, 24, 8, 0).astimezone(UTC)


def test_daily_cap_uses_the_customers_local_day() -> None:
    # 23:30 New York on the 22nd is already the 23rd in UTC; it belongs to the 22nd locally.
    history = [AttemptRecord(at=ny(2026, 11, 22, 23, 30)) for _ in range(3)]
    assert check(ny(2026, 11, 23, 9, 0), history=history).allowed


def test_weekly_cap_reopens_when_the_oldest_attempt_ages_out() -> None:
    start = ny(2026, 11, 16, 9, 0)
    history = [AttemptRecord(at=start + timedelta(days=i)) for i in range(7)]
    at = ny(2026, 11, 23, 8, 30)  # Monday; 7 attempts within the last 7 days
    decision = check(at, history=history)
    assert decision.rules == ("weekly_attempt_cap",)
    assert decision.blocks[0].until == (start + timedelta(days=7)).astimezone(UTC)
    assert decision.next_allowed_at == ny(2026, 11, 23, 9, 0).astimezone(UTC)


def test_connected_cap_after_a_conversation() -> None:
    talked = AttemptRecord(at=ny(2026, 11, 18, 10, 0), connected=True)
    decision = check(ny(2026, 11, 23, 10, 0), history=[talked])  # Regulation F: 7 days
    assert decision.rules == ("connected_cap",)
    assert decision.next_allowed_at == ny(2026, 11, 25, 10, 0).astimezone(UTC)


def test_refusal_puts_customer_on_dnc_and_blocks_with_reason() -> None:
    at = ny(2026, 11, 23, 10, 0)
    step = next_step(outcome=Outcome.REFUSED, at=at, purpose=Purpose.MARKETING)
    assert step.dnc is not None and step.dnc.purpose is Purpose.MARKETING
    dnc = DncState(internal=(step.dnc,))
    later = at + timedelta(days=30)
    decision = check(later, purpose=Purpose.MARKETING, dnc=dnc)
    assert decision.rules == ("internal_dnc",)
    assert "marketing" in decision.blocks[0].reason
    assert decision.next_allowed_at is None and decision.blocks[0].until is None
    # A legally required service or collection call is not blocked by a marketing refusal.
    assert check(later, purpose=Purpose.SERVICE, dnc=dnc).allowed
    assert check(later, purpose=Purpose.COLLECTION, dnc=dnc).allowed


def test_marketing_dnc_blocks_service_when_configured() -> None:
    from fincall.outbound.rules import rules_from_mapping

    strict = rules_from_mapping(
        {
            "jurisdiction": "strict",
            "default_timezone": "America/New_York",
            "holiday_country": None,
            "purposes": {"service": {"internal_dnc_from": ["self", "marketing"]}},
        }
    )
    dnc = DncState(internal=(DncEntry(purpose=Purpose.MARKETING),))
    decision = check(ny(2026, 11, 23, 10, 0), purpose=Purpose.SERVICE, dnc=dnc, rules=strict)
    assert decision.rules == ("internal_dnc",)


def test_temporary_dnc_entry_reports_its_end() -> None:
    until = ny(2026, 11, 25, 12, 0).astimezone(UTC)
    dnc = DncState(internal=(DncEntry(purpose=Purpose.COLLECTION, until=until, source="dispute"),))
    decision = check(ny(2026, 11, 23, 10, 0), dnc=dnc)
    assert decision.blocks[0].until == until
    assert decision.next_allowed_at == until


def test_marketing_requires_consent_and_national_dnc() -> None:
    no_consent = GateCustomer(id="c", phone="+12125550100", timezone="America/New_York")
    at = ny(2026, 11, 23, 10, 0)
    decision = check(at, purpose=Purpose.MARKETING, customer=no_consent)
    assert decision.rules == ("no_marketing_consent",)
    assert check(at, purpose=Purpose.SERVICE, customer=no_consent).allowed
    registry = DncState(national=frozenset({"+12125550100"}))
    listed = check(at, purpose=Purpose.MARKETING, dnc=registry)
    assert listed.rules == ("national_dnc",)
    assert check(at, purpose=Purpose.COLLECTION, dnc=registry).allowed


def test_every_blocking_rule_is_listed() -> None:
    flagged = GateCustomer(id="c", phone="+12125550100", timezone="America/New_York",
                           do_not_call=True)  # fmt: skip
    history = [AttemptRecord(at=ny(2026, 11, 26, h, 0)) for h in (0, 1, 2)]
    dnc = DncState(internal=(DncEntry(purpose=Purpose.MARKETING),), national={"+12125550100"})
    decision = check(
        ny(2026, 11, 26, 21, 0), purpose=Purpose.MARKETING, customer=flagged, history=history,
        dnc=dnc,
    )  # fmt: skip
    assert set(decision.rules) == {
        "calling_window",
        "holiday",
        "daily_attempt_cap",
        "internal_dnc",
        "national_dnc",
        "no_marketing_consent",
        "customer_do_not_call",
    }
    assert decision.next_allowed_at is None


def test_timezone_from_phone_then_jurisdiction_default() -> None:
    la_phone = GateCustomer(id="c", phone="+13105550100")  # Los Angeles area code
    at = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 10:30 New York, 07:30 Los Angeles
    decision = check(at, customer=la_phone)
    assert decision.timezones == ("America/Los_Angeles",)
    assert decision.timezone_source == "phone"
    assert decision.rules == ("calling_window",)
    unknown = GateCustomer(id="c")
    fallback = check(at, customer=unknown)
    assert fallback.timezone_source == "jurisdiction_default"
    assert fallback.allowed


def test_phone_with_several_zones_must_fit_all() -> None:
    au_mobile = GateCustomer(id="c", phone="+61412345678")
    rules = BOOK.get("sg")  # any rules; the zones come from the number
    # 22:30 UTC = 08:30 Sydney (+10/+11 DST) but 06:30 Perth (+8): not yet callable everywhere.
    decision = evaluate(customer=au_mobile, purpose=Purpose.SERVICE,
                        at=datetime(2026, 11, 23, 22, 30, tzinfo=UTC), history=[], rules=rules,
                        dnc=DncState())  # fmt: skip
    assert len(decision.timezones) > 1
    assert not decision.allowed
    assert decision.next_allowed_at is not None
    nxt = decision.next_allowed_at
    for key in decision.timezones:
        local = nxt.astimezone(ZoneInfo(key))
        assert 8 <= local.hour < 20


def test_naive_time_is_rejected() -> None:
    from fincall.core.errors import Invalid

    with pytest.raises(Invalid):
        check(datetime(2026, 11, 23, 10, 0))  # noqa: DTZ001


def _window_rules(start: str, end: str, tz: str):
    from fincall.outbound.rules import rules_from_mapping

    return rules_from_mapping(
        {
            "jurisdiction": "edge",
            "default_timezone": tz,
            "holiday_country": None,
            "defaults": {"window": {"start": start, "end": end}, "caps": {}},
        }
    )


def test_repeated_hour_reopens_the_window_the_same_night() -> None:
    # 1 Nov 2026, New York: 01:00-01:59 happens twice (EDT, then EST).
    rules = _window_rules("01:01", "01:45", "America/New_York")
    customer = GateCustomer(id="c", timezone="America/New_York")
    at = datetime(2026, 11, 1, 5, 50, tzinfo=UTC)  # 01:50 EDT, after the first window
    decision = check(at, purpose=Purpose.SERVICE, customer=customer, rules=rules)
    assert decision.rules == ("calling_window",)
    assert decision.next_allowed_at == datetime(2026, 11, 1, 6, 1, tzinfo=UTC)  # 01:01 EST


def test_window_start_inside_a_dst_gap_opens_at_the_jump() -> None:
    rules = _window_rules("02:30", "05:00", "America/New_York")
    customer = GateCustomer(id="c", timezone="America/New_York")
    at = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST; 02:00-03:00 does not exist
    decision = check(at, purpose=Purpose.SERVICE, customer=customer, rules=rules)
    assert decision.next_allowed_at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    assert check(decision.next_allowed_at, purpose=Purpose.SERVICE, customer=customer,
                 rules=rules).allowed  # fmt: skip


@pytest.mark.parametrize(
    ("tz", "opens_utc"),
    [
        ("Asia/Kolkata", datetime(2026, 11, 23, 2, 30, tzinfo=UTC)),  # +05:30
        ("Australia/Adelaide", datetime(2026, 11, 22, 21, 30, tzinfo=UTC)),  # +10:30 (DST)
        ("Asia/Kathmandu", datetime(2026, 11, 23, 2, 15, tzinfo=UTC)),  # +05:45
    ],
)
def test_half_hour_offsets(tz: str, opens_utc: datetime) -> None:
    rules = _window_rules("08:00", "20:00", tz)
    customer = GateCustomer(id="c", timezone=tz)
    before = check(opens_utc - timedelta(minutes=1), purpose=Purpose.SERVICE, customer=customer,
                   rules=rules)  # fmt: skip
    assert before.rules == ("calling_window",)
    assert before.next_allowed_at == opens_utc
    assert check(opens_utc, purpose=Purpose.SERVICE, customer=customer, rules=rules).allowed
