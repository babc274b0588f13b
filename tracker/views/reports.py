"""Reports for the council: the status of every agreement and one file's full history.

Each comes as a printable page and as CSV. Cells that a spreadsheet would run
as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are prefixed with ``'``, so
a partner's name can never become a command on someone's computer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import Blueprint, Response, current_app, render_template
from flask_babel import format_datetime
from flask_babel import gettext as _

from .. import clock
from ..domain.calendar import to_local
from ..domain.text import pick
from ..services import history, queries, reviews
from ..services.mailtext import title_of
from .access import requires
from .edge import lang
from .processes import load

bp = Blueprint("reports", __name__, url_prefix="/reports")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Text for one CSV cell that no spreadsheet will execute."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START[:4]):
        return "'" + text
    return text


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    stamp = to_local(clock.utcnow()).strftime("%Y%m%d")
    return Response(
        "\ufeff" + buffer.getvalue(),  # a BOM, so spreadsheets read the Greek as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'},
    )


def _when(value: datetime | None) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


@bp.route("/")
@requires("report.export")
def index() -> str:
    return render_template("reports/index.html", rows=queries.status_report(lang()))


@bp.route("/status")
@requires("report.export")
def status() -> str:
    return render_template(
        "reports/status.html", rows=queries.status_report(lang()), generated=clock.utcnow()
    )


@bp.route("/review")
@requires("report.export")
def review() -> str:
    """The term review: every agreement in force and every file nothing happened on."""
    settings = reviews.TermSettings.from_config(current_app)
    return render_template(
        "reports/review.html",
        overview=reviews.overview(clock.utcnow(), lang(), settings),
        generated=clock.utcnow(),
    )


@bp.route("/status.csv")
@requires("report.export")
def status_csv() -> Response:
    language = lang()
    header = [
        _("File"),
        _("Title"),
        _("Kind"),
        _("Partner"),
        _("Country"),
        _("State"),
        _("Progress (%)"),
        _("Next deadline"),
        _("Owner"),
        _("Council decision"),
        _("ΑΔΑ"),
        _("Signed on"),
        _("Last activity"),
    ]
    rows = []
    for r in queries.status_report(language):
        p, defn = r.process, r.process.definition
        rows.append(
            [
                p.id,
                title_of(p, language),
                pick(defn.title, language),
                p.partner.name(language),
                p.partner.country,
                ", ".join(pick(defn.states[s].title, language) for s in r.states),
                round(r.progress * 100),
                _when(r.next_due),
                p.owner.name if p.owner else "",
                r.decision.decision_number if r.decision else "",
                r.decision.ada if r.decision else "",
                p.signed_on.isoformat() if p.signed_on else "",
                _when(r.last_activity),
            ]
        )
    return csv_response("agreements", header, rows)


@bp.route("/processes/<int:process_id>/history")
@requires("report.export")
def file_history(process_id: int) -> str:
    process = load(process_id)
    lines = [
        history.describe(row, process.definition, lang(), _when)
        for row in queries.file_history(process)
    ]
    return render_template("reports/history.html", p=process, lines=lines, generated=clock.utcnow())


@bp.route("/processes/<int:process_id>/history.csv")
@requires("report.export")
def file_history_csv(process_id: int) -> Response:
    process = load(process_id)
    header = [_("When"), _("Who"), _("On behalf of"), _("What"), _("Details")]
    rows = [
        [_when(line.when), line.actor, line.on_behalf_of, line.label, line.detail]
        for line in (
            history.describe(row, process.definition, lang(), _when)
            for row in queries.file_history(process)
        )
    ]
    return csv_response(f"file-{process.id}-history", header, rows)
