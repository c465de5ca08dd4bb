"""Contact parsing from the JSON Lines format: precise reasons, never an unexpected crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.compliance.errors import ContactInputError
from fincall.compliance.parsing import contact_from_dict

VALID = {
    "id": "c-1",
    "language": "zh-HK",
    "started_at": "2026-03-01T21:15:00+08:00",
    "customer": {"id": "x", "risk_rating": 2, "timezone": "Asia/Hong_Kong"},
    "products": [{"code": "F1", "type": "fund"}],
    "utterances": [{"speaker": "agent", "start": 0, "end": 1.5, "text": "你好"}],
}


def test_valid_contact_parses():
    c = contact_from_dict(VALID)
    assert c.started_at.utcoffset().total_seconds() == 8 * 3600
    assert c.products[0].risk_level is None  # pack default applies later
    assert c.utterances[0].end == 1.5


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"id": ""}, "id"),
        ({"language": "de"}, "language"),
        ({"utterances": "x"}, "utterances"),
        ({"utterances": [{"speaker": "robot", "text": "x"}]}, "speaker"),
        ({"utterances": [{"speaker": "agent", "text": 5}]}, "text"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-03-01T21:15:00"}, "UTC offset"),
        ({"customer": {"risk_rating": 0}}, "risk_rating"),
        ({"products": [{"code": "P", "type": "crypto"}]}, "type"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_invalid_fields_name_the_reason(patch, reason):
    with pytest.raises(ContactInputError) as exc:
        contact_from_dict({**VALID, **patch})
    assert reason in exc.value.message


KEYS = ("id", "language", "utterances", "customer", "products", "started_at", "direction")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(KEYS, json_values),
    )
)
def test_parser_only_raises_contact_input_error(data):
    try:
        contact_from_dict(data)
    except ContactInputError:
        pass
