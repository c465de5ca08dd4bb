"""Contact-list and national DNC registry CSV validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.outbound.errors import ContactListInvalid
from fincall.outbound.lists import parse_national_dnc, validate_contact_list
from fincall.outbound.rules import Purpose

LIST = (
    "\ufeffCustomer_ID,phone,name,timezone,purpose,segment\n"
    "cus_1,+8613812345678,Li Wei,Asia/Shanghai,marketing,mass\n"
    "cus_2,12345,Bad Phone,,,\n"
    "\n"
    'cus_3,+12125550100,"Two\nLines",Mars/Olympus,service,\n'
    "cus_1,,Duplicate id,,,\n"
    ",,,,,\n"
    "cus_5,13812345679,Wang,,collectionx,\n"
    "cus_6,2125550101,Extra,,,,surplus\n"
    "cus_7,+86 138 1234 5678,Same phone,,,\n"
    ",,No id,,,\n"
    "cus_8,021 5555 0101,Shanghai landline,Asia/Shanghai,collection,affluent\n"
)


def test_bad_rows_are_reported_by_line_and_valid_rows_kept() -> None:
    report = validate_contact_list(text=LIST, default_region="CN")
    found = {(e.line, e.field, e.code) for e in report.errors}
    assert found == {
        (3, "phone", "bad_phone"),
        (5, "timezone", "unknown_timezone"),
        (7, "customer_id", "duplicate"),
        (9, "purpose", "unknown_purpose"),
        (10, "row", "extra_fields"),
        (11, "phone", "duplicate"),
        (12, "customer_id", "missing_id"),
    }
    assert not report.ok
    assert [r.line for r in report.rows] == [2, 13]
    first, last = report.rows
    assert first.phone == "+8613812345678" and first.purpose is Purpose.MARKETING
    assert first.extra == {"segment": "mass"}
    assert last.phone == "+862155550101"
    assert report.total_rows == 9  # blank and all-empty lines are not rows
    assert "line 11" in str(next(e for e in report.errors if e.line == 11))
    assert report.to_dict()["rejected_rows"] == 7


def test_a_clean_list_is_ok() -> None:
    report = validate_contact_list(text="phone\n+447911123456\n+12125550100\n")
    assert report.ok and len(report.rows) == 2
    assert report.rows[0].customer_id is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header"),
        ("name,timezone\nLi,Asia/Shanghai\n", "customer_id or phone column"),
        ("phone,phone\n1,2\n", "duplicate columns"),
    ],
)
def test_unusable_files_are_rejected_whole(text: str, message: str) -> None:
    with pytest.raises(ContactListInvalid) as info:
        validate_contact_list(text=text, source="upload.csv")
    assert message in info.value.message
    assert "upload.csv" in info.value.message


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["good", "bad", "blank", "dup"]), max_size=30))
def test_line_numbers_follow_the_file(kinds: list[str]) -> None:
    lines = ["customer_id,phone"]
    expected_bad: set[int] = set()
    for i, kind in enumerate(kinds):
        line_no = len(lines) + 1
        if kind == "good":
            lines.append(f"cus_{i},+1212555{i:04d}")
        elif kind == "bad":
            lines.append(f"cus_{i},not-a-number")
            expected_bad.add(line_no)
        elif kind == "blank":
            lines.append("")
        else:
            lines.append("cus_dup,")
            if "cus_dup" in "\n".join(lines[:-1]):
                expected_bad.add(line_no)
    report = validate_contact_list(text="\n".join(lines) + "\n", default_region="US")
    assert {e.line for e in report.errors} == expected_bad
    assert len(report.rows) + len(expected_bad) == sum(1 for k in kinds if k != "blank")


def test_national_registry_parsing() -> None:
    text = "Number\n+12125550100\n(212) 555-0101\n# comment\n\nnot a number\n+1 212 555 0100\n"
    report = parse_national_dnc(text=text, default_region="US", source="dnc.csv")
    assert report.numbers == frozenset({"+12125550100", "+12125550101"})
    assert [(e.line, e.code) for e in report.errors] == [(6, "bad_phone")]
    assert report.duplicates == 1
    assert report.total_lines == 4
    uk = parse_national_dnc(text="07911 123456\n", default_region="UK")
    assert uk.numbers == frozenset({"+447911123456"})
