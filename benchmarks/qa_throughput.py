"""Throughput of the compliance engine on synthetic contacts, next to a naive regex baseline.

Usage: python benchmarks/qa_throughput.py [--n 20000] [--baseline-n 2000]
Measures on one core, in one run: (a) phrase + rule layer, (b) full engine including the
paraphrase classifier, (c) a naive loop of ``re.search`` over every phrase pattern of the
pack (on a subset, reported per contact). Peak RSS is measured in fresh child processes
that stream 5,000 and N contacts through the full engine. Last line: one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fincall.compliance.engine import inspect  # noqa: E402
from fincall.compliance.paraphrase import get_model  # noqa: E402
from fincall.compliance.rulepack import get_pack, phrase_fields  # noqa: E402
from fincall.compliance.textnorm import normalize  # noqa: E402
from fincall.compliance.types import (  # noqa: E402
    ContactInput,
    CustomerInfo,
    ProductInfo,
    Utterance,
)

ZH_AGENT = [
    "您好，这里是客服中心，请问有什么可以帮您",
    "好的，我帮您查询一下，请稍等",
    "这款理财的业绩比较基准是百分之三点五",
    "您可以在手机银行首页查看",
    "请问还有其他问题吗",
    "这边已经帮您提交了申请，三个工作日内处理",
    "投资有风险，请您谨慎选择",
    "这个分期每月只需还三百元",
    "先帮您核实一下身份，请说一下身份证后四位",
    "好的，核实通过",
    "您的卡已经补办成功，会寄到您的地址",
    "这款基金近一年表现不错，推荐您了解一下",
    "感谢您的来电，祝您生活愉快",
    "不好意思让您久等了",
    "这个产品不保本，净值会有波动",
]
ZH_AGENT_BAD = [
    "这款产品保本保息，稳赚不赔",
    "放心，本金肯定不会少",
    "把验证码告诉我一下",
    "你听不懂人话吗",
]
ZH_CUST = [
    "我想查一下我的账单",
    "好的，谢谢",
    "这个收益怎么样",
    "我考虑一下",
    "不需要",
    "为什么扣了我年费",
    "嗯嗯，明白了",
    "身份证后四位是1234",
    "我要投诉",
    "那利率是多少",
]
EN_AGENT = [
    "Thanks for calling, how can I help you today?",
    "Let me check that for you, one moment please.",
    "This fund aims for steady income over time.",
    "You can find that in the app under payments.",
    "Is there anything else I can help with?",
    "I've raised the request, it takes three working days.",
    "Please note the value of investments can go down as well as up.",
    "The monthly payment would be 240 per month.",
    "First I need to verify your identity, what's your date of birth?",
    "Thank you for verifying.",
    "Your replacement card is on its way.",
    "I'd recommend having a look at our balanced fund.",
    "Thanks for calling, have a great day.",
    "Sorry for keeping you waiting.",
    "Returns are not guaranteed with this product.",
]
EN_AGENT_BAD = [
    "This fund has guaranteed returns.",
    "You basically can't lose money on this.",
    "Can you read me the code we just sent?",
    "How many times do I have to explain this?",
]
EN_CUST = [
    "I want to check my statement.",
    "Okay, thanks.",
    "What kind of returns are we talking about?",
    "Let me think about it.",
    "Not interested.",
    "Why was I charged an annual fee?",
    "Right, that makes sense.",
    "It's the 3rd of May 1980.",
    "I want to make a complaint.",
    "What's the interest rate?",
]
PRODUCTS = [
    ProductInfo(code="F01", name="Balanced Fund", type="fund", risk_level=3),
    ProductInfo(code="L01", name="Easy Loan", type="loan", risk_level=2),
    ProductInfo(code="D01", name="Fixed Saver", type="deposit", risk_level=1),
    ProductInfo(code="W01", name="睿享理财", type="wealth", risk_level=4),
]
START = datetime(2026, 3, 1, tzinfo=UTC)


def synthetic(n: int, *, seed: int = 7) -> Iterator[ContactInput]:
    """Deterministic synthetic contacts: ~20 utterances, half Chinese, ~4% bad agent turns."""
    rnd = random.Random(seed)
    for k in range(n):
        zh = k % 2 == 0
        agent, bad, cust = (
            (ZH_AGENT, ZH_AGENT_BAD, ZH_CUST) if zh else (EN_AGENT, EN_AGENT_BAD, EN_CUST)
        )
        utts = []
        for j in range(rnd.randint(16, 24)):
            if j % 2 == 0:
                text = rnd.choice(bad) if rnd.random() < 0.04 else rnd.choice(agent)
                utts.append(Utterance("agent", text, start=j * 6.0))
            else:
                utts.append(Utterance("customer", rnd.choice(cust), start=j * 6.0))
        yield ContactInput(
            id=f"con_{k}",
            language="zh-CN" if zh else "en",
            utterances=tuple(utts),
            customer=CustomerInfo(
                risk_rating=rnd.randint(1, 5),
                timezone="Asia/Shanghai" if zh else "Europe/London",
            ),
            products=(rnd.choice(PRODUCTS),),
            direction="outbound" if rnd.random() < 0.3 else "inbound",
            started_at=START + timedelta(minutes=rnd.randint(0, 60 * 24 * 30)),
            agent_id=f"agt_{rnd.randint(1, 40)}",
        )


PACKS = {"zh-CN": "cn-mainland", "en": "uk"}


def run_engine(contacts: list[ContactInput], *, classifier: bool) -> tuple[float, int]:
    packs = {lang: get_pack(pid) for lang, pid in PACKS.items()}
    findings = 0
    t0 = time.perf_counter()
    for c in contacts:
        findings += len(inspect(c, pack=packs[c.language], classifier=classifier))
    return time.perf_counter() - t0, findings


def naive_patterns() -> dict[str, list[re.Pattern[str]]]:
    out: dict[str, list[re.Pattern[str]]] = {}
    for lang, pid in PACKS.items():
        pats = []
        for rule in get_pack(pid).rules:
            for phrases in phrase_fields(rule).values():
                pats.extend(re.compile(re.escape(normalize(p))) for p in phrases)
            pats.extend(re.compile(p) for p in rule.patterns)
        out[lang] = pats
    return out


def run_naive(contacts: list[ContactInput]) -> tuple[float, int]:
    pats = naive_patterns()
    hits = 0
    t0 = time.perf_counter()
    for c in contacts:
        plist = pats[c.language]
        for u in c.utterances:
            text = normalize(u.text)
            for p in plist:
                if p.search(text):
                    hits += 1
    return time.perf_counter() - t0, hits


def live_latency_ms() -> dict[str, float]:
    """Latency of check_live on single draft messages (both languages)."""
    from fincall.compliance.engine import check_live

    drafts = [("zh-CN", "cn-mainland", t) for t in ZH_AGENT + ZH_AGENT_BAD]
    drafts += [("en", "uk", t) for t in EN_AGENT + EN_AGENT_BAD]
    packs = {pid: get_pack(pid) for pid in ("cn-mainland", "uk")}
    samples = []
    for _ in range(50):
        for lang, pid, text in drafts:
            t0 = time.perf_counter()
            check_live(text, speaker="agent", language=lang, pack=packs[pid])
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "p50": round(samples[len(samples) // 2], 3),
        "p99": round(samples[int(len(samples) * 0.99)], 3),
    }


def rss_child(n: int) -> None:
    """Stream n contacts through the full engine and print peak RSS in MiB."""
    packs = {lang: get_pack(pid) for lang, pid in PACKS.items()}
    count = 0
    for c in synthetic(n):
        count += len(inspect(c, pack=packs[c.language]))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"n": n, "findings": count, "peak_rss_mib": round(peak_kib / 1024, 1)}))


def measure_rss(n: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mib"])


def _arg(name: str, default: int) -> int:
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


def main() -> None:
    if "--rss-child" in sys.argv:
        rss_child(_arg("--rss-child", 5000))
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    n = _arg("--n", 20000)
    n_base = min(n, _arg("--baseline-n", 2000))
    t0 = time.perf_counter()
    get_model("zh")
    get_model("en")
    warm = list(synthetic(50, seed=1))
    run_engine(warm, classifier=True)
    setup_s = time.perf_counter() - t0
    contacts = list(synthetic(n))
    utts = sum(len(c.utterances) for c in contacts)
    print(f"{n} synthetic contacts, {utts} utterances ({utts / n:.1f}/contact), half zh / half en")
    print(f"one-off setup (classifier training, automata): {setup_s:.2f} s")
    # interleaved, best of two: the machine is shared, so take each layer's quieter run
    t_rule, f_rule = run_engine(contacts, classifier=False)
    t_full, f_full = run_engine(contacts, classifier=True)
    t_rule = min(t_rule, run_engine(contacts, classifier=False)[0])
    t_full = min(t_full, run_engine(contacts, classifier=True)[0])
    t_naive, _ = run_naive(contacts[:n_base])
    n_pats = sum(len(v) for v in naive_patterns().values()) // 2
    rule_cps = n / t_rule
    full_cps = n / t_full
    naive_cps = n_base / t_naive
    print(f"(a) phrase + rule layer : {rule_cps:10.0f} contacts/s  ({f_rule} findings)")
    print(f"(b) full engine         : {full_cps:10.0f} contacts/s  ({f_full} findings)")
    print(
        f"(c) naive re.search loop: {naive_cps:10.0f} contacts/s  "
        f"(~{n_pats} patterns per pack, measured on {n_base} contacts, matching only)"
    )
    live_ms = live_latency_ms()
    print(f"check_live, one draft message: median {live_ms['p50']:.3f} ms, ", end="")
    print(f"p99 {live_ms['p99']:.3f} ms")
    small = min(5000, n)
    rss_small = measure_rss(small)
    rss_large = measure_rss(n)
    print(f"peak RSS streaming {small} contacts: {rss_small:.1f} MiB; ", end="")
    print(f"{n} contacts: {rss_large:.1f} MiB")
    print(
        json.dumps(
            {
                "contacts": n,
                "utterances_per_contact": round(utts / n, 1),
                "phrase_rule_contacts_per_s": round(rule_cps),
                "full_engine_contacts_per_s": round(full_cps),
                "naive_regex_contacts_per_s": round(naive_cps),
                "speedup_full_vs_naive": round(full_cps / naive_cps, 1),
                "peak_rss_mib": {str(small): rss_small, str(n): rss_large},
                "check_live_ms": live_ms,
                "setup_s": round(setup_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
