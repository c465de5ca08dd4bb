"""Detector kinds a rule can name; each turns phrase hits plus contact facts into findings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fincall.compliance.matcher import CompiledPack, CompiledRule
from fincall.compliance.paraphrase import get_model
from fincall.compliance.scope import is_negated
from fincall.compliance.textnorm import normalize
from fincall.compliance.types import ContactInput, Evidence, Finding, ProductInfo

Hit = tuple[int, str, int, int]  # utterance index, field, start, end


@dataclass
class Ctx:
    contact: ContactInput
    cp: CompiledPack
    norms: list[str]
    speakers: list[str]
    by_rule: dict[int, list[Hit]]
    cue_utts: list[int]
    promise_utts: set[int] = field(default_factory=set)
    negated_promise_utts: set[int] = field(default_factory=set)

    def finding(
        self,
        rule: CompiledRule,
        i: int | None,
        span: tuple[int, int] | None,
        *,
        detail: str = "",
        layer: str | None = None,
    ) -> Finding:
        evidence = None
        start = None
        if i is not None:
            u = self.contact.utterances[i]
            start = u.start
            if span is not None:
                s, e = span
                src = u.text if len(u.text) == len(self.norms[i]) else self.norms[i]
                evidence = Evidence(text=src[s:e], char_start=s, char_end=e)
        pack = self.cp.pack
        return Finding(
            contact_id=self.contact.id,
            category=rule.spec.category,
            rule_id=rule.spec.id,
            pack_id=pack.id,
            pack_version=pack.version,
            severity=rule.spec.severity,
            utterance_index=i,
            start=start,
            evidence=evidence,
            detail=detail,
            layer=layer or ("phrase" if rule.spec.detector == "phrase" else "rule"),
        )


def _hits(ctx: Ctx, rule: CompiledRule, fld: str, *, speakers: frozenset[str] | None = None):
    spk = rule.speakers if speakers is None else speakers
    for h in ctx.by_rule.get(rule.index, ()):
        if h[1] == fld and ctx.speakers[h[0]] in spk:
            yield h


def _affirmed(ctx: Ctx, rule: CompiledRule, fld: str) -> list[Hit]:
    out = []
    for h in _hits(ctx, rule, fld):
        if rule.spec.negation and is_negated(ctx.norms[h[0]], h[2], ctx.cp.group):
            if rule.spec.category == "prohibited_promise":
                ctx.negated_promise_utts.add(h[0])
            continue
        out.append(h)
    return out


def phrase(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """Any affirmed phrase (optionally confirmed by a pattern) in a listened-to speaker's turn."""
    out: list[Finding] = []
    seen: set[int] = set()
    pats = rule.patterns
    if rule.spec.phrases:
        # earliest, then longest, affirmed phrase per utterance is the evidence
        for i, _, s, e in sorted(
            _affirmed(ctx, rule, "phrases"), key=lambda h: (h[0], h[2], -h[3])
        ):
            if i in seen:
                continue
            span: tuple[int, int] = (s, e)
            if pats:
                m = next((m for p in pats if (m := p.search(ctx.norms[i]))), None)
                if m is None:
                    continue
                span = (m.start(), m.end())
            seen.add(i)
            out.append(ctx.finding(rule, i, span))
    elif pats:
        for i, norm in enumerate(ctx.norms):
            if ctx.speakers[i] not in rule.speakers:
                continue
            for p in pats:
                m = p.search(norm)
                if m:
                    out.append(ctx.finding(rule, i, (m.start(), m.end())))
                    break
    if rule.spec.category == "prohibited_promise":
        ctx.promise_utts.update(f.utterance_index for f in out if f.utterance_index is not None)
    return out


def classifier(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """Paraphrased promises: the linear model on cue-bearing turns the phrase layer left alone."""
    if not ctx.cue_utts:
        return []
    model = get_model(ctx.cp.group)
    threshold = ctx.cp.pack.defaults.classifier_threshold
    out = []
    skip = ctx.promise_utts | ctx.negated_promise_utts
    for cr in ctx.cp.rules:  # a turn that states a risk warning is not a promise
        if cr.spec.detector == "disclosure":
            skip |= {h[0] for h in ctx.by_rule.get(cr.index, ()) if h[1] == "required_phrases"}
    for i in ctx.cue_utts:
        if i in skip or ctx.speakers[i] not in rule.speakers:
            continue
        p = model.probability(ctx.norms[i], ctx.cp.group)
        if p >= threshold:
            span = (0, len(ctx.norms[i]))
            out.append(ctx.finding(rule, i, span, detail=f"p={p:.2f}", layer="classifier"))
    return out


def _mentions(ctx: Ctx, products: list[ProductInfo], i: int) -> list[ProductInfo]:
    norm = ctx.norms[i]
    found = []
    for p in products:
        name = normalize(p.name).strip() if p.name else ""
        if (name and name in norm) or (p.code and p.code.lower() in norm):
            found.append(p)
    return found


def disclosure(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """Investment product pitched but its risk warning never given (late warnings count)."""
    types = set(rule.spec.product_types) or {"fund", "wealth"}
    products = list(ctx.contact.products)
    inv = [
        p for p in products if p.type in types or (p.type == "insurance" and p.investment_linked)
    ]
    if products and not inv:
        return []
    if any(True for _ in _hits(ctx, rule, "required_phrases")):
        return []
    candidates: list[tuple[int, tuple[int, int] | None]] = [
        (i, (s, e)) for i, _, s, e in _hits(ctx, rule, "trigger_phrases")
    ]
    if inv:
        for i, spk in enumerate(ctx.speakers):
            if spk in rule.speakers and _mentions(ctx, inv, i):
                candidates.append((i, None))
                break
    if not candidates:
        return []
    i, span = min(candidates, key=lambda c: c[0])
    return [ctx.finding(rule, i, span, detail="no risk warning anywhere in the contact")]


def rate_disclosure(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """Monthly/daily cost or 'low fee' quoted for credit but the annualised rate never stated."""
    types = set(rule.spec.product_types) or {"loan", "installment", "credit_card"}
    products = ctx.contact.products
    if products and not any(p.type in types for p in products):
        return []
    triggers = list(_hits(ctx, rule, "trigger_phrases"))
    if not triggers or any(True for _ in _hits(ctx, rule, "required_phrases")):
        return []
    i, _, s, e = min(triggers)
    return [ctx.finding(rule, i, (s, e), detail="annualised rate never stated")]


def identity(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """Account details disclosed before identity verification happened in the contact."""
    if getattr(ctx.contact, "identity_verified", False):
        return []
    hits = ctx.by_rule.get(rule.index, ())
    if not hits:
        return []
    per_utt: dict[int, list[Hit]] = {}
    for h in hits:
        per_utt.setdefault(h[0], []).append(h)
    asked = False
    for i, spk in enumerate(ctx.speakers):
        if spk == "customer":
            if asked:
                return []  # the customer answered the verification questions
            continue
        hs = per_utt.get(i)
        if not hs:
            continue
        first_ok = min(
            (h[2] for h in hs if h[1] in ("verified_phrases", "verify_phrases")), default=None
        )
        for h in sorted(hs, key=lambda h: h[2]):
            if h[1] != "phrases" or spk not in rule.speakers:
                continue
            if first_ok is not None and first_ok < h[2]:
                break
            if rule.spec.negation and is_negated(ctx.norms[i], h[2], ctx.cp.group):
                continue
            return [ctx.finding(rule, i, (h[2], h[3]), detail="disclosed before verification")]
        if any(h[1] == "verified_phrases" for h in hs):
            return []
        if first_ok is not None:
            asked = True
    return []


def refusal(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """Customer refused twice (or once strongly) and the agent kept pitching."""
    hits = ctx.by_rule.get(rule.index, ())
    if not hits:
        return []
    per_utt: dict[int, list[Hit]] = {}
    for h in hits:
        per_utt.setdefault(h[0], []).append(h)
    refusals = 0
    refused = False
    group = ctx.cp.group
    for i in sorted(per_utt):
        spk = ctx.speakers[i]
        hs = per_utt[i]
        if spk == "customer":
            fields = {h[1] for h in hs if not is_negated(ctx.norms[i], h[2], group)}
            if "strong_refusal_phrases" in fields:
                refused = True
            elif "refusal_phrases" in fields:
                refusals += 1
                refused = refused or refusals >= 2
        elif refused and spk in rule.speakers:
            pitch = [h for h in hs if h[1] == "phrases"]
            if pitch:
                h = pitch[0]
                return [ctx.finding(rule, i, (h[2], h[3]), detail="kept pitching after refusal")]
    return []


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def calling_hours(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """Contact started outside the pack's calling window in the customer's local time."""
    started = ctx.contact.started_at
    if started is None or started.tzinfo is None:
        return []
    pack = ctx.cp.pack
    tz_name = ctx.contact.customer.timezone or pack.defaults.timezone
    zone = _zone(tz_name) or _zone(pack.defaults.timezone)
    if zone is None:
        return []
    local = started.astimezone(zone)
    begin, end = pack.window
    t = local.timetz().replace(tzinfo=None)
    if begin <= t < end:
        return []
    w = pack.defaults.calling_window
    detail = f"started {local:%Y-%m-%d %H:%M} {tz_name}; window {w.start}-{w.end}"
    return [ctx.finding(rule, None, None, detail=detail)]


def _recommended(ctx: Ctx, products: list[ProductInfo], i: int, after: int) -> list[ProductInfo]:
    """The product a recommendation points at: the first one named after the phrase, else
    the last one named before it (so "recommend A rather than B" points at A)."""
    norm = ctx.norms[i]
    positions: list[tuple[int, ProductInfo]] = []
    for p in products:
        for key in (normalize(p.name).strip() if p.name else "", p.code.lower() if p.code else ""):
            if key and (pos := norm.find(key)) >= 0:
                positions.append((pos, p))
                break
    if not positions:
        return []
    later = [x for x in positions if x[0] >= after]
    if later:
        return [min(later, key=lambda x: x[0])[1]]
    return [max(positions, key=lambda x: x[0])[1]]


def suitability(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """The agent recommends a product whose risk level exceeds the customer's risk rating."""
    rating = ctx.contact.customer.risk_rating
    products = list(ctx.contact.products)
    if rating is None or not products:
        return []
    default_level = ctx.cp.pack.defaults.product_risk_level
    out: list[Finding] = []
    done: set[str] = set()
    for i, _, s, e in _affirmed(ctx, rule, "phrases"):
        named = _recommended(ctx, products, i, e) or (products if len(products) == 1 else [])
        for p in named:
            level = p.risk_level if p.risk_level is not None else default_level
            if p.type == "deposit" or level <= rating or p.code in done:
                continue
            done.add(p.code)
            detail = f"R{level} product {p.code} recommended to a C{rating} customer"
            out.append(ctx.finding(rule, i, (s, e), detail=detail))
    return out


_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_CARD_GATE = re.compile(r"\d[\d -]{11,}\d")  # cheap pre-filter (leading class is fast)


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a digit string."""
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if k % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_readout(ctx: Ctx, rule: CompiledRule) -> list[Finding]:
    """A full (Luhn-valid, 13–19 digit) card number spoken by the agent or bot."""
    out: list[Finding] = []
    if not _CARD_GATE.search("\n".join(ctx.norms)):
        return out
    for i, norm in enumerate(ctx.norms):
        if ctx.speakers[i] not in rule.speakers:
            continue
        for m in _CARD.finditer(norm):
            digits = re.sub(r"\D", "", m.group())
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                out.append(ctx.finding(rule, i, (m.start(), m.end()), detail="full card number"))
                break
    return out


DETECTOR_FUNCS: dict[str, Callable[[Ctx, CompiledRule], list[Finding]]] = {
    "phrase": phrase,
    "classifier": classifier,
    "disclosure": disclosure,
    "rate_disclosure": rate_disclosure,
    "identity": identity,
    "refusal": refusal,
    "calling_hours": calling_hours,
    "suitability": suitability,
    "card_readout": card_readout,
}
