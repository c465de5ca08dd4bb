"""The FastAPI application: API routers, pages, static files, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import fincall
from fincall.runtime import Runtime
from fincall.web import errors

# Start-up hooks (background workers, listeners) registered by domain packages: each gets the
# runtime and returns an async stop function.
StartHook = Callable[[Runtime], object]


def create_app(runtime: Runtime) -> FastAPI:
    from fincall.agents.views import router as agents_router
    from fincall.auth.views import router as auth_router
    from fincall.contacts.views import router as contacts_router
    from fincall.customers.views import router as customers_router
    from fincall.products.views import router as products_router
    from fincall.web.pages import router as pages_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    app = FastAPI(
        title="fincall",
        version=fincall.__version__,
        description="Compliance-first contact center API. Authenticate with POST /api/auth/token.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    errors.install(app)
    for router in (
        auth_router,
        customers_router,
        products_router,
        agents_router,
        contacts_router,
        pages_router,
    ):
        app.include_router(router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
