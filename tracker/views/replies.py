"""How a refused service call answers on a page that re-renders its form."""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm

from ..services.errors import Forbidden, NotFound, ServiceError
from .edge import show_error


def refused(error: ServiceError, form: FlaskForm | None = None) -> int:
    """Put the reasons on the form (or in a flash) and pick the status code.

    Forbidden and NotFound end the request (403/404); anything else re-renders
    the page with what was typed: 422 for bad input, 409 for a refusal or a
    stale page ("changed meanwhile").
    """
    if isinstance(error, Forbidden):
        abort(403)
    if isinstance(error, NotFound):
        abort(404)
    show_error(error, form)
    return error.status
