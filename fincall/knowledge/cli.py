"""``fincall knowledge ...``: check article files and search them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from fincall.knowledge.articles import ARTICLES_DIR, load_article_dir
from fincall.knowledge.errors import ArticleInvalid
from fincall.knowledge.search import Glossary, KbDoc, SearchIndex

app = typer.Typer(help="Knowledge base: articles and search.")
console = Console(soft_wrap=True)


@app.command()
def check(directory: Path = typer.Argument(ARTICLES_DIR, help="Folder of *.md articles")) -> None:
    """Validate article files; exit 1 naming file and line on the first bad one."""
    try:
        arts = load_article_dir(directory)
    except ArticleInvalid as exc:
        console.print(f"[red]error[/red] {exc.message}", highlight=False)
        raise typer.Exit(code=1) from exc
    langs = {lang: sum(a.language == lang for a in arts) for lang in ("en", "zh")}
    twins = {a.twin for a in arts if a.twin}
    console.print(f"{len(arts)} articles ({langs['en']} en, {langs['zh']} zh), {len(twins)} twins")


@app.command()
def search(
    query: str,
    language: str = typer.Option(None, "--lang", help="en or zh (default: the query's)"),
    k: int = typer.Option(3, "-k", help="Number of results"),
    directory: Path = typer.Option(ARTICLES_DIR, help="Folder of *.md articles"),
) -> None:
    """Search the approved article files; print one JSON object per hit."""
    try:
        arts = load_article_dir(directory)
    except ArticleInvalid as exc:
        console.print(f"[red]error[/red] {exc.message}", highlight=False)
        raise typer.Exit(code=1) from exc
    docs = [
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
        for a in arts
        if a.state == "approved"
    ]
    index = SearchIndex(docs, glossary=Glossary.load())
    for hit in index.search(query, language=language, k=k):
        typer.echo(
            json.dumps(
                {
                    "id": hit.doc_id,
                    "title": hit.title,
                    "language": hit.language,
                    "score": hit.score,
                },
                ensure_ascii=False,
            )
        )
