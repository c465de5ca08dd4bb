"""Flow files: the library loads clean; bad files are rejected naming file, line and problem."""

from __future__ import annotations

import textwrap

import pytest

from fincall.flows.errors import FlowDefinitionError
from fincall.flows.loader import load_flow, load_library

GOOD = """\
id: tiny
languages: [en, zh]
start: hello
fallback_reply: {en: "Sorry.", zh: "抱歉。"}
steps:
  hello:
    type: say
    text: {en: "Hi", zh: "你好"}
    next: bye
  bye:
    type: end
"""


def _write(tmp_path, text: str):
    path = tmp_path / "flow.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_library_loads_without_warnings():
    flows = load_library()
    assert "main_banking" in flows
    assert flows["main_banking"].warnings == ()


def test_good_minimal_flow(tmp_path):
    flow = load_flow(_write(tmp_path, GOOD))
    assert flow.start == "hello" and set(flow.steps) == {"hello", "bye"}


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        ("type: say", "type: shout", 7, "unknown step type 'shout'"),
        ("next: bye", "next: nowhere", 9, "jumps to missing step 'nowhere'"),
        ('    text: {en: "Hi", zh: "你好"}\n', "", 6, "missing required field 'text'"),
        ('text: {en: "Hi", zh: "你好"}', 'text: {en: "Hi"}', 8, "no text for language(s) zh"),
        ("start: hello", "start: hallo", 3, "start step 'hallo' does not exist"),
        ("  bye:\n    type: end\n", "  hello:\n    type: end\n", 10, "duplicate key 'hello'"),
        ("next: bye", "next: [bye", 10, "YAML syntax"),
    ],
)
def test_bad_flow_rejected_with_file_and_line(tmp_path, old, new, line, problem):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(FlowDefinitionError) as info:
        load_flow(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == line, str(err)
    assert problem in err.problem
    assert str(err).startswith(f"{path}:{line}: ")


def test_flow_may_never_collect_a_pin(tmp_path):
    text = GOOD.replace(
        "  bye:\n",
        "  ask_pin:\n    type: collect\n    entity: pin\n    prompt: 'PIN?'\n"
        "    store: pin\n    next: bye\n  bye:\n",
    )
    with pytest.raises(FlowDefinitionError) as info:
        load_flow(_write(tmp_path, text))
    assert info.value.line == 12 and "never collect 'pin'" in info.value.problem


def test_unknown_action_rejected(tmp_path):
    text = GOOD.replace(
        "  bye:\n",
        "  act:\n    type: action\n    name: transfer_all_money\n    next: bye\n"
        "    on_error: bye\n  bye:\n",
    )
    with pytest.raises(FlowDefinitionError) as info:
        load_flow(_write(tmp_path, text))
    assert info.value.line == 12 and "unknown action 'transfer_all_money'" in info.value.problem


def test_bad_branch_condition_rejected(tmp_path):
    text = GOOD.replace(
        "  bye:\n",
        "  check:\n    type: branch\n    cases:\n      - when: {var: x, like: y}\n"
        "        next: bye\n    default: bye\n  bye:\n",
    )
    with pytest.raises(FlowDefinitionError) as info:
        load_flow(_write(tmp_path, text))
    assert info.value.line == 13 and "condition" in info.value.problem


def test_unreachable_step_is_a_warning(tmp_path):
    text = GOOD + "  orphan:\n    type: end\n"
    flow = load_flow(_write(tmp_path, text))
    assert [(w.line, w.message) for w in flow.warnings] == [(12, "step 'orphan' is unreachable")]


def test_not_a_mapping(tmp_path):
    with pytest.raises(FlowDefinitionError) as info:
        load_flow(_write(tmp_path, "- just\n- a list\n"))
    assert info.value.line == 1
