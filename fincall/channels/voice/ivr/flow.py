"""IVR flows as data: load and check a YAML flow into plain step records (no call I/O here).

The chat flow engine (``fincall.flows``) speaks text turns; an IVR needs audio prompts in
several voices, digit collection with timeouts/retries, identity checks and a queue with hold
music, so voice flows use this small step interpreter over the same YAML-as-data approach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fincall.core.errors import Invalid

KINDS = ("language", "verify_dob", "menu", "queue")
LANGUAGES = ("en", "zh-CN", "zh-HK")
FLOW_DIR = Path(__file__).resolve().parent


class FlowInvalid(Invalid):
    """An IVR flow file is not valid."""

    code = "ivr-flow-invalid"


@dataclass(frozen=True)
class Step:
    """One IVR step; ``data`` keeps the kind-specific fields (prompts, options...)."""

    id: str
    kind: str
    next: str | None
    timeout: float
    retries: int
    data: dict[str, Any] = field(default_factory=dict)

    def text(self, key: str, language: str) -> str:
        """The prompt ``key`` in ``language`` (falls back to English)."""
        texts = self.data.get(key) or {}
        return str(texts.get(language) or texts.get("en") or "")


@dataclass(frozen=True)
class IvrFlow:
    """A checked flow: its steps by id and the first one."""

    id: str
    start: str
    steps: dict[str, Step]


def parse_flow(doc: Any, *, source: str = "<flow>") -> IvrFlow:
    """Check a loaded YAML document and build the flow; FlowInvalid names what is wrong."""
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), dict):
        raise FlowInvalid("an IVR flow needs a 'steps' mapping", source=source)
    steps: dict[str, Step] = {}
    for sid, raw in doc["steps"].items():
        if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
            raise FlowInvalid(f"step {sid!r}: kind must be one of {KINDS}", source=source)
        steps[str(sid)] = Step(
            id=str(sid),
            kind=str(raw["kind"]),
            next=raw.get("next"),
            timeout=float(raw.get("timeout", 5)),
            retries=int(raw.get("retries", 1)),
            data={k: v for k, v in raw.items() if k not in ("kind", "next", "timeout", "retries")},
        )
    start = str(doc.get("start", ""))
    if start not in steps:
        raise FlowInvalid(f"start step {start!r} does not exist", source=source)
    for step in steps.values():
        if step.next is not None and step.next not in steps:
            raise FlowInvalid(f"step {step.id!r}: next {step.next!r} unknown", source=source)
        if step.kind == "language":
            bad = [v for v in (step.data.get("options") or {}).values() if v not in LANGUAGES]
            if bad or not step.data.get("options"):
                raise FlowInvalid(f"step {step.id!r}: options must map digits to languages")
        if step.kind == "menu":
            options = step.data.get("options") or {}
            if not options or any("queue" not in o for o in options.values()):
                raise FlowInvalid(f"step {step.id!r}: every menu option needs a queue")
    return IvrFlow(id=str(doc.get("id", "ivr")), start=start, steps=steps)


def load_flow(path: Path | str | None = None) -> IvrFlow:
    """Load ``ivr/main.yaml`` (or another flow file)."""
    path = Path(path) if path else FLOW_DIR / "main.yaml"
    try:
        doc = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        raise FlowInvalid(f"{path}:{line}: not valid YAML") from None
    return parse_flow(doc, source=str(path))


def queue_for(template: str, language: str) -> str:
    """The queue id of a menu option (``general-{language}`` becomes ``general-zh-HK``)."""
    return template.replace("{language}", language)
