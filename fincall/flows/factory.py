"""Assemble the runner's dependencies for the demo (the lead's start-up code calls this)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fincall.flows.banking import MarketData
from fincall.flows.demo_banking import DemoCoreBanking, SmsSender
from fincall.flows.engine import FlowRunner, FlowServices
from fincall.flows.loader import Flow
from fincall.flows.market import SimulatedMarketFeed
from fincall.flows.types import (
    EntityExtractor,
    IntentClassifier,
    ReplyGuard,
    SentimentFn,
)


def demo_runner(
    *,
    flow: Flow,
    session: Session,
    classifier: IntentClassifier,
    guard: ReplyGuard,
    sms: SmsSender,
    customer_id: str | None,
    language: str,
    extractor: EntityExtractor | None = None,
    sentiment: SentimentFn | None = None,
    market: MarketData | None = None,
) -> FlowRunner:
    """A runner over the demo core-banking tables in ``session`` (the caller commits)."""
    banking = DemoCoreBanking(session=session, market=market or SimulatedMarketFeed(), sms=sms)
    services = FlowServices(
        classifier=classifier,
        guard=guard,
        banking=banking,
        verifier=banking,
        extractor=extractor,
        sentiment=sentiment,
    )
    return FlowRunner(flow, services, language=language, customer_id=customer_id)
