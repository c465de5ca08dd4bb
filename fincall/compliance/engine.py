"""The rule engine: pure functions from a contact (plain data) and a rule pack to findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fincall.compliance.detectors import DETECTOR_FUNCS, Ctx, Hit
from fincall.compliance.matcher import CompiledPack, compiled
from fincall.compliance.rulepack import RulePack, get_pack, language_group
from fincall.compliance.textnorm import normalize
from fincall.compliance.types import (
    ContactInput,
    CustomerInfo,
    Finding,
    InspectionResult,
    ProductInfo,
    Utterance,
)


def _resolve(pack: RulePack | str) -> RulePack:
    return get_pack(pack) if isinstance(pack, str) else pack


def _run(contact: ContactInput, cp: CompiledPack, *, classifier: bool = True) -> list[Finding]:
    norms: list[str] = []
    speakers: list[str] = []
    by_rule: dict[int, list[Hit]] = {}
    cue_utts: list[int] = []
    scan_into = cp.scan_into
    for i, u in enumerate(contact.utterances):
        norm = normalize(u.text)
        norms.append(norm)
        speakers.append(u.speaker)
        if scan_into(norm, i, by_rule):
            cue_utts.append(i)
    ctx = Ctx(contact, cp, norms, speakers, by_rule, cue_utts)
    products = contact.products
    direction = contact.direction
    findings: list[Finding] = []
    for rule in cp.rules:
        spec = rule.spec
        if spec.directions and direction not in spec.directions:
            continue
        if rule.exempt and products and all(p.type in rule.exempt for p in products):
            continue
        if spec.detector == "classifier" and not classifier:
            continue
        findings.extend(DETECTOR_FUNCS[spec.detector](ctx, rule))
    findings.sort(key=lambda f: (-1 if f.utterance_index is None else f.utterance_index, f.rule_id))
    return findings


def inspect(
    contact: ContactInput, *, pack: RulePack | str, classifier: bool = True
) -> list[Finding]:
    """All findings for one contact under one pack (``classifier=False`` = phrase+rule layer)."""
    p = _resolve(pack)
    return _run(contact, compiled(p, language_group(contact.language)), classifier=classifier)


def inspect_contact(
    contact: ContactInput, *, pack: RulePack | str, classifier: bool = True
) -> InspectionResult:
    """Inspect a contact and wrap the findings with the pack identity (for storage)."""
    p = _resolve(pack)
    findings = inspect(contact, pack=p, classifier=classifier)
    return InspectionResult(
        contact_id=contact.id,
        pack_id=p.id,
        pack_version=p.version,
        findings=tuple(findings),
        agent_id=contact.agent_id,
    )


def _ctx_products(raw: Any) -> tuple[ProductInfo, ...]:
    out = []
    for p in raw or ():
        out.append(p if isinstance(p, ProductInfo) else ProductInfo(**p))
    return tuple(out)


def check_live(
    text: str,
    *,
    speaker: str = "agent",
    language: str,
    pack: RulePack | str,
    context: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Findings for one draft message or live utterance, given the conversation so far.

    ``context`` may hold ``history`` (list of Utterance or {"speaker","text"}), ``products``,
    ``customer`` (CustomerInfo or dict), ``direction``, ``identity_verified``, ``contact_id``.
    Only findings on the draft itself are returned (contact-level checks such as the calling
    window belong to the dialer and post-contact inspection).
    """
    ctx = dict(context or {})
    history: Sequence[Any] = ctx.get("history") or ()
    utts = [u if isinstance(u, Utterance) else Utterance(**u) for u in history]
    utts.append(Utterance(speaker=speaker, text=text))
    cust = ctx.get("customer") or CustomerInfo()
    if not isinstance(cust, CustomerInfo):
        cust = CustomerInfo(**cust)
    contact = ContactInput(
        id=str(ctx.get("contact_id", "live")),
        language=language,
        utterances=tuple(utts),
        customer=cust,
        products=_ctx_products(ctx.get("products")),
        channel=str(ctx.get("channel", "chat")),
        direction=str(ctx.get("direction", "inbound")),
        identity_verified=bool(ctx.get("identity_verified", False)),
    )
    draft = len(utts) - 1
    return [f for f in inspect(contact, pack=pack) if f.utterance_index == draft]


def warm_up(packs: Sequence[RulePack]) -> None:
    """Compile automata and train the paraphrase models now (call once at start-up)."""
    from fincall.compliance.paraphrase import get_model

    for p in packs:
        for group in p.language_groups():
            cp = compiled(p, group)
            if cp.has_classifier:
                get_model(group)


def dnc_requests(contact: ContactInput, *, pack: RulePack | str) -> list[int]:
    """Indexes of customer turns that ask not to be called again (a refusal rule's strong
    refusal phrases, not negated), whether or not the agent went on pitching."""
    from fincall.compliance.scope import is_negated

    p = _resolve(pack)
    cp = compiled(p, language_group(contact.language))
    refusal_rules = {r.index for r in cp.rules if r.spec.detector == "refusal"}
    if not refusal_rules:
        return []
    out: list[int] = []
    for i, u in enumerate(contact.utterances):
        if u.speaker != "customer":
            continue
        norm = normalize(u.text)
        for ri, fld, s, _e in cp.scan(norm):
            if (
                ri in refusal_rules
                and fld == "strong_refusal_phrases"
                and not is_negated(norm, s, cp.group)
            ):
                out.append(i)
                break
    return out
