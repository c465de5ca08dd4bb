"""Approval workflow: draft, approval by a compliance officer, only approved+valid searchable."""

from __future__ import annotations

from datetime import date

import pytest

from fincall.knowledge import service
from fincall.knowledge.errors import ApprovalForbidden, ArticleInvalid, VersionStateConflict

TODAY = date(2026, 6, 1)


def _draft(session, key="fees-en", **kw):
    args = {
        "session": session,
        "key": key,
        "language": "en",
        "title": "Overdraft fees",
        "body": "An arranged overdraft costs 19.9% APR.",
        "author": "usr_writer",
        "valid_from": date(2026, 1, 1),
        "tags": ["overdraft", "fees"],
    }
    args.update(kw)
    return service.create_article(**args)


def _ids(session, on=TODAY):
    return [d.id for d in service.searchable_docs(session=session, on=on)]


def test_draft_is_not_searchable_until_approved(session):
    v = _draft(session)
    assert v.state == "draft" and _ids(session) == []
    service.approve_version(
        session=session, version_id=v.id, approver_id="usr_co", approver_role="compliance_officer"
    )
    assert v.state == "approved" and v.approved_by == "usr_co" and v.approved_at is not None
    assert _ids(session) == ["fees-en"]


@pytest.mark.parametrize("role", ["agent", "supervisor", "qa_analyst", "admin"])
def test_only_compliance_officer_approves(session, role):
    v = _draft(session)
    with pytest.raises(ApprovalForbidden):
        service.approve_version(
            session=session, version_id=v.id, approver_id="usr_x", approver_role=role
        )
    assert v.state == "draft"


def test_author_cannot_approve_own_version(session):
    v = _draft(session)
    with pytest.raises(ApprovalForbidden):
        service.approve_version(
            session=session,
            version_id=v.id,
            approver_id="usr_writer",
            approver_role="compliance_officer",
        )


def test_editing_approved_creates_new_draft_and_old_stays_live(session):
    v1 = _draft(session)
    service.approve_version(
        session=session, version_id=v1.id, approver_id="usr_co", approver_role="compliance_officer"
    )
    v2 = service.edit_article(
        session=session, key="fees-en", author="usr_writer", body="Now 21.9% APR."
    )
    assert v2.version == 2 and v2.state == "draft" and v1.state == "approved"
    docs = service.searchable_docs(session=session, on=TODAY)
    assert [d.body for d in docs] == ["An arranged overdraft costs 19.9% APR."]
    v2b = service.edit_article(
        session=session, key="fees-en", author="usr_writer", title="Overdraft charges"
    )
    assert v2b.id == v2.id and v2b.title == "Overdraft charges"  # a draft is edited in place
    service.approve_version(
        session=session, version_id=v2.id, approver_id="usr_co", approver_role="compliance_officer"
    )
    assert v1.state == "superseded"
    docs = service.searchable_docs(session=session, on=TODAY)
    assert [(d.title, d.body) for d in docs] == [("Overdraft charges", "Now 21.9% APR.")]
    with pytest.raises(VersionStateConflict):
        service.approve_version(
            session=session,
            version_id=v1.id,
            approver_id="usr_co",
            approver_role="compliance_officer",
        )


def test_validity_window(session):
    v = _draft(session, valid_from=date(2026, 3, 1), valid_to=date(2026, 4, 30))
    service.approve_version(
        session=session, version_id=v.id, approver_id="usr_co", approver_role="compliance_officer"
    )
    assert _ids(session, date(2026, 2, 28)) == []
    assert _ids(session, date(2026, 3, 1)) == ["fees-en"]
    assert _ids(session, date(2026, 4, 30)) == ["fees-en"]
    assert _ids(session, date(2026, 5, 1)) == []


def test_bad_input_rejected(session):
    with pytest.raises(ArticleInvalid):
        _draft(session, valid_from=date(2026, 5, 1), valid_to=date(2026, 4, 1))
    with pytest.raises(ArticleInvalid):
        _draft(session, language="fr")
    _draft(session)
    with pytest.raises(VersionStateConflict):
        _draft(session)
    with pytest.raises(ArticleInvalid):
        service.edit_article(session=session, key="fees-en", author="usr_writer", state="approved")


def test_retire_hides_article(session):
    v = _draft(session)
    service.approve_version(
        session=session, version_id=v.id, approver_id="usr_co", approver_role="compliance_officer"
    )
    with pytest.raises(ApprovalForbidden):
        service.retire_article(session=session, key="fees-en", actor_role="agent")
    service.retire_article(session=session, key="fees-en", actor_role="compliance_officer")
    assert _ids(session) == []


def test_import_starter_kb_idempotent(session):
    report = service.import_articles(
        session=session,
        imported_by="system",
        approver_id="usr_co",
        approver_role="compliance_officer",
    )
    assert report.created >= 40 and report.approved == report.created
    langs = [d.language for d in service.searchable_docs(session=session, on=TODAY)]
    assert langs.count("en") >= 20 and langs.count("zh") >= 20
    again = service.import_articles(
        session=session,
        imported_by="system",
        approver_id="usr_co",
        approver_role="compliance_officer",
    )
    assert again.created == 0 and again.updated == 0 and again.unchanged == report.created


def test_import_without_approver_leaves_drafts(session):
    report = service.import_articles(session=session, imported_by="system")
    assert report.created >= 40 and report.approved == 0
    assert _ids(session) == []


def test_import_changed_file_makes_new_draft(session, tmp_path):
    src = tmp_path / "a.md"
    text = (
        "---\nid: a-en\nlanguage: en\ntitle: A\nvalid_from: 2026-01-01\nversion: 1\n"
        "state: approved\n---\nFirst body.\n"
    )
    src.write_text(text, encoding="utf-8")
    kw = {
        "session": session,
        "imported_by": "system",
        "directory": tmp_path,
        "approver_id": "usr_co",
        "approver_role": "compliance_officer",
    }
    service.import_articles(**kw)
    src.write_text(text.replace("First body.", "Second body."), encoding="utf-8")
    report = service.import_articles(**kw)
    assert report.updated == 1 and report.approved == 1
    art = service.get_article(session=session, key="a-en")
    states = [
        (v.version, v.state) for v in service.list_versions(session=session, article_id=art.id)
    ]
    assert states == [(1, "superseded"), (2, "approved")]
