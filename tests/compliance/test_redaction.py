"""Masking of card numbers, spoken secrets and ID numbers."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.compliance.detectors import luhn_ok
from fincall.compliance.redaction import mask_sensitive


def test_card_numbers_keep_last_four():
    assert mask_sensitive("card 4111 1111 1111 1111 ok") == "card **** **** **** 1111 ok"
    assert mask_sensitive("卡号6222021234567890128") == "卡号***************0128"
    # not Luhn-valid: an order number stays readable
    assert mask_sensitive("order 4111111111111112") == "order 4111111111111112"


def test_secrets_after_keywords_both_languages():
    assert mask_sensitive("my PIN is 1234") == "my PIN is ****"
    assert mask_sensitive("CVV: 737, OTP 482913") == "CVV: ***, OTP ******"
    assert mask_sensitive("验证码是 482913，密码：654321") == "验证码是 ******，密码：******"
    assert mask_sensitive("驗證碼係123456") == "驗證碼係******"
    assert mask_sensitive("I'll call you at 3 pm") == "I'll call you at 3 pm"


def test_id_numbers():
    assert mask_sensitive("身份证110101199003078515") == "身份证**************8515"
    assert mask_sensitive("SSN 123-45-6789") == "SSN ***-**-****"
    assert "A123456" not in mask_sensitive("HKID A123456(7)")
    assert "S1234567D" not in mask_sensitive("NRIC S1234567D")


def _luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=30),
    after=st.text(max_size=30),
    body=st.text(alphabet="0123456789", min_size=15, max_size=15),
    sep=st.sampled_from(["", " ", "-"]),
)
def test_masking_never_leaves_a_luhn_valid_16_digit_run(before, after, body, sep):
    card = _luhn_complete(body)
    spoken = sep.join(card[i : i + 4] for i in range(0, 16, 4))
    out = mask_sensitive(before + spoken + after)
    for m in re.finditer(r"(?=(\d{16}))", out):
        assert not luhn_ok(m.group(1))
    joined = re.sub(r"(?<=\d)[ -](?=\d)", "", out)
    assert card not in joined


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_masking_never_raises_and_never_grows(text):
    out = mask_sensitive(text)
    assert len(out) == len(text)
