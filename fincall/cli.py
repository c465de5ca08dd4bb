"""The ``fincall`` command."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from fincall.core.settings import Settings, load_settings

app = typer.Typer(help="fincall: a compliance-first contact center.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="People who log in.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


def _mount_domain_commands() -> None:
    """Each domain package brings its own commands (``fincall qa run``, ``fincall nlu train``)."""
    from fincall.channels.email.cli import app as email_app
    from fincall.channels.voice.cli import app as voice_app
    from fincall.compliance.cli import app as compliance_app
    from fincall.flows.cli import app as flows_app
    from fincall.knowledge.cli import app as knowledge_app
    from fincall.nlu.cli import app as nlu_app
    from fincall.outbound.cli import app as outbound_app
    from fincall.qa.cli import app as qa_app
    from fincall.wfm.cli import app as wfm_app

    for name, sub in (
        ("qa", qa_app),
        ("compliance", compliance_app),
        ("nlu", nlu_app),
        ("outbound", outbound_app),
        ("flows", flows_app),
        ("knowledge", knowledge_app),
        ("wfm", wfm_app),
        ("voice", voice_app),
        ("email", email_app),
    ):
        app.add_typer(sub, name=name)


_mount_domain_commands()

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except Exception as exc:  # pydantic ValidationError: show the reason, not a trace
        err.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def _runtime(settings: Settings):  # type: ignore[no-untyped-def]
    from fincall.runtime import Runtime

    return Runtime.create(settings)


def _upgrade(settings: Settings) -> None:
    from fincall.core.migrate import upgrade

    settings.ensure_data_dir()
    upgrade(settings.sqlalchemy_url)


def _seed_if_empty(settings: Settings) -> list:  # type: ignore[type-arg]
    from fincall.demo import seed as demo

    rt = _runtime(settings)
    try:
        with rt.transaction() as session:
            if demo.is_seeded(session):
                return demo.read_logins(settings.data_dir)
            logins = demo.seed(session)
        demo.write_logins(settings.data_dir, logins)
        return logins
    finally:
        rt.dispose()


def _print_logins(logins: list, settings: Settings) -> None:  # type: ignore[type-arg]
    if not logins:
        return
    table = Table(title="Demo logins (also in " + str(settings.data_dir / "demo-logins.txt") + ")")
    for col in ("username", "role", "password"):
        table.add_column(col)
    for lg in logins:
        table.add_row(lg.username, lg.role, lg.password)
    console.print(table)


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, help="HTTP port (default 8000)."),
) -> None:
    """Run the contact center: migrate, seed the demo tenant on first start, serve HTTP."""
    import uvicorn

    settings = _settings()
    host = host or settings.host
    port = port or settings.port
    console.print(f"Data directory: {settings.data_dir}")
    _upgrade(settings)
    logins = _seed_if_empty(settings) if settings.seed_demo_data else []
    if settings.nlu_enabled:
        from fincall.nlu import service as nlu
        from fincall.nlu.cli import train_with_progress_bar

        if not nlu.is_trained(settings):
            console.print("First start: training the intent and sentiment models (a few minutes).")
            train_with_progress_bar(settings)
    from fincall.web.app import create_app

    rt = _runtime(settings)
    application = create_app(rt)
    console.print(
        f"[bold green]fincall is running at http://{host}:{port}[/bold green]  (API: /docs)"
    )
    _print_logins(logins, settings)
    from fincall.core.heap import pace_collector

    pace_collector()
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="info",
        timeout_keep_alive=settings.http_keepalive_seconds,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    settings = _settings()
    _upgrade(settings)
    console.print(f"Database at the newest schema: {settings.sqlalchemy_url.split('@')[-1]}")


@app.command("demo-data")
def demo_data() -> None:
    """Seed the demo tenant into an empty database (migrating first)."""
    settings = _settings()
    _upgrade(settings)
    from fincall.demo import seed as demo

    rt = _runtime(settings)
    try:
        with rt.transaction() as session:
            if demo.is_seeded(session):
                err.print(
                    "The database already has users; demo data is only seeded into an empty one."
                )
                raise typer.Exit(1)
            logins = demo.seed(session)
        demo.write_logins(settings.data_dir, logins)
    finally:
        rt.dispose()
    _print_logins(logins, settings)


@users_app.command("create")
def users_create(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(
        ..., help="agent, supervisor, qa_analyst, compliance_officer or admin"
    ),
    full_name: str = typer.Option("", help="Display name."),
    agent_id: str = typer.Option(None, help="Link to an agent record (for role agent)."),
    password: str = typer.Option(
        None,
        help="Password (prompted when omitted).",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
    ),
) -> None:
    """Create a login (password hashed with argon2)."""
    from fincall.auth import audit
    from fincall.auth import service as auth
    from fincall.core.errors import DomainError

    settings = _settings()
    _upgrade(settings)
    rt = _runtime(settings)
    try:
        with rt.transaction() as session:
            user = auth.create_user(
                session=session,
                username=username,
                password=password,
                role=role,
                full_name=full_name,
                agent_id=agent_id,
                actor=audit.Actor(user_id=None, role="cli"),
            )
            user_id = user.id
    except DomainError as exc:
        err.print(f"[red]Not created:[/red] {exc.message}")
        raise typer.Exit(2) from None
    finally:
        rt.dispose()
    console.print(f"Created {role} {username} ({user_id})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit 1 and name the first broken entry if any was altered."""
    from fincall.auth import audit

    settings = _settings()
    rt = _runtime(settings)
    try:
        with rt.transaction() as session:
            result = audit.verify(session=session, key=rt.audit_key)
    finally:
        rt.dispose()
    if result.ok:
        console.print(f"[green]Audit chain intact:[/green] {result.checked} entries verified.")
        return
    err.print(
        f"[red]Audit chain broken at entry {result.first_broken_seq}:[/red] {result.reason} "
        f"({result.checked} entries before it verified)"
    )
    raise typer.Exit(1)


@app.command()
def simulate(
    url: str = typer.Option("http://127.0.0.1:8000", help="The running fincall."),
    chats: int = typer.Option(20, min=1, help="Customers to simulate."),
    rate: float = typer.Option(2.0, min=0, help="New chats per second (0: all at once)."),
    duration: float = typer.Option(
        0, min=0, help="Stop starting chats after S seconds (0: no limit)."
    ),
    agents: int = typer.Option(8, min=1, max=500, help="Synthetic agents to sign in."),
    turns: int = typer.Option(3, min=1, max=50, help="Messages each customer sends."),
    think: float = typer.Option(
        1.0, min=0, help="Scale of human think times (0.1 = ten times faster)."
    ),
    admin_user: str = typer.Option("admin", help="Admin login that creates the synthetic agents."),
    admin_password: str = typer.Option(None, help="Its password (default: from demo-logins.txt)."),
) -> None:
    """Drive synthetic customers and agents through a running fincall and report delivery."""
    import asyncio
    import json

    from fincall.demo import seed as demo
    from fincall.routing.simulate import Simulator

    settings = _settings()
    if admin_password is None:
        found = {lg.username: lg.password for lg in demo.read_logins(settings.data_dir)}
        admin_password = found.get(admin_user)
        if admin_password is None:
            err.print(
                f"No password for {admin_user}: pass --admin-password "
                f"(or run on the machine whose data dir holds demo-logins.txt)"
            )
            raise typer.Exit(2)
    sim = Simulator(
        url,
        admin=(admin_user, admin_password),
        data_dir=settings.ensure_data_dir(),
        agents=agents,
        think=think,
    )
    from fincall.core.heap import pace_collector, settle_heap

    report = asyncio.run(
        sim.run(
            chats=chats,
            rate=rate,
            duration=duration,
            turns=turns,
            on_customers_start=lambda: (settle_heap(), pace_collector()),
        )
    )
    table = Table(title="Simulation")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        if key != "errors":
            table.add_row(key, str(value))
    console.print(table)
    for e in report["errors"]:
        err.print(f"[yellow]{e}[/yellow]")
    console.print(json.dumps(report))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
