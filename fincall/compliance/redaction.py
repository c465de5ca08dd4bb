"""Mask card numbers, spoken secrets (CVV, PIN, OTP, passwords) and ID numbers in text."""

from __future__ import annotations

import re

from fincall.compliance.detectors import luhn_ok

MASK = "*"
# Runs of digits joined by single spaces or dashes (card numbers are read out in groups).
_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)+")
_SECRET_EN = re.compile(
    r"(?i)\b(cvv2?|cvc|security code|pin(?: number)?|passcode|password|otp|"
    r"one[- ]time (?:pass)?code|"
    r"one[- ]time password|verification code|auth(?:entication)? code|code)"
    r"(\s*(?:is|was|:|=|of)?\s*)(\d(?:[ \-]?\d){2,9})"
)
_SECRET_ZH = re.compile(
    r"(密[码碼]|[验驗][证證][码碼]|[动動][态態][码碼]|安全[码碼]|校[验驗][码碼]|口令|cvv|CVV)"
    r"(\s*(?:是|為|为|係|:|：)?\s*)(\d(?:[ \-]?\d){2,9})"
)
_CN_ID = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[0-9Xx](?![0-9])"
)
_HK_ID = re.compile(r"\b[A-Z]{1,2}\d{6}\s?\(?[0-9A]\)?")
_SG_NRIC = re.compile(r"\b[STFGM]\d{7}[A-Z]\b")
_US_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_UK_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")


def _mask_keep_last(s: str, keep: int) -> str:
    total = sum(ch.isalnum() for ch in s)
    out = []
    seen = 0
    for ch in s:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > total - keep else MASK)
        else:
            out.append(ch)
    return "".join(out)


def _has_card(digits: str) -> bool:
    """The run is a card number, or (when longer) contains a card-length Luhn-valid window."""
    n = len(digits)
    if 13 <= n <= 19 and luhn_ok(digits):
        return True
    sizes = (16,) if n <= 19 else range(13, 20)
    for size in sizes:
        for i in range(n - size + 1):
            if (size != n) and luhn_ok(digits[i : i + size]):
                return True
    return False


def _cards(m: re.Match[str]) -> str:
    run = m.group()
    digits = "".join(ch for ch in run if ch.isdigit())
    if len(digits) >= 13 and _has_card(digits):
        return _mask_keep_last(run, 4)
    return run


def _secret(m: re.Match[str]) -> str:
    return m.group(1) + m.group(2) + re.sub(r"\d", MASK, m.group(3))


def mask_sensitive(text: str) -> str:
    """Mask sensitive values for transcripts and logs (English and Chinese).

    Luhn-valid 13–19 digit card numbers keep their last 4 digits; CVV/PIN/OTP/password
    values spoken after their keyword are fully masked; Chinese resident ID numbers keep the
    last 4 characters; HK ID, Singapore NRIC, US SSN and UK NI numbers are fully masked.
    """
    if not text:
        return text
    text = _CN_ID.sub(lambda m: _mask_keep_last(m.group(), 4), text)
    text = _DIGIT_RUN.sub(_cards, text)
    text = _SECRET_EN.sub(_secret, text)
    text = _SECRET_ZH.sub(_secret, text)
    text = _SG_NRIC.sub(lambda m: _mask_keep_last(m.group(), 0), text)
    text = _HK_ID.sub(lambda m: _mask_keep_last(m.group(), 0), text)
    text = _US_SSN.sub(lambda m: _mask_keep_last(m.group(), 0), text)
    text = _UK_NINO.sub(lambda m: _mask_keep_last(m.group(), 0), text)
    return text
