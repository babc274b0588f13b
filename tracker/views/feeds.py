"""Personal calendar feeds: the secret ``.ics`` URL, and the buttons that issue or revoke it.

The feed itself is fetched by calendar programs that cannot log in: the signed,
revocable token in the URL is the credential (hence ``@public``); an unknown,
tampered or revoked token gets a plain 404.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import clock
from ..forms.feeds import FeedForm, RevokeFeedForm
from ..services import feeds
from ..services.urls import external_url
from .access import public, requires
from .edge import run, safe_next

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
log = logging.getLogger("tracker.feeds")


def feed_links(user: Any) -> dict[str, str] | None:
    """The user's feed URLs (``webcal://`` and ``https://``), or None without a feed."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    token = feeds.token_for(user)
    if token is None:
        return None
    url = external_url("feeds.feed", token=token)
    scheme, _sep, rest = url.partition("://")
    return {"webcal": f"webcal://{rest}", "https": url, "scheme": scheme}


@bp.app_context_processor
def inject() -> dict[str, Any]:
    """``feed_links(me)`` and the two forms, for the ``feeds/_feed_link.html`` partial."""
    return {"feed_links": feed_links, "FeedForm": FeedForm, "RevokeFeedForm": RevokeFeedForm}


@bp.route("/")
@requires("calendar.view")
def index() -> str:
    return render_template("feeds/index.html")


@bp.route("/<token>.ics")
@public
def feed(token: str) -> Response:
    user = feeds.user_for(token)
    if user is None:
        log.warning("calendar feed refused: unknown or revoked token from %s", request.remote_addr)
        abort(404)
    body = feeds.calendar(user, clock.utcnow())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="twinning-tracker.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _back(form: FeedForm | RevokeFeedForm) -> BaseResponse:
    return redirect(safe_next(form.next.data) or url_for("feeds.index"))


@bp.route("/new", methods=["POST"])
@requires("calendar.view")
def create() -> BaseResponse:
    form = FeedForm()
    if not form.validate_on_submit():
        abort(400)
    _token, error = run(feeds.create, current_user)
    if error is None:
        flash(_("Your calendar link is ready. Any earlier link no longer works."), "success")
    return _back(form)


@bp.route("/revoke", methods=["POST"])
@requires("calendar.view")
def revoke() -> BaseResponse:
    form = RevokeFeedForm()
    if not form.validate_on_submit():
        abort(400)
    revoked, error = run(feeds.revoke, current_user)
    if error is None and revoked:
        flash(_("Your calendar link has been revoked."), "success")
    return _back(form)
