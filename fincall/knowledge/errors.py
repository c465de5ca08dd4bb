"""Domain errors of the knowledge base."""

from __future__ import annotations

from fincall.core.errors import Conflict, Forbidden, Invalid, NotFound


class ArticleInvalid(Invalid):
    """An article file or field is malformed; the message names the file and line."""

    code = "kb-article-invalid"


class ArticleNotFound(NotFound):
    code = "kb-article-not-found"


class ApprovalForbidden(Forbidden):
    """Only a compliance officer other than the author may approve a version."""

    code = "kb-approval-forbidden"


class VersionStateConflict(Conflict):
    code = "kb-version-state-conflict"
