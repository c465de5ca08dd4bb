"""The demo tenant, seeded on first start: customers, holdings, products, agents, users, contacts.

Deterministic (one seeded RNG) so that demos and screenshots look the same on every machine,
except the demo passwords, which are random per installation and kept in the data dir.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincall.agents.models import Agent
from fincall.auth import audit
from fincall.auth.models import User
from fincall.auth.passwords import hash_password
from fincall.contacts.models import Contact, Utterance
from fincall.core.clock import utcnow
from fincall.customers.models import Customer, Holding
from fincall.demo import catalogue as cat
from fincall.products.models import Product
from fincall.routing.models import Queue

DEMO_ROLES = ("agent", "supervisor", "qa_analyst", "compliance_officer", "admin")
LOGINS_FILE = "demo-logins.txt"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


def is_seeded(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(User)).scalar_one() > 0


def _phone(rng: random.Random, region: str) -> str:
    prefixes = {
        "CN": ("+86139", 8),
        "HK": ("+8529", 7),
        "SG": ("+659", 7),
        "UK": ("+447911", 6),
        "US": ("+1212", 7),
    }
    head, n = prefixes[region]
    while True:
        candidate = head + "".join(str(rng.randint(0, 9)) for _ in range(n))
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, None)):
            return candidate


def _name(rng: random.Random, region: str, language: str) -> str:
    if language == "zh-CN":
        return (
            rng.choice(cat.SURNAMES_ZH) + rng.choice(cat.GIVEN_ZH) + rng.choice(["", *cat.GIVEN_ZH])
        )
    if language == "zh-HK":
        return rng.choice(cat.SURNAMES_HK) + rng.choice(cat.GIVEN_HK)
    return f"{rng.choice(cat.FIRST_EN)} {rng.choice(cat.LAST_EN)}"


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def seed(session: Session, *, rng_seed: int = 20261122) -> list[DemoLogin]:
    """Create the demo tenant in the caller's transaction and return the logins.

    The caller commits, then keeps the logins with ``write_logins``.
    """
    rng = random.Random(rng_seed)
    now = utcnow().replace(second=0, microsecond=0)

    products = [
        Product(code=c, name=n, name_zh=z, type=t, risk_level=r, currency=cur, unit_price=p)
        for c, n, z, t, r, cur, p in cat.PRODUCTS
    ]
    session.add_all(products)

    agents = []
    for i, (name, region, tz, langs, skills, senior) in enumerate(cat.AGENTS):
        weekend = i % 4 == 0
        agents.append(
            Agent(
                name=name,
                email=f"{name.lower().replace(' ', '.')}@agents.fincall.example",
                skills=skills,
                languages=langs,
                region=region,
                timezone=tz,
                senior=senior,
                max_chats=3,
                max_emails=5,
                shifts=[
                    {
                        "days": [0, 1, 2, 3, 4] + ([5, 6] if weekend else []),
                        "start": "08:00" if i % 2 else "12:00",
                        "end": "17:00" if i % 2 else "21:00",
                    }
                ],
                state="offline",
                sip_username=f"agent{100 + i}",
            )
        )
    session.add_all(agents)

    seed_queues(session)

    customers = []
    emails: set[str] = set()
    for region, count in cat.REGION_COUNTS.items():
        langs, zones, currency = cat.REGIONS[region]
        for _ in range(count):
            language = _weighted(rng, langs)
            name = _name(rng, region, language)
            local = f"customer{len(customers) + 1:03d}"
            email = f"{local}@mail.example.com"
            emails.add(email)
            segment = rng.choices(["mass", "affluent", "hnw", "private"], weights=[5, 3, 2, 1])[0]
            customers.append(
                Customer(
                    name=name,
                    language=language,
                    region=region,
                    timezone=rng.choice(zones),
                    phone=_phone(rng, region),
                    email=email,
                    id_number=f"{region}{rng.randint(10**9, 10**10 - 1)}",
                    date_of_birth=date(
                        rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    segment=segment,
                    risk_rating=rng.randint(1, 5),
                    risk_assessed_at=(now - timedelta(days=rng.randint(10, 700))).date(),
                    consent_marketing=rng.random() < 0.6,
                    consent_recording=True,
                    do_not_call=rng.random() < 0.08,
                )
            )
    session.add_all(customers)
    session.flush()

    for c in customers:
        for p in rng.sample(products, k=rng.randint(0, 4)):
            qty = Decimal(rng.randint(1, 500) * 100)
            session.add(
                Holding(
                    customer_id=c.id,
                    product_code=p.code,
                    quantity=qty,
                    cost=(qty * p.unit_price * Decimal(str(rng.uniform(0.85, 1.1)))).quantize(
                        Decimal("0.01")
                    ),
                    currency=p.currency,
                    opened_at=(now - timedelta(days=rng.randint(30, 1500))).date(),
                )
            )

    by_lang: dict[str, list[Agent]] = {}
    for a in agents:
        for lang in a.languages:
            by_lang.setdefault(lang, []).append(a)
    channels = ["voice", "voice", "chat", "chat", "email", "message"]
    for i in range(140):
        c = customers[i % len(customers)] if i < len(customers) else rng.choice(customers)
        agent = rng.choice(by_lang[c.language])
        if i < 8:  # the demo agent login serves a handful of customers
            agent = agents[3]
        script = rng.choice(cat.CONVERSATIONS[c.language])
        started = now - timedelta(days=rng.randint(0, 29), minutes=rng.randint(0, 1440))
        duration = rng.randint(90, 900)
        contact = Contact(
            customer_id=c.id,
            channel=rng.choice(channels),
            direction="outbound" if rng.random() < 0.15 else "inbound",
            status="ended",
            language=c.language,
            queue=f"{c.region.lower()}-general",
            agent_id=agent.id,
            subject="",
            started_at=started,
            answered_at=started + timedelta(seconds=rng.randint(3, 40)),
            ended_at=started + timedelta(seconds=duration),
            disposition=rng.choice(cat.DISPOSITIONS),
        )
        session.add(contact)
        session.flush()
        t = 0.0
        for seq, (speaker, text) in enumerate(script):
            length = max(1.5, len(text) / 6)
            session.add(
                Utterance(
                    contact_id=contact.id,
                    seq=seq,
                    speaker=speaker,
                    text=text,
                    start=round(t, 1),
                    end=round(t + length, 1),
                )
            )
            t += length + 0.6

    logins = []
    for role in DEMO_ROLES:
        username = role.split("_")[0] if role != "compliance_officer" else "compliance"
        password = secrets.token_urlsafe(9)
        session.add(
            User(
                username=username,
                full_name=f"Demo {role.replace('_', ' ')}",
                role=role,
                password_hash=hash_password(password),
                agent_id=agents[3].id if role == "agent" else None,
            )
        )
        logins.append(DemoLogin(username=username, role=role, password=password))
    session.flush()
    seed_demo_extras(session, customers)
    from fincall.outbound.demo import seed_demo_campaigns

    seed_demo_campaigns(session)
    audit.record(
        session=session,
        actor=audit.Actor.system(),
        action="demo.seed",
        entity_type="tenant",
        entity_id="demo",
        detail={
            "customers": len(customers),
            "agents": len(agents),
            "products": len(products),
            "users": [lg.username for lg in logins],
        },
    )
    return logins


def seed_demo_extras(session: Session, customers: list[Customer]) -> None:
    """Accounts and cards behind the self-service bot, and the approved starter knowledge base."""
    from fincall.flows.demo_banking import currency_for_region, seed_demo_banking
    from fincall.knowledge.service import import_articles

    seed_demo_banking(session, [(c.id, currency_for_region(c.region)) for c in customers])
    officer = session.execute(select(User).where(User.role == "compliance_officer")).scalar_one()
    import_articles(
        session=session,
        imported_by="system:starter-kb",
        approver_id=officer.id,
        approver_role="compliance_officer",
    )


def seed_queues(session: Session) -> None:
    """The demo queues: VIP, specialist and per-language general queues, email and messaging."""
    for qid, name, prio, (frac, secs), skills, lang, overflow, vip, timeout in cat.QUEUES:
        if session.get(Queue, qid) is None:
            session.add(
                Queue(
                    id=qid,
                    name=name,
                    priority=prio,
                    sl_target=frac,
                    sl_seconds=secs,
                    skills=skills,
                    language=lang,
                    overflow=overflow,
                    vip=vip,
                    offer_timeout_seconds=timeout,
                )
            )
    session.flush()


def write_logins(data_dir: Path, logins: list[DemoLogin]) -> Path:
    path = data_dir / LOGINS_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("".join(f"{lg.username}\t{lg.role}\t{lg.password}\n" for lg in logins))
    return path


def read_logins(data_dir: Path) -> list[DemoLogin]:
    path = data_dir / LOGINS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            out.append(DemoLogin(username=parts[0], role=parts[1], password=parts[2]))
    return out
