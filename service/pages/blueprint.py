"""The one blueprint every page module adds its views to, and the CSRF checker they share."""

from __future__ import annotations

from flask import Blueprint
from flask_wtf.csrf import CSRFProtect

bp = Blueprint("pages", __name__, template_folder="templates")
csrf = CSRFProtect()
