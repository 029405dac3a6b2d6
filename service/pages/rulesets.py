"""Ruleset pages for policy officers: versions, one version in words, diffs, impact runs."""

from __future__ import annotations

from flask import render_template

from ..auth import requires
from .blueprint import bp


@bp.get("/rulesets")
@requires("reviewer", "policy_officer")
def rulesets():
    return render_template("rulesets.html")
