"""Highlight segments: they always rebuild the text and mark exactly the evidence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fincall.qa.highlight import Span, locate, segments


def test_marks_the_span_and_keeps_the_rest():
    segs = segments("It has guaranteed returns now", [Span(7, 7, 25, "guaranteed returns")])
    assert [(s.text, s.finding_ids) for s in segs] == [
        ("It has ", ()),
        ("guaranteed returns", (7,)),
        (" now", ()),
    ]


def test_falls_back_to_finding_the_evidence_when_offsets_moved():
    assert locate("Oh, GUARANTEED returns!", Span(1, 0, 3, "guaranteed returns")) == (4, 22)
    assert locate("nothing here", Span(1, None, None, "guaranteed")) is None


def test_overlapping_spans_share_a_segment():
    segs = segments("abcdef", [Span(1, 1, 4, ""), Span(2, 3, 5, "")])
    assert [(s.text, s.finding_ids) for s in segs] == [
        ("a", ()),
        ("bc", (1,)),
        ("d", (1, 2)),
        ("e", (2,)),
        ("f", ()),
    ]


@given(
    st.text(max_size=40),
    st.lists(st.tuples(st.integers(-3, 45), st.integers(-3, 45)), max_size=4),
)
def test_segments_always_rebuild_the_text(text, raw):
    spans = [Span(i, s, e, "") for i, (s, e) in enumerate(raw)]
    segs = segments(text, spans)
    assert "".join(s.text for s in segs) == text
    for s in segs:
        for fid in s.finding_ids:
            a, b = raw[fid]
            assert 0 <= a < b <= len(text)
