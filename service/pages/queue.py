"""The work queue: the latest decision of each family, filtered, counted and paginated."""

from __future__ import annotations

from flask import render_template

from ..auth import requires
from .blueprint import bp


@bp.get("/decisions")
@requires("reviewer")
def queue():
    return render_template("queue.html")
