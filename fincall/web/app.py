"""The FastAPI application: API routers, pages, static files, error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import fincall
from fincall.core.heap import settle_heap
from fincall.runtime import Runtime
from fincall.web import errors


def create_app(runtime: Runtime, *, run_background: bool = True) -> FastAPI:
    """The application; ``run_background=False`` leaves the dispatcher to the caller (tests)."""
    from fincall.agents.views import router as agents_router
    from fincall.auth.views import router as auth_router
    from fincall.channels.chat.views import router as chat_router
    from fincall.contacts.views import router as contacts_router
    from fincall.customers.views import router as customers_router
    from fincall.products.views import router as products_router
    from fincall.routing.dispatcher import Dispatcher
    from fincall.routing.views import router as routing_router
    from fincall.web.hub import Hub
    from fincall.web.pages import router as pages_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub: Hub = app.state.hub
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            runtime.settings.worker_threads
        )
        hub.attach(runtime.bus, asyncio.get_running_loop())
        dispatcher = Dispatcher(runtime, hub)
        app.state.dispatcher = dispatcher
        stops = []
        if run_background:
            dispatcher.start()
            for hook in app.state.background_hooks:
                stops.append(await hook(runtime, app))
            settle_heap()
        try:
            yield
        finally:
            for stop in reversed(stops):
                if stop is not None:
                    await stop()
            await dispatcher.stop()
            hub.detach()

    app = FastAPI(
        title="fincall",
        version=fincall.__version__,
        description="Compliance-first contact center API. Authenticate with POST /api/auth/token.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.hub = Hub()
    app.state.live_check = None
    from fincall.flows.market import market_data_from

    app.state.market_data = market_data_from(runtime.settings.market_data)
    # async (runtime, app) -> async stop function | None; started with the app, stopped in reverse
    app.state.background_hooks = []
    errors.install(app)
    for router in (
        auth_router,
        customers_router,
        products_router,
        agents_router,
        contacts_router,
        routing_router,
        chat_router,
        pages_router,
    ):
        app.include_router(router)
    from fincall.channels.voice import views as voice_views
    from fincall.outbound import views as outbound_views
    from fincall.qa import views as qa_views
    from fincall.web import wiring

    wiring.install_redis_bus(app, runtime)
    wiring.install_bot(app, runtime)
    wiring.install_sentiment(app, runtime)
    wiring.install_knowledge(app, runtime)
    wiring.install_channels(app, runtime)
    for module in (qa_views, outbound_views, voice_views):
        module.register(app)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Up; and whether the intent model serves yet (the bot hands every chat over until
        then): ``off``, ``loading`` (first start trains it) or ``ready``."""
        if not runtime.settings.nlu_enabled:
            model = "off"
        else:
            model = "ready" if getattr(app.state, "nlu", None) is not None else "loading"
        return {"status": "ok", "intent_model": model}

    return app
