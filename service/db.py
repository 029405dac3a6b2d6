"""The decision store of this process: opened on first use after the worker started, then
kept, one connection shared by the worker's threads.

Opening a store per request cost more than most of a POST: the connection's close, being
the last, made SQLite checkpoint and delete the WAL every time, and the migrations were
checked again. The store is opened in the worker process itself (gunicorn forks workers
from a preloaded app, and a SQLite connection must not cross a fork), and given the data
keys in force at each request, so a rotation is picked up without a restart.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from tfp_rules.privacy.datakeys import DataKeys
from tfp_rules.store import Store

_OPENING = threading.Lock()


def data_keys() -> DataKeys | None:
    """The data keys now in force (re-read after a rotation), or None in development mode."""
    live = current_app.extensions.get("tfp.data_keys")
    return live.current() if live is not None else current_app.config["DATA_KEYS"]


def get_store() -> Store:
    """This process's store for this app (opened if this process has none yet)."""
    kept: tuple[int, Store] | None = current_app.extensions.get("tfp.store")
    if kept is None or kept[0] != os.getpid():
        with _OPENING:
            kept = current_app.extensions.get("tfp.store")
            if kept is None or kept[0] != os.getpid():
                store = Store(current_app.config["DATABASE"], keys=data_keys())
                kept = (os.getpid(), store)
                current_app.extensions["tfp.store"] = kept
    store = kept[1]
    store.keys = data_keys()
    return store


def close_store(app: Flask) -> None:
    """Close this process's store, if it has one (tests, and an orderly shutdown)."""
    kept = app.extensions.pop("tfp.store", None)
    if kept is not None and kept[0] == os.getpid():
        kept[1].close()
