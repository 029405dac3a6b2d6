"""The decision store for the current request, opened on first use and closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g

from tfp_rules.store import Store


def get_store() -> Store:
    if "store" not in g:
        g.store = Store(current_app.config["DATABASE"])
    return g.store


def _close(exc: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def register(app: Flask) -> None:
    app.teardown_appcontext(_close)
