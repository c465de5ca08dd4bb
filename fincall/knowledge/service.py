"""Knowledge-base use cases: drafting, compliance approval, import and the search index.

Services never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincall.core.clock import utcnow
from fincall.core.events import emit
from fincall.core.ids import new_id
from fincall.knowledge.articles import ARTICLES_DIR, LANGUAGES, load_article_dir
from fincall.knowledge.errors import (
    ApprovalForbidden,
    ArticleInvalid,
    ArticleNotFound,
    VersionStateConflict,
)
from fincall.knowledge.models import KbArticle, KbArticleVersion
from fincall.knowledge.search import Embedder, Glossary, KbDoc, SearchIndex

APPROVER_ROLE = "compliance_officer"
EDITABLE_FIELDS = ("title", "body", "products", "tags", "jurisdiction", "valid_from", "valid_to")


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    approved: int


def get_article(*, session: Session, key: str) -> KbArticle:
    """The article with this key."""
    art = session.scalar(select(KbArticle).where(KbArticle.key == key))
    if art is None:
        raise ArticleNotFound(f"no article '{key}'", key=key)
    return art


def list_versions(*, session: Session, article_id: str) -> list[KbArticleVersion]:
    """All versions of an article, oldest first."""
    return list(
        session.scalars(
            select(KbArticleVersion)
            .where(KbArticleVersion.article_id == article_id)
            .order_by(KbArticleVersion.version)
        )
    )


def latest_version(*, session: Session, article_id: str) -> KbArticleVersion:
    """The newest version of an article, whatever its state."""
    versions = list_versions(session=session, article_id=article_id)
    if not versions:
        raise ArticleNotFound("article has no version", article_id=article_id)
    return versions[-1]


def _check_fields(fields: dict[str, Any]) -> None:
    if not str(fields.get("title", "")).strip() or not str(fields.get("body", "")).strip():
        raise ArticleInvalid("an article needs a title and a body")
    vf, vt = fields.get("valid_from"), fields.get("valid_to")
    if vt is not None and vf is not None and vt < vf:
        raise ArticleInvalid("valid_to is before valid_from")


def create_article(
    *,
    session: Session,
    key: str,
    language: str,
    title: str,
    body: str,
    author: str,
    valid_from: date,
    valid_to: date | None = None,
    twin: str | None = None,
    products: Sequence[str] = (),
    tags: Sequence[str] = (),
    jurisdiction: Sequence[str] = ("ALL",),
) -> KbArticleVersion:
    """Create an article with a first draft version."""
    if language not in LANGUAGES:
        raise ArticleInvalid(f"language must be one of {LANGUAGES}", language=language)
    if session.scalar(select(KbArticle.id).where(KbArticle.key == key)) is not None:
        raise VersionStateConflict(f"article '{key}' already exists", key=key)
    fields = {"title": title, "body": body, "valid_from": valid_from, "valid_to": valid_to}
    _check_fields(fields)
    now = utcnow()
    art = KbArticle(
        id=new_id("kba"), key=key, twin=twin, language=language, created_by=author, created_at=now
    )
    session.add(art)
    version = KbArticleVersion(
        id=new_id("kbv"),
        article_id=art.id,
        version=1,
        state="draft",
        title=title,
        body=body,
        products=list(products),
        tags=list(tags),
        jurisdiction=list(jurisdiction),
        valid_from=valid_from,
        valid_to=valid_to,
        author=author,
        created_at=now,
    )
    session.add(version)
    session.flush()
    return version


def edit_article(*, session: Session, key: str, author: str, **changes: Any) -> KbArticleVersion:
    """Edit the draft in place, or start a new draft when the newest version is approved."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ArticleInvalid(f"cannot edit {sorted(unknown)}", fields=sorted(unknown))
    art = get_article(session=session, key=key)
    latest = latest_version(session=session, article_id=art.id)
    if latest.state == "draft":
        fields = {f: changes.get(f, getattr(latest, f)) for f in EDITABLE_FIELDS}
        _check_fields(fields)
        for name, value in changes.items():
            setattr(latest, name, list(value) if isinstance(value, tuple) else value)
        latest.author = author
        session.flush()
        return latest
    fields = {f: changes.get(f, getattr(latest, f)) for f in EDITABLE_FIELDS}
    _check_fields(fields)
    draft = KbArticleVersion(
        id=new_id("kbv"),
        article_id=art.id,
        version=latest.version + 1,
        state="draft",
        author=author,
        created_at=utcnow(),
        **{k: list(v) if isinstance(v, tuple | list) else v for k, v in fields.items()},
    )
    session.add(draft)
    session.flush()
    return draft


def check_approve(*, version: KbArticleVersion, approver_id: str, approver_role: str) -> None:
    """Only a compliance officer who did not write the version may approve a draft."""
    if approver_role != APPROVER_ROLE:
        raise ApprovalForbidden(
            "only a compliance officer may approve articles", role=approver_role
        )
    if approver_id == version.author:
        raise ApprovalForbidden("the author cannot approve their own version", user=approver_id)
    if version.state != "draft":
        raise VersionStateConflict(
            f"version is {version.state}, only a draft can be approved", state=version.state
        )


def approve_version(
    *, session: Session, version_id: str, approver_id: str, approver_role: str
) -> KbArticleVersion:
    """Approve a draft; the previously approved version of the article is superseded."""
    version = session.get(KbArticleVersion, version_id)
    if version is None:
        raise ArticleNotFound("no such version", version_id=version_id)
    check_approve(version=version, approver_id=approver_id, approver_role=approver_role)
    for old in session.scalars(
        select(KbArticleVersion).where(
            KbArticleVersion.article_id == version.article_id, KbArticleVersion.state == "approved"
        )
    ):
        old.state = "superseded"
    version.state = "approved"
    version.approved_by = approver_id
    version.approved_at = utcnow()
    session.flush()
    emit(session, "kb.version_approved", article_id=version.article_id, version_id=version.id)
    return version


def retire_article(*, session: Session, key: str, actor_role: str) -> None:
    """Withdraw an article from agents and bots (compliance officers only)."""
    if actor_role != APPROVER_ROLE:
        raise ApprovalForbidden("only a compliance officer may retire articles", role=actor_role)
    art = get_article(session=session, key=key)
    for v in list_versions(session=session, article_id=art.id):
        if v.state in ("approved", "draft"):
            v.state = "retired"
    session.flush()
    emit(session, "kb.article_retired", article_id=art.id)


def searchable_docs(*, session: Session, on: date | None = None) -> list[KbDoc]:
    """Approved versions valid on ``on`` (today by default): all that agents and bots may see."""
    day = on or utcnow().date()
    rows = session.execute(
        select(KbArticle, KbArticleVersion)
        .join(KbArticleVersion, KbArticleVersion.article_id == KbArticle.id)
        .where(KbArticleVersion.state == "approved", KbArticleVersion.valid_from <= day)
        .order_by(KbArticle.key)
    )
    return [
        KbDoc(
            id=art.key,
            language=art.language,
            title=v.title,
            body=v.body,
            twin=art.twin,
            tags=tuple(v.tags or ()),
            products=tuple(v.products or ()),
            jurisdiction=tuple(v.jurisdiction or ("ALL",)),
        )
        for art, v in rows
        if v.valid_to is None or v.valid_to >= day
    ]


def build_index(
    *,
    session: Session,
    on: date | None = None,
    glossary: Glossary | None = None,
    embedder: Embedder | None = None,
    vector_cache: MutableMapping[str, np.ndarray] | None = None,
) -> SearchIndex:
    """A search index over what agents and bots may see now (rebuild after approvals)."""
    return SearchIndex(
        searchable_docs(session=session, on=on),
        glossary=glossary if glossary is not None else Glossary.load(),
        embedder=embedder,
        vector_cache=vector_cache,
    )


def import_articles(
    *,
    session: Session,
    imported_by: str,
    directory: Path | str = ARTICLES_DIR,
    approver_id: str | None = None,
    approver_role: str | None = None,
) -> ImportReport:
    """Load article files: new articles are created, changed ones get a new draft.

    Files marked ``state: approved`` are approved only when a compliance officer
    (``approver_id``/``approver_role``) is given; otherwise they stay drafts. Idempotent.
    """
    files = load_article_dir(directory)
    created = updated = unchanged = approved = 0
    for f in files:
        fields: dict[str, Any] = {
            "title": f.title,
            "body": f.body,
            "products": list(f.products),
            "tags": list(f.tags),
            "jurisdiction": list(f.jurisdiction),
            "valid_from": f.valid_from,
            "valid_to": f.valid_to,
        }
        existing = session.scalar(select(KbArticle).where(KbArticle.key == f.key))
        if existing is None:
            version = create_article(
                session=session,
                key=f.key,
                language=f.language,
                twin=f.twin,
                author=imported_by,
                **fields,
            )
            created += 1
        else:
            latest = latest_version(session=session, article_id=existing.id)
            if all(getattr(latest, k) == v for k, v in fields.items()):
                unchanged += 1
                version = latest
            else:
                version = edit_article(session=session, key=f.key, author=imported_by, **fields)
                updated += 1
        if f.state == "approved" and version.state == "draft" and approver_id and approver_role:
            approve_version(
                session=session,
                version_id=version.id,
                approver_id=approver_id,
                approver_role=approver_role,
            )
            approved += 1
    return ImportReport(created=created, updated=updated, unchanged=unchanged, approved=approved)


def count_articles(*, session: Session) -> int:
    """Number of articles (any state)."""
    return int(session.scalar(select(func.count()).select_from(KbArticle)) or 0)
