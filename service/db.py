"""The decision store for the current request, opened on first use and closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g

from tfp_rules.privacy.datakeys import DataKeys
from tfp_rules.store import Store


def data_keys() -> DataKeys | None:
    """The data keys now in force (re-read after a rotation), or None in development mode."""
    live = current_app.extensions.get("tfp.data_keys")
    return live.current() if live is not None else current_app.config["DATA_KEYS"]


def get_store() -> Store:
    if "store" not in g:
        g.store = Store(current_app.config["DATABASE"], keys=data_keys())
    return g.store


def _close(exc: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def register(app: Flask) -> None:
    app.teardown_appcontext(_close)
