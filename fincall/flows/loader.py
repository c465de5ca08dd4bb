"""Load flow YAML files into checked definitions; bad files fail with file, line and problem."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fincall.flows.errors import FlowDefinitionError

LIBRARY_DIR = Path(__file__).resolve().parent / "library"

STEP_TYPES: frozenset[str] = frozenset(
    {"say", "ask", "classify", "collect", "verify_identity", "action", "branch", "handoff", "end"}
)
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "say": ("text", "next"),
    "ask": ("prompt", "options", "store"),
    "classify": ("prompt", "routes", "on_low_confidence", "default"),
    "collect": ("prompt", "entity", "store", "next"),
    "verify_identity": ("prompt", "on_success", "on_fail"),
    "action": ("name", "next", "on_error"),
    "branch": ("cases", "default"),
    "handoff": ("queue",),
    "end": (),
}
JUMP_FIELDS: tuple[str, ...] = (
    "next",
    "on_fail",
    "on_success",
    "on_low_confidence",
    "default",
    "on_error",
)
TEXT_FIELDS: tuple[str, ...] = ("text", "prompt", "retry_prompt")
# Secrets a bot must never ask for in a conversation (a PIN reset sends a link instead).
FORBIDDEN_ENTITIES: frozenset[str] = frozenset(
    {"pin", "password", "passcode", "cvv", "cvc", "card_number", "full_card_number", "otp"}
)
CONDITION_KEYS: frozenset[str] = frozenset({"var", "intent", "entity"})
CONDITION_OPS: frozenset[str] = frozenset({"equals", "in", "exists"})


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    type: str
    fields: dict[str, Any]
    line: int

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


@dataclass(frozen=True, slots=True)
class FlowWarning:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    version: int
    start: str
    languages: tuple[str, ...]
    steps: dict[str, Step]
    settings: dict[str, Any]
    intent_labels: dict[str, dict[str, str]]
    intent_skills: dict[str, dict[str, Any]]
    fallback_reply: str | dict[str, str]
    source: str
    warnings: tuple[FlowWarning, ...] = field(default=())


def _line(node: yaml.Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


def _mapping_items(node: yaml.Node) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    assert isinstance(node, yaml.MappingNode)  # noqa: S101 - guarded by callers
    return list(node.value)


def _key_node(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _item(node: yaml.Node | None, key: str, index: int) -> yaml.Node | None:
    seq = _key_node(node, key) if node is not None else None
    if isinstance(seq, yaml.SequenceNode) and index < len(seq.value):
        return seq.value[index]
    return seq


def _check_duplicates(node: yaml.Node, file: str) -> None:
    """PyYAML keeps the last of two equal keys silently; a flow file must not rely on that."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    raise FlowDefinitionError(
                        file=file, line=_line(k), problem=f"duplicate key '{k.value}'"
                    )
                seen.add(k.value)
            _check_duplicates(v, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicates(item, file)


def parse_flow(text: str, *, source: str) -> Flow:
    """Parse and check one flow document; raise FlowDefinitionError naming source and line."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise FlowDefinitionError(
            file=source, line=line, problem=f"YAML syntax: {exc.problem}"
        ) from exc
    except yaml.YAMLError as exc:
        raise FlowDefinitionError(file=source, line=None, problem=f"YAML: {exc}") from exc
    if root is None or not isinstance(data, dict):
        raise FlowDefinitionError(file=source, line=1, problem="a flow must be a mapping")
    _check_duplicates(root, source)
    return _build(data, root, source)


def _err(source: str, node: yaml.Node | None, problem: str) -> FlowDefinitionError:
    return FlowDefinitionError(file=source, line=_line(node), problem=problem)


def _build(data: dict[str, Any], root: yaml.Node, source: str) -> Flow:
    for key in ("id", "start", "languages", "steps", "fallback_reply"):
        if key not in data:
            raise _err(source, root, f"missing required top-level field '{key}'")
    languages = data["languages"]
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise _err(source, _key_node(root, "languages"), "'languages' must be a list of codes")
    steps_node = _key_node(root, "steps")
    if not isinstance(data["steps"], dict) or not isinstance(steps_node, yaml.MappingNode):
        raise _err(source, steps_node, "'steps' must be a mapping of step id to step")
    steps: dict[str, Step] = {}
    for key_node, step_node in _mapping_items(steps_node):
        sid = str(key_node.value)
        raw = data["steps"][key_node.value]
        if not isinstance(raw, dict):
            raise _err(source, step_node, f"step '{sid}' must be a mapping")
        stype = raw.get("type")
        if stype is None:
            raise _err(source, key_node, f"step '{sid}': missing required field 'type'")
        if stype not in STEP_TYPES:
            raise _err(
                source,
                _key_node(step_node, "type"),
                f"step '{sid}': unknown step type '{stype}' "
                f"(expected one of {', '.join(sorted(STEP_TYPES))})",
            )
        for req in REQUIRED_FIELDS[stype]:
            if req not in raw:
                raise _err(
                    source, key_node, f"step '{sid}' ({stype}): missing required field '{req}'"
                )
        steps[sid] = Step(id=sid, type=stype, fields=dict(raw), line=_line(key_node) or 0)
    flow = Flow(
        id=str(data["id"]),
        version=int(data.get("version", 1)),
        start=str(data["start"]),
        languages=tuple(languages),
        steps=steps,
        settings=dict(data.get("settings") or {}),
        intent_labels=dict(data.get("intent_labels") or {}),
        intent_skills=dict(data.get("intent_skills") or {}),
        fallback_reply=data["fallback_reply"],
        source=source,
    )
    _check_semantics(flow, root, steps_node, source)
    warnings = _unreachable(flow, steps_node, source)
    return Flow(**{**_as_kwargs(flow), "warnings": tuple(warnings)})


def _as_kwargs(flow: Flow) -> dict[str, Any]:
    return {name: getattr(flow, name) for name in Flow.__slots__ if name != "warnings"}


def jumps(step: Step) -> list[tuple[str, str]]:
    """All (field, target) jumps of a step, including those nested in options/routes/cases."""
    out = [(f, str(step.fields[f])) for f in JUMP_FIELDS if f in step.fields]
    for i, opt in enumerate(step.get("options") or []):
        if isinstance(opt, dict) and "next" in opt:
            out.append((f"options[{i}].next", str(opt["next"])))
    for i, route in enumerate(step.get("routes") or []):
        if isinstance(route, dict) and "next" in route:
            out.append((f"routes[{i}].next", str(route["next"])))
    for i, case in enumerate(step.get("cases") or []):
        if isinstance(case, dict) and "next" in case:
            out.append((f"cases[{i}].next", str(case["next"])))
    return out


def _check_text(value: Any, langs: tuple[str, ...], where: str, source: str, node: Any) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, dict):
        raise _err(source, node, f"{where} must be a string or a mapping of language to text")
    missing = [lang for lang in langs if lang not in value]
    if missing:
        raise _err(source, node, f"{where} has no text for language(s) {', '.join(missing)}")


def _check_semantics(flow: Flow, root: yaml.Node, steps_node: yaml.Node, source: str) -> None:
    from fincall.flows.actions import ACTIONS  # local import: actions import the loader types

    _check_text(flow.fallback_reply, flow.languages, "fallback_reply", source, root)
    if flow.start not in flow.steps:
        raise _err(source, _key_node(root, "start"), f"start step '{flow.start}' does not exist")
    for setting in ("on_no_input", "on_no_match"):
        target = flow.settings.get(setting)
        if target is not None and target not in flow.steps:
            node = _key_node(_key_node(root, "settings") or root, setting)
            raise _err(source, node, f"settings.{setting} jumps to missing step '{target}'")
    for step in flow.steps.values():
        node = _key_node(steps_node, step.id)
        for fname, target in jumps(step):
            if target not in flow.steps:
                top = fname.split("[")[0].split(".")[0]
                raise _err(
                    source,
                    _key_node(node, top) if node is not None else None,
                    f"step '{step.id}': {fname} jumps to missing step '{target}'",
                )
        for tf in TEXT_FIELDS:
            if tf in step.fields:
                _check_text(
                    step.fields[tf],
                    flow.languages,
                    f"step '{step.id}' field '{tf}'",
                    source,
                    _key_node(node, tf),
                )
        if step.type == "collect" and str(step.get("entity")).lower() in FORBIDDEN_ENTITIES:
            raise _err(
                source,
                _key_node(node, "entity"),
                f"step '{step.id}': a flow may never collect '{step.get('entity')}' "
                "(secrets are reset through a link, never typed into a conversation)",
            )
        if step.type == "action" and step.get("name") not in ACTIONS:
            raise _err(
                source,
                _key_node(node, "name"),
                f"step '{step.id}': unknown action '{step.get('name')}' "
                f"(known: {', '.join(sorted(ACTIONS))})",
            )
        if step.type == "ask":
            opts = step.get("options")
            if not isinstance(opts, list) or not opts:
                raise _err(
                    source,
                    _key_node(node, "options"),
                    f"step '{step.id}': options must be a non-empty list",
                )
            for i, opt in enumerate(opts):
                if not isinstance(opt, dict) or "value" not in opt:
                    raise _err(
                        source,
                        _item(node, "options", i),
                        f"step '{step.id}': each option needs a 'value'",
                    )
            if "next" not in step.fields and not all("next" in o for o in opts):
                raise _err(
                    source,
                    node,
                    f"step '{step.id}' (ask): needs 'next' or a 'next' on every option",
                )
        if step.type == "classify":
            for i, route in enumerate(step.get("routes") or []):
                if not isinstance(route, dict) or "intents" not in route or "next" not in route:
                    raise _err(
                        source,
                        _item(node, "routes", i),
                        f"step '{step.id}': each route needs 'intents' and 'next'",
                    )
        if step.type == "branch":
            for i, case in enumerate(step.get("cases") or []):
                when = case.get("when") if isinstance(case, dict) else None
                if not isinstance(when, dict) or "next" not in case:
                    raise _err(
                        source,
                        _item(node, "cases", i),
                        f"step '{step.id}': each case needs 'when' and 'next'",
                    )
                subjects = CONDITION_KEYS & set(when)
                ops = CONDITION_OPS & set(when)
                if (
                    len(subjects) != 1
                    or len(ops) != 1
                    or set(when) - CONDITION_KEYS - CONDITION_OPS
                ):
                    raise _err(
                        source,
                        _item(node, "cases", i),
                        f"step '{step.id}': a condition needs one of var/intent/entity and one of "
                        f"equals/in/exists, got {sorted(when)}",
                    )


def _unreachable(flow: Flow, steps_node: yaml.Node, source: str) -> list[FlowWarning]:
    roots = [flow.start] + [
        str(flow.settings[s]) for s in ("on_no_input", "on_no_match") if s in flow.settings
    ]
    seen: set[str] = set()
    queue = deque(roots)
    while queue:
        sid = queue.popleft()
        if sid in seen or sid not in flow.steps:
            continue
        seen.add(sid)
        queue.extend(t for _, t in jumps(flow.steps[sid]))
    return [
        FlowWarning(file=source, line=step.line, message=f"step '{step.id}' is unreachable")
        for step in flow.steps.values()
        if step.id not in seen
    ]


def load_flow(path: Path | str) -> Flow:
    """Load one flow file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowDefinitionError(file=str(p), line=None, problem=f"cannot read: {exc}") from exc
    return parse_flow(text, source=str(p))


def load_library(directory: Path | str = LIBRARY_DIR) -> dict[str, Flow]:
    """Load every ``*.yaml`` flow of a directory, keyed by flow id."""
    flows: dict[str, Flow] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        flow = load_flow(path)
        if flow.id in flows:
            raise FlowDefinitionError(
                file=str(path), line=1, problem=f"flow id '{flow.id}' used twice"
            )
        flows[flow.id] = flow
    return flows
