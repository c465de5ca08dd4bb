"""The one table of who may do what. Every route names one permission from here."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    QA_ANALYST = "qa_analyst"
    COMPLIANCE_OFFICER = "compliance_officer"
    ADMIN = "admin"


ALL_ROLES = frozenset(Role)
_A, _S, _Q, _C, _ADM = (
    Role.AGENT,
    Role.SUPERVISOR,
    Role.QA_ANALYST,
    Role.COMPLIANCE_OFFICER,
    Role.ADMIN,
)

PERMISSIONS: dict[str, frozenset[Role]] = {
    # customers (agents only see the customers they serve: see scope_all below)
    "customers.read": frozenset({_A, _S, _Q, _C, _ADM}),
    "customers.read_all": frozenset({_S, _Q, _C, _ADM}),
    "customers.write": frozenset({_S, _ADM}),
    "customers.delete": frozenset({_ADM}),
    "customers.unmask": frozenset({_C}),
    # product catalogue
    "products.read": frozenset({_A, _S, _Q, _C, _ADM}),
    "products.write": frozenset({_ADM}),
    # agents
    "agents.read": frozenset({_S, _Q, _C, _ADM}),
    "agents.write": frozenset({_S, _ADM}),
    "agents.delete": frozenset({_ADM}),
    # contacts
    "contacts.read": frozenset({_A, _S, _Q, _C, _ADM}),
    "contacts.read_all": frozenset({_S, _Q, _C, _ADM}),
    "contacts.write": frozenset({_A, _S, _ADM}),
    "contacts.delete": frozenset({_ADM}),
    # routing: the agent desktop, the supervisor wall, queue configuration
    "desk.use": frozenset({_A}),
    "wall.view": frozenset({_S, _ADM}),
    "wall.control": frozenset({_S}),
    "queues.read": frozenset({_A, _S, _Q, _C, _ADM}),
    "queues.write": frozenset({_S, _ADM}),
    "routing.read": frozenset({_S, _Q, _C, _ADM}),
    # knowledge base
    "knowledge.read": frozenset({_A, _S, _Q, _C, _ADM}),
    # quality inspection and coaching
    "qa.read": frozenset({_S, _Q, _C, _ADM}),
    "qa.write": frozenset({_Q, _C}),
    "coaching.read": frozenset({_S, _Q}),
    "coaching.write": frozenset({_S, _Q}),
    # outbound campaigns and do-not-call
    "outbound.read": frozenset({_S, _C, _ADM}),
    "outbound.write": frozenset({_S, _ADM}),
    "outbound.check": frozenset({_A, _S, _C, _ADM}),
    "outbound.dial": frozenset({_A, _S}),
    "dnc.write": frozenset({_S, _C}),
    # call recordings
    "recordings.play": frozenset({_S, _Q, _C}),
    "recordings.hold": frozenset({_C}),
    # people and the audit chain
    "users.read": frozenset({_ADM}),
    "users.write": frozenset({_ADM}),
    "audit.read": frozenset({_C, _ADM}),
    "audit.verify": frozenset({_C, _ADM}),
    # one's own login
    "self.read": frozenset({_A, _S, _Q, _C, _ADM}),
    "customers.reveal": frozenset({_A, _S, _C}),
}


def roles_for(permission: str) -> frozenset[Role]:
    """Roles holding ``permission``; an unknown permission is a programming error."""
    return PERMISSIONS[permission]


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]
