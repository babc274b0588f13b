"""Downloading a document: only for people who may see its file, always as an attachment."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, send_file
from flask_login import current_user
from werkzeug.wrappers import Response

from ..services import documents
from ..services.errors import Forbidden, NotFound
from .access import requires

bp = Blueprint("documents", __name__, url_prefix="/documents")
log = logging.getLogger("tracker.documents")


@bp.route("/<int:document_id>")
@requires("document.view")
def download(document_id: int) -> Response:
    try:
        document, path = documents.open_for(document_id, current_user)
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    log.info("download document=%s user=%s", document.id, current_user.id)
    response = send_file(
        path,
        mimetype=document.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
