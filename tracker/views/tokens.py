"""``/account/tokens``: create personal API tokens (secret shown once, lifetime chosen), revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import clock
from ..forms.tokens import RevokeForm, TokenForm
from ..models import ApiToken, User
from ..security import recently_authenticated
from ..services import tokens
from ..services.errors import Forbidden
from .access import AUTHENTICATED, password_confirmed, requires
from .edge import run, show_error

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _page(
    form: TokenForm, secret: str | None = None, status: int = 200, made: ApiToken | None = None
) -> tuple[str, int]:
    now = clock.utcnow()
    mine = tokens.list_for(_me(), now)
    return render_template(
        "tokens/index.html",
        form=form,
        revoke=RevokeForm(),
        tokens=mine,
        expired={t.id for t in mine if tokens.is_expired(t, now)},
        secret=secret,
        made=made,
        needs_password=not recently_authenticated(),
    ), status


@bp.route("/", methods=["GET", "POST"])
@requires(AUTHENTICATED)
def index() -> tuple[str, int]:
    """The secret is rendered in the response to the POST itself, never stored or redirected."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400 if form.is_submitted() else 200)
    if not password_confirmed(form.password):
        return _page(form, status=400)
    result, error = run(tokens.create, _me(), form.name.data or "", form.lifetime.data)
    if error is not None or result is None:
        if error is not None:
            show_error(error, form)
        return _page(form, status=400)
    token, secret = result
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    return _page(TokenForm(formdata=None), secret=secret, status=201, made=token)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@requires(AUTHENTICATED)
def revoke(token_id: int) -> Response:
    if not RevokeForm().validate_on_submit():
        abort(400)
    _result, error = run(tokens.revoke, token_id, _me())
    if isinstance(error, Forbidden):
        abort(403)  # someone else's token: refused, logged and recorded
    if error is not None:
        abort(404)
    flash(_("Token revoked: it no longer works."), "success")
    return redirect(url_for(".index"))
