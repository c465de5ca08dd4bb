"""Bilingual search over the starter articles, cross-lingual twins, hybrid ranking, assist."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.flows.types import Turn
from fincall.knowledge.articles import load_article_dir
from fincall.knowledge.assist import AgentAssist, AssistSession, Playbook
from fincall.knowledge.search import BM25, Glossary, KbDoc, SearchIndex
from fincall.knowledge.text import stem, tokens


@pytest.fixture(scope="module")
def docs() -> list[KbDoc]:
    return [
        KbDoc(
            id=a.key,
            language=a.language,
            title=a.title,
            body=a.body,
            twin=a.twin,
            tags=a.tags,
            products=a.products,
            jurisdiction=a.jurisdiction,
        )
        for a in load_article_dir()
    ]


@pytest.fixture(scope="module")
def index(docs) -> SearchIndex:
    return SearchIndex(docs, glossary=Glossary.load())


def _top(index, q, lang, k=3):
    return [h.doc_id for h in index.search(q, language=lang, k=k)]


@pytest.mark.parametrize(
    ("query", "lang", "want"),
    [
        ("someone took my purse with my bank cards", "en", "card-loss-en"),
        ("forgot the secret number for my card", "en", "pin-reset-en"),
        ("what is the sharia word instead of interest", "en", "islamic-terms-en"),
        ("my questionnaire says conservative, can I buy an equity fund", "en", "suitability-en"),
        ("我的卡在地铁上丢了", "zh", "card-loss-zh"),
        ("取款密码忘记了怎么办", "zh", "pin-reset-zh"),
        ("银行会把我的资料报给美国国税局吗", "zh", "fatca-basics-zh"),
        ("你们的服务太差了，我要投诉", "zh", "complaints-zh"),
        ("我的信用卡遺失了，要怎樣掛失", "zh", "card-loss-zh"),  # Traditional script
    ],
)
def test_search_both_languages(index, query, lang, want):
    assert want in _top(index, query, lang)


def test_results_follow_requested_language_via_twins(index):
    hits = index.search("I lost my card on the bus", language="zh", k=3)
    assert hits[0].doc_id == "card-loss-zh" and hits[0].language == "zh"
    hits = index.search("我的卡丢了", language="en", k=3)
    assert hits[0].doc_id == "card-loss-en"


def test_one_result_per_twin_group(index):
    hits = index.search("card lost stolen freeze", k=10)
    groups = [h.twin or h.doc_id for h in hits]
    assert len(groups) == len(set(groups))


@pytest.mark.parametrize(
    ("query", "other", "want"),
    [
        ("how do I reset my PIN", "zh", "pin-reset-zh"),
        ("murabaha cost plus financing", "zh", "murabaha-zh"),
        ("基金风险等级R1到R5是什么意思", "en", "fund-risk-levels-en"),
        ("有人冒充银行问我要验证码", "en", "fraud-scams-en"),
    ],
)
def test_cross_lingual_without_same_language_article(docs, query, other, want):
    only_other = SearchIndex([d for d in docs if d.language == other], glossary=Glossary.load())
    assert want in _top(only_other, query, other)


def test_glossary_translates_queries():
    g = Glossary.load()
    translated, _ = g.expansions("I lost my card")
    assert "挂失" in translated and "银行卡" in translated
    translated, _ = g.expansions("怎么查汇率")
    assert "exchange rate" in translated


def test_filters(index):
    hits = index.search("deposit protection limit", k=10, jurisdiction="US")
    assert all(h.doc_id.split("-")[0] != "time" for h in hits)  # time deposits are not US
    hits = index.search("fees", k=10, products=["loan"])
    assert hits and all(h.twin == "loan-apr" for h in hits)


class ConceptEmbedder:
    """A tiny deterministic embedder over glossary concepts (same concept, same direction)."""

    def __init__(self) -> None:
        self.g = Glossary.load()
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), len(self.g.entries) + 1), dtype=np.float32)
        for i, t in enumerate(texts):
            for c in self.g.concepts(t):
                out[i, c] = 1.0
            out[i, -1] = 0.01
            out[i] /= np.linalg.norm(out[i])
        return out


def test_hybrid_uses_embeddings(docs):
    emb = ConceptEmbedder()
    hybrid = SearchIndex(docs, embedder=emb)
    hits = hybrid.search("someone got hold of my bank card", language="en", k=3)
    assert hits[0].semantic is not None and emb.calls == 2
    lexical_only = SearchIndex(docs)
    assert lexical_only.search("someone got hold of my bank card", k=1)[0].semantic is None


def test_bm25_prefers_rarer_terms():
    bm = BM25([["card", "fee"], ["card", "loan"], ["card", "pin"]])
    s = bm.scores({"card": 1.0, "loan": 1.0})
    assert s.argmax() == 1 and s[0] == s[2] > 0


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=60))
def test_tokens_and_search_never_fail(index, text):
    toks = tokens(text)
    assert all(t and t == t.lower() for t in toks)
    hits = index.search(text, k=3)
    assert len(hits) <= 3


def test_stemming_joins_word_forms():
    assert stem("charges") == stem("charged") == stem("charge")
    assert stem("arrived") == stem("arrive")


def test_assist_refreshes_with_conversation(index):
    session = AssistSession(AgentAssist(index, Playbook.load()), language="en")
    first = session.update(Turn("customer", "hello"))
    assert [a.id for a in first.actions] == ["verify_identity"]
    second = session.update(
        Turn("customer", "my card was stolen this morning"), intent="lost_or_stolen_card"
    )
    assert second.changed and second.articles[0].doc_id == "card-loss-en"
    assert second.actions[0].id == "freeze_card"
    third = session.update(Turn("agent", "I'm sorry to hear that"))
    assert third.changed is False
    fourth = session.update(
        Turn("customer", "and I want to complain about how long I waited"), intent="complaint"
    )
    assert fourth.changed and fourth.actions[0].id == "log_complaint"
    assert "complaints-en" in [h.doc_id for h in fourth.articles]


def test_assist_in_chinese(index):
    assist = AgentAssist(index, Playbook.load())
    out = assist.suggest(
        lines=[Turn("customer", "我想买基金，风险高不高")], intent="fund_recommendation"
    )
    assert out.actions[0].label.startswith("核对客户风险评级")
    assert {"suitability-zh", "fund-risk-levels-zh"} & {h.doc_id for h in out.articles}


def test_vector_cache_embeds_only_new_documents(docs):
    emb = ConceptEmbedder()
    cache: dict = {}
    SearchIndex(docs[:10], embedder=emb, vector_cache=cache)
    assert len(cache) == 10 and emb.calls == 1
    SearchIndex(docs[:10], embedder=emb, vector_cache=cache)
    assert emb.calls == 1  # nothing new to embed
    SearchIndex(docs[:12], embedder=emb, vector_cache=cache)
    assert emb.calls == 2 and len(cache) == 12
