"""HTTP routes of this package, mounted by ``fincall.web.app.create_app`` through ``register``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

router = APIRouter()


def register(app: FastAPI) -> None:
    """Mount the routes; background work is added to ``app.state.background_hooks``."""
    app.include_router(router)
