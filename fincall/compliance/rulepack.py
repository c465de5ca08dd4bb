"""Rule packs: YAML data per jurisdiction, validated with file:line errors, extendable by tenants.

A pack file holds ``id``, ``version``, ``jurisdiction``, ``languages``, ``defaults`` and
``rules``; ``include`` pulls rules from shared files beside it. A tenant drops a file with
``extends: <pack id>`` (plus ``rules`` and/or ``disable``) or a whole new pack into
``<data_dir>/rulepacks/``; rules with the same id replace the shipped ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fincall.compliance.errors import RulePackError, RulePackNotFound
from fincall.compliance.types import CATEGORIES, PRODUCT_TYPES, SPEAKERS

SHIPPED_DIR = Path(__file__).resolve().parent / "rulepacks"
DETECTORS = (
    "phrase",
    "classifier",
    "disclosure",
    "rate_disclosure",
    "identity",
    "refusal",
    "calling_hours",
    "suitability",
    "card_readout",
)
_CUSTOMER_CATEGORIES = {"complaint_risk"}
_PHRASE_FIELDS = (
    "phrases",
    "trigger_phrases",
    "required_phrases",
    "verify_phrases",
    "verified_phrases",
    "refusal_phrases",
    "strong_refusal_phrases",
)


class _Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: list[Any] = Field(min_length=1)
    no_match: list[Any] = Field(default_factory=list)


class RuleSpec(BaseModel):
    """One rule as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    category: str
    severity: Literal["critical", "major", "minor"]
    description: str = Field(min_length=1)
    regulation: str = Field(min_length=1)
    detector: str = "phrase"
    languages: list[Literal["zh", "en"]] | None = None
    speakers: list[str] | None = None
    phrases: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    trigger_phrases: list[str] = Field(default_factory=list)
    required_phrases: list[str] = Field(default_factory=list)
    verify_phrases: list[str] = Field(default_factory=list)
    verified_phrases: list[str] = Field(default_factory=list)
    refusal_phrases: list[str] = Field(default_factory=list)
    strong_refusal_phrases: list[str] = Field(default_factory=list)
    product_types: list[str] = Field(default_factory=list)
    exempt_product_types: list[str] = Field(default_factory=list)
    negation: bool = True
    directions: list[Literal["inbound", "outbound"]] | None = None
    enabled: bool = True
    examples: _Examples

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"unknown category {v!r}; expected one of {', '.join(CATEGORIES)}")
        return v

    @field_validator("detector")
    @classmethod
    def _detector(cls, v: str) -> str:
        if v not in DETECTORS:
            raise ValueError(f"unknown detector {v!r}; expected one of {', '.join(DETECTORS)}")
        return v

    @field_validator("speakers")
    @classmethod
    def _speakers(cls, v: list[str] | None) -> list[str] | None:
        for s in v or []:
            if s not in SPEAKERS:
                raise ValueError(f"unknown speaker {s!r}")
        return v

    @field_validator("product_types", "exempt_product_types")
    @classmethod
    def _ptypes(cls, v: list[str]) -> list[str]:
        for t in v:
            if t not in PRODUCT_TYPES:
                raise ValueError(f"unknown product type {t!r}")
        return v

    @field_validator("patterns")
    @classmethod
    def _regex(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad regular expression {p!r}: {exc}") from exc
        return v


class _Window(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = "08:00"
    end: str = "20:00"

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-4]):[0-5]\d", str(v)):
            raise ValueError(f"expected HH:MM, got {v!r}")
        return v


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    calling_window: _Window = Field(default_factory=_Window)
    timezone: str = "UTC"
    product_risk_level: int = Field(default=3, ge=1, le=5)
    classifier_threshold: float = Field(default=0.6, gt=0, lt=1)


class _PackFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    version: str | None = None
    name: str | None = None
    jurisdiction: str | None = None
    languages: list[Literal["zh-CN", "zh-HK", "en"]] | None = None
    include: list[str] = Field(default_factory=list)
    rule_languages: list[Literal["zh", "en"]] | None = None
    extends: str | None = None
    defaults: _Defaults | None = None
    disable: list[str] = Field(default_factory=list)
    regulations: dict[str, str] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class RulePack:
    """A validated, merged rule pack."""

    id: str
    version: str
    jurisdiction: str
    languages: tuple[str, ...]
    defaults: _Defaults
    rules: tuple[RuleSpec, ...]
    name: str = ""
    sources: tuple[str, ...] = field(default=())

    @property
    def window(self) -> tuple[time, time]:
        """Calling window (start inclusive, end exclusive) in customer-local time."""
        return _hhmm(self.defaults.calling_window.start), _hhmm(self.defaults.calling_window.end)

    def rule(self, rule_id: str) -> RuleSpec:
        """Return the rule with this id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def language_groups(self) -> set[str]:
        """The language groups ('zh', 'en') this pack covers."""
        return {language_group(lang) for lang in self.languages}


def _hhmm(value: str) -> time:
    h, m = (int(x) for x in value.split(":"))
    return time(23, 59, 59, 999999) if h == 24 else time(h, m)


def language_group(language: str) -> str:
    """Map a contact language (zh-CN, zh-HK, en ...) to a rule language group."""
    return "zh" if language.lower().startswith("zh") else "en"


def default_speakers(rule: RuleSpec) -> tuple[str, ...]:
    """Speakers a rule listens to when the rule does not say."""
    if rule.speakers:
        return tuple(rule.speakers)
    return ("customer",) if rule.category in _CUSTOMER_CATEGORIES else ("agent", "bot")


def _plain(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if key_node.tag else key_node.value
            out[key] = _plain(value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), lines) for i, v in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def parse_pack_text(text: str, *, file: str) -> _PackFile:
    """Parse and validate one pack file's text; raise RulePackError with file and line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulePackError(f"YAML syntax error: {problem}", file=file, line=line) from exc
    if node is None or not isinstance(node, yaml.MappingNode):
        raise RulePackError("a rule pack must be a YAML mapping", file=file, line=1)
    lines: dict[tuple[Any, ...], int] = {}
    data = _plain(node, (), lines)
    try:
        return _PackFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = None
        for cut in range(len(loc), -1, -1):
            if loc[:cut] in lines:
                line = lines[loc[:cut]]
                break
        where = ".".join(str(p) for p in loc)
        raise RulePackError(f"{where}: {err['msg']}", file=file, line=line) from exc


def _read(path: Path) -> _PackFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(f"cannot read: {exc}", file=str(path)) from exc
    return parse_pack_text(text, file=str(path))


def _merge_rules(base: Iterable[RuleSpec], extra: Iterable[RuleSpec]) -> list[RuleSpec]:
    merged = {r.id: r for r in base}
    for r in extra:
        merged[r.id] = r
    return list(merged.values())


def _check_unique(rules: list[RuleSpec], file: str) -> None:
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RulePackError(f"duplicate rule id {r.id!r}", file=file)
        seen.add(r.id)


def _build(path: Path, pf: _PackFile) -> RulePack:
    missing = [k for k in ("id", "version", "jurisdiction", "languages") if not getattr(pf, k)]
    if missing:
        raise RulePackError(
            f"missing required key(s): {', '.join(missing)}", file=str(path), line=1
        )
    _check_unique(pf.rules, str(path))
    rules: list[RuleSpec] = []
    for inc in pf.include:
        inc_path = (path.parent / inc).resolve()
        if not inc_path.is_file():
            raise RulePackError(f"included file not found: {inc}", file=str(path))
        inc_file = _read(inc_path)
        inc_rules = inc_file.rules
        if inc_file.rule_languages:
            langs = inc_file.rule_languages
            inc_rules = [
                r if r.languages else r.model_copy(update={"languages": langs}) for r in inc_rules
            ]
        rules = _merge_rules(rules, inc_rules)
    rules = _merge_rules(rules, pf.rules)
    rules = [r for r in rules if r.id not in set(pf.disable)]
    rules = [
        r.model_copy(update={"regulation": pf.regulations[r.id]}) if r.id in pf.regulations else r
        for r in rules
    ]
    return RulePack(
        id=str(pf.id),
        version=str(pf.version),
        jurisdiction=str(pf.jurisdiction),
        languages=tuple(pf.languages or ()),
        defaults=pf.defaults or _Defaults(),
        rules=tuple(r for r in rules if r.enabled),
        name=pf.name or "",
        sources=(str(path),),
    )


def _extend(pack: RulePack, path: Path, pf: _PackFile) -> RulePack:
    _check_unique(pf.rules, str(path))
    rules = _merge_rules(pack.rules, pf.rules)
    disabled = set(pf.disable)
    tag = pf.version or "1"
    return RulePack(
        id=pack.id,
        version=f"{pack.version}+{path.stem}.{tag}",
        jurisdiction=pack.jurisdiction,
        languages=pack.languages,
        defaults=pf.defaults or pack.defaults,
        rules=tuple(r for r in rules if r.id not in disabled and r.enabled),
        name=pack.name,
        sources=(*pack.sources, str(path)),
    )


def load_packs(*, extra_dirs: Iterable[Path] = ()) -> dict[str, RulePack]:
    """Load the shipped packs, then apply tenant files from ``extra_dirs`` in name order."""
    packs: dict[str, RulePack] = {}
    for path in sorted(SHIPPED_DIR.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        pf = _read(path)
        pack = _build(path, pf)
        packs[pack.id] = pack
    for d in extra_dirs:
        if not d.is_dir():
            continue
        for path in sorted([*d.glob("*.yaml"), *d.glob("*.yml")]):
            pf = _read(path)
            if pf.extends:
                if pf.extends not in packs:
                    raise RulePackError(f"extends unknown pack {pf.extends!r}", file=str(path))
                packs[pf.extends] = _extend(packs[pf.extends], path, pf)
            else:
                pack = _build(path, pf)
                packs[pack.id] = pack
    return packs


_CACHE: dict[tuple[str, ...], dict[str, RulePack]] = {}


def get_packs(*, data_dir: Path | None = None) -> dict[str, RulePack]:
    """Cached packs: shipped plus ``<data_dir>/rulepacks`` when given."""
    tenant = data_dir / "rulepacks" if data_dir else None
    if tenant is not None and not tenant.is_dir():
        tenant = None  # nothing to add: share the shipped packs (and their compiled automata)
    key = (str(tenant),) if tenant else ()
    if key not in _CACHE:
        extra = [tenant] if tenant else []
        _CACHE[key] = load_packs(extra_dirs=extra)
    return _CACHE[key]


def clear_cache() -> None:
    """Forget loaded packs (call after tenant rule files change)."""
    _CACHE.clear()


def get_pack(pack_id: str, *, data_dir: Path | None = None) -> RulePack:
    """Return one pack by id."""
    packs = get_packs(data_dir=data_dir)
    if pack_id not in packs:
        raise RulePackNotFound(f"no rule pack {pack_id!r}", pack_id=pack_id, known=sorted(packs))
    return packs[pack_id]


_REGION_PACK = {"CN": "cn-mainland", "HK": "hk", "US": "us", "UK": "uk", "GB": "uk", "SG": "sg"}
_TZ_PACK = {
    "Asia/Shanghai": "cn-mainland",
    "Asia/Chongqing": "cn-mainland",
    "Asia/Urumqi": "cn-mainland",
    "Asia/Hong_Kong": "hk",
    "Europe/London": "uk",
    "Asia/Singapore": "sg",
}


def choose_pack_id(*, language: str, region: str | None = None, timezone: str | None = None) -> str:
    """Pick a pack when none is given: customer region, then timezone, then language.

    zh-HK → hk; zh-CN → cn-mainland; en → us unless the region/timezone says UK, SG or HK.
    """
    if region and region.upper() in _REGION_PACK:
        return _REGION_PACK[region.upper()]
    if timezone:
        if timezone in _TZ_PACK:
            return _TZ_PACK[timezone]
        if timezone.startswith("America/"):
            return "us"
    lang = language.lower()
    if lang == "zh-hk":
        return "hk"
    if lang.startswith("zh"):
        return "cn-mainland"
    return "us"


def phrase_fields(rule: RuleSpec) -> dict[str, list[str]]:
    """Phrase lists of a rule by field name (only non-empty ones)."""
    return {f: getattr(rule, f) for f in _PHRASE_FIELDS if getattr(rule, f)}
