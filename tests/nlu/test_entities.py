from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.nlu.entities import CatalogueProduct, extract_entities
from fincall.nlu.numbers import parse_number

TODAY = date(2026, 11, 18)  # a Wednesday
CATALOGUE = [
    CatalogueProduct("FND-GB01", "Global Bond Fund", ("环球债券基金", "環球債券基金")),
    CatalogueProduct("CC-PLAT", "Platinum Card", ("白金卡",)),
]


def _pairs(text: str, kind: str) -> list[tuple[str, str]]:
    found = extract_entities(text, today=TODAY, catalogue=CATALOGUE)
    return [(e.text, e.value) for e in found if e.kind == kind]


@pytest.mark.parametrize(
    ("text", "span", "amount", "currency"),
    [
        ("Please send HK$5,000 to my sister", "HK$5,000", "5000", "HKD"),
        ("转5万元给我妈", "5万元", "50000", "CNY"),
        ("我要取三千块", "三千块", "3000", "CNY"),
        ("convert USD 1.2k to HKD", "USD 1.2k", "1200", "USD"),
        ("I paid 200 dollars", "200 dollars", "200", "USD"),
        ("我想换一万美元", "一万美元", "10000", "USD"),
        ("存一万五港币", "一万五港币", "15000", "HKD"),
        ("transfer €250.50 now", "€250.50", "250.5", "EUR"),
        ("100 GBP please", "100 GBP", "100", "GBP"),
        ("匯款兩千港幣", "兩千港幣", "2000", "HKD"),
        ("RMB 3 million loan", "RMB 3 million", "3000000", "CNY"),
        ("贷款3万5千元", "3万5千元", "35000", "CNY"),
    ],
)
def test_amounts(text: str, span: str, amount: str, currency: str) -> None:
    found = [e for e in extract_entities(text, today=TODAY) if e.kind == "amount"]
    assert len(found) == 1
    entity = found[0]
    assert entity.text == span
    assert text[entity.start : entity.end] == span
    assert entity.amount == Decimal(amount)
    assert entity.currency == currency


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("can you do it tomorrow", "2026-11-19"),
        ("I paid yesterday", "2026-11-17"),
        ("the day after tomorrow", "2026-11-20"),
        ("next Monday please", "2026-11-23"),
        ("this Friday", "2026-11-20"),
        ("on Friday", "2026-11-20"),
        ("in 3 days", "2026-11-21"),
        ("2 weeks ago", "2026-11-04"),
        ("due 5 March", "2026-03-05"),
        ("due March 5th, 2027", "2027-03-05"),
        ("2026-12-01", "2026-12-01"),
        ("05/03/2026", "2026-03-05"),
        ("明天可以吗", "2026-11-19"),
        ("后天还款", "2026-11-20"),
        ("後天還款", "2026-11-20"),
        ("下周一还款", "2026-11-23"),
        ("下週一還款", "2026-11-23"),
        ("这周五", "2026-11-20"),
        ("3月5日到期", "2026-03-05"),
        ("三月五号到期", "2026-03-05"),
        ("2027年1月15日", "2027-01-15"),
        ("3天后", "2026-11-21"),
        ("下个月5号", "2026-12-05"),
        ("星期天", "2026-11-22"),
    ],
)
def test_dates(text: str, day: str) -> None:
    dates = [e for e in extract_entities(text, today=TODAY) if e.kind == "date"]
    assert [e.value for e in dates] == [day]


def test_impossible_date_is_ignored() -> None:
    assert _pairs("2月30日", "date") == []
    assert _pairs("2026-02-30", "date") == []


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("my card ending 1234 was stolen", "1234"),
        ("the card ending in 9876", "9876"),
        ("last four digits are 4321", "4321"),
        ("我的信用卡尾号1234丢了", "1234"),
        ("尾號5678的卡", "5678"),
        ("卡号后四位是2468", "2468"),
    ],
)
def test_card_last4(text: str, digits: str) -> None:
    assert [v for _, v in _pairs(text, "card_last4")] == [digits]


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("my account number is 12345678", "12345678"),
        ("acct no. 6222-0212-3456", "622202123456"),
        ("账号 6222021234567890", "6222021234567890"),
        ("帳號：123-456-789", "123456789"),
    ],
)
def test_account_references(text: str, digits: str) -> None:
    assert [v for _, v in _pairs(text, "account")] == [digits]


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("call me on +852 9123 4567", "+85291234567"),
        ("打我电话13812345678", "+8613812345678"),
        ("my number is 138-1234-5678", "+8613812345678"),
    ],
)
def test_phones(text: str, e164: str) -> None:
    assert [v for _, v in _pairs(text, "phone")] == [e164]


def test_products_by_name_code_and_alias() -> None:
    assert _pairs("Tell me about the global bond fund", "product") == [
        ("global bond fund", "FND-GB01")
    ]
    assert _pairs("buy FND-GB01", "product") == [("FND-GB01", "FND-GB01")]
    assert _pairs("我想买環球債券基金", "product") == [("環球債券基金", "FND-GB01")]
    assert _pairs("申请白金卡", "product") == [("白金卡", "CC-PLAT")]
    assert _pairs("notaplatinum cardx", "product") == []


def test_mixed_sentence_spans_do_not_overlap() -> None:
    text = "Transfer HK$2,000 from card ending 1234 tomorrow, call +852 9123 4567"
    found = extract_entities(text, today=TODAY)
    assert [e.kind for e in found] == ["amount", "card_last4", "date", "phone"]
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一百零五", "105"),
        ("三千五", "3500"),
        ("两百", "200"),
        ("一万五", "15000"),
        ("1.5万", "15000"),
        ("十五", "15"),
    ],
)
def test_chinese_numbers(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


_ALPHABET = st.sampled_from(
    list("0123456789,.$¥€£ kKmM万千百亿元块号月日周下上天后前尾账號卡 ending card account")
    + [
        "HK$",
        "USD",
        "尾号",
        "account no",
        "下周",
        "3月",
        "+852",
        "tomorrow",
        "next",
        "一",
        "两",
        "零",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=25).map("".join))
def test_extraction_never_raises_on_entity_like_noise(text: str) -> None:
    for entity in extract_entities(text, today=TODAY, catalogue=CATALOGUE):
        assert 0 <= entity.start < entity.end <= len(text)
        assert text[entity.start : entity.end] == entity.text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_extraction_never_raises_on_any_text(text: str) -> None:
    extract_entities(text, today=TODAY, catalogue=CATALOGUE)
