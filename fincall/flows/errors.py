"""Domain errors of the flow engine and the core-banking adapter."""

from __future__ import annotations

from fincall.core.errors import DomainError, Forbidden, Invalid, NotFound


class FlowDefinitionError(Invalid):
    """A flow file is malformed; the message names the file, the line and the problem."""

    code = "flow-definition-invalid"

    def __init__(self, *, file: str, line: int | None, problem: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {problem}", file=file, line=line, problem=problem)
        self.file = file
        self.line = line
        self.problem = problem


class FlowStateError(Invalid):
    """The runner was driven in a way its state does not allow (e.g. input after the end)."""

    code = "flow-state-invalid"


class BankingError(DomainError):
    """A core-banking call could not be completed."""

    code = "banking-error"
    kind = "unavailable"


class AccountNotFound(NotFound):
    code = "bank-account-not-found"


class CardNotFound(NotFound):
    code = "bank-card-not-found"


class TransferNotFound(NotFound):
    code = "bank-transfer-not-found"


class VerificationRequired(Forbidden):
    """A self-service action that discloses account data was asked for before verification."""

    code = "identity-verification-required"


class UnknownMarketCode(NotFound):
    code = "market-code-unknown"
