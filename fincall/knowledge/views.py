"""Knowledge search and agent assist over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from fincall.auth.service import Principal
from fincall.contacts import service as contacts
from fincall.knowledge.assist import AgentAssist, Playbook
from fincall.knowledge.search import SearchHit, SearchIndex
from fincall.web.deps import require, unit_of_work

router = APIRouter(tags=["knowledge"])


def _index(request: Request) -> SearchIndex | None:
    return getattr(request.app.state, "kb_index", None)


def _hit(index: SearchIndex, hit: SearchHit) -> dict[str, Any]:
    doc = next((d for d in index.docs if d.id == hit.doc_id), None)
    body = doc.body if doc is not None else ""
    return {
        "id": hit.doc_id,
        "title": hit.title,
        "language": hit.language,
        "score": round(hit.score, 4),
        "via_twin": hit.via_twin,
        "snippet": " ".join(body.split())[:180],
    }


@router.get("/api/knowledge/search")
def search(
    request: Request,
    q: str = Query(min_length=1, max_length=300),
    language: str | None = Query(default=None, pattern=r"^(en|zh)$"),
    k: int = Query(default=5, ge=1, le=20),
    principal: Principal = Depends(require("knowledge.read")),
) -> dict[str, Any]:
    """Approved, currently valid articles matching ``q`` (BM25 with jieba for Chinese)."""
    index = _index(request)
    if index is None:
        return {"ready": False, "hits": []}
    return {
        "ready": True,
        "hits": [_hit(index, h) for h in index.search(q, language=language, k=k)],
    }


@router.get("/api/desk/contacts/{contact_id}/assist")
def assist(
    contact_id: str, request: Request, principal: Principal = Depends(require("desk.use"))
) -> dict[str, Any]:
    """Suggested articles and next-best actions for the conversation so far."""
    with unit_of_work(request) as session:
        contact = contacts.access_contact(
            session=session, principal=principal, contact_id=contact_id
        )
        lines = list(contact.utterances)
        intent = (contact.attributes or {}).get("handoff", {}) or {}
        intent_name = intent.get("intent") if isinstance(intent, dict) else None
        language = "zh" if (contact.language or "").startswith("zh") else "en"
    index = _index(request)
    if index is None:
        return {"ready": False, "articles": [], "actions": []}
    playbook = getattr(request.app.state, "kb_playbook", None) or Playbook.load()
    found = AgentAssist(index, playbook).suggest(lines=lines, intent=intent_name, language=language)
    return {
        "ready": True,
        "intent": intent_name,
        "articles": [_hit(index, h) for h in found.articles],
        "actions": [a.label for a in found.actions],
    }
