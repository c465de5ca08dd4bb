"""Named self-service actions a flow may call, each through the core-banking adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from fincall.flows.banking import CoreBanking


@dataclass(frozen=True, slots=True)
class ActionContext:
    banking: CoreBanking
    customer_id: str | None
    language: str
    verified: bool


@dataclass(frozen=True, slots=True)
class ActionSpec:
    run: Callable[[ActionContext, dict[str, str]], dict[str, str]]
    requires_verification: bool  # discloses account data or changes credentials
    requires_customer: bool


class MissingCustomer(Exception):
    """The conversation has no identified customer for an account action."""


def _zh(lang: str) -> bool:
    return lang.lower().startswith("zh")


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


_KIND = {"current": ("current account", "活期账户"), "savings": ("savings account", "储蓄账户")}


def _balance(ctx: ActionContext, args: dict[str, str]) -> dict[str, str]:
    rows = ctx.banking.get_balance(ctx.customer_id or "", args.get("account") or None)
    parts = []
    for r in rows:
        en, zh = _KIND.get(r.kind, (r.kind, r.kind))
        if _zh(ctx.language):
            bal, avail = _money(r.balance, r.currency), _money(r.available, r.currency)
            parts.append(f"{zh} {r.account}：余额 {bal}，可用 {avail}")
        else:
            parts.append(
                f"{en} {r.account}: balance {_money(r.balance, r.currency)}, "
                f"available {_money(r.available, r.currency)}"
            )
    return {"balance_text": "；".join(parts) if _zh(ctx.language) else "; ".join(parts)}


def _transactions(ctx: ActionContext, args: dict[str, str]) -> dict[str, str]:
    rows = ctx.banking.recent_transactions(ctx.customer_id or "", args.get("account") or None, 5)
    sep = "；" if _zh(ctx.language) else "; "
    text = sep.join(
        f"{t.booked_at.date().isoformat()} {t.description} {_money(t.amount, t.currency)}"
        for t in rows
    )
    return {"transactions_text": text}


def _freeze(ctx: ActionContext, args: dict[str, str]) -> dict[str, str]:
    reason = "stolen" if args.get("reason", "").lower() in {"stolen", "被盗", "被偷"} else "lost"
    res = ctx.banking.freeze_card(ctx.customer_id or "", args["card_last4"], reason)
    return {"case_id": res.case_id, "card_last4": res.card_last4, "card_frozen": "true"}


def _pin_reset(ctx: ActionContext, args: dict[str, str]) -> dict[str, str]:
    res = ctx.banking.start_pin_reset(ctx.customer_id or "", args.get("card_last4") or None)
    return {"pin_reset_reference": res.reference, "pin_reset_destination": res.destination}


def _fx(ctx: ActionContext, args: dict[str, str]) -> dict[str, str]:
    q = ctx.banking.fx_quote(args["pair"])
    return {
        "fx_pair": q.pair,
        "fx_bid": f"{q.bid}",
        "fx_ask": f"{q.ask}",
        "fx_mid": f"{q.mid}",
        "fx_time": q.as_of.strftime("%H:%M UTC"),
    }


_STATUS = {
    "pending": ("is being processed", "处理中"),
    "completed": ("has been completed", "已完成"),
    "failed": ("did not go through", "未成功"),
    "returned": ("was returned", "已退回"),
}


def _transfer(ctx: ActionContext, args: dict[str, str]) -> dict[str, str]:
    t = ctx.banking.transfer_status(ctx.customer_id or "", args["reference"])
    en, zh = _STATUS.get(t.status, (t.status, t.status))
    if _zh(ctx.language):
        text = f"转账 {t.reference}（{_money(t.amount, t.currency)}，收款人 {t.beneficiary}）{zh}。"
    else:
        text = (
            f"Transfer {t.reference} of {_money(t.amount, t.currency)} to {t.beneficiary} {en} "
            f"({t.note})."
        )
    return {"transfer_status": t.status, "transfer_status_text": text}


ACTIONS: dict[str, ActionSpec] = {
    "balance": ActionSpec(_balance, requires_verification=True, requires_customer=True),
    "recent_transactions": ActionSpec(
        _transactions, requires_verification=True, requires_customer=True
    ),
    "freeze_card": ActionSpec(_freeze, requires_verification=False, requires_customer=True),
    "start_pin_reset": ActionSpec(_pin_reset, requires_verification=True, requires_customer=True),
    "fx_quote": ActionSpec(_fx, requires_verification=False, requires_customer=False),
    "transfer_status": ActionSpec(_transfer, requires_verification=True, requires_customer=True),
}
