"""The dashboard: every file, most urgent first."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..services import queries
from .access import requires

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@requires("process.view")
def index() -> str:
    rows = queries.dashboard_rows(current_user)
    return render_template("dashboard/index.html", rows=rows)
