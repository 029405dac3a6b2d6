"""Static files: the GOV.UK Frontend stylesheet and images from the `govuk-frontend` npm
package (`make setup` installs it into node_modules from package-lock.json), and our own
small stylesheet. Served without a session: they hold nothing personal.

GOV.UK's own typeface (GDS Transport) and crown are for services on GOV.UK only, and a
council's service is not one, so the fonts are not served and `app.css` sets Arial, as
the Design System tells services outside GOV.UK to do.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory

ROOT = Path(__file__).resolve().parents[2]
GOVUK = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
OWN = Path(__file__).resolve().parent / "static"
SERVED = {"govuk-frontend.min.css"}
SERVED_DIRS = ("images/",)

bp = Blueprint("assets", __name__, url_prefix="/assets")


@bp.get("/<path:name>")
def govuk(name: str):
    if name not in SERVED and not name.startswith(SERVED_DIRS):
        abort(404)
    base = GOVUK if name in SERVED else GOVUK / "assets"
    return send_from_directory(base, name)


@bp.get("/own/<path:name>")
def own(name: str):
    return send_from_directory(OWN, name)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
