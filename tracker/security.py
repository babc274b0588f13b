"""Session and request safety that Flask and Flask-Login leave to the application.

- ``get_id`` carries the user's session version: bumping it (logout, password
  change, deactivation) kills every session and remember-me cookie at once.
- Idle (30 min) and absolute (12 h) timeouts are enforced on every request.
- A session restored from the remember-me cookie starts fresh but is never
  "recently authenticated": the password is asked before approving or voting.
- An account that must change its password (or, when configured, an
  administrator without a second factor) can do nothing else first.
- Writing requests begin SQLite transactions with ``BEGIN IMMEDIATE``.
- Security headers on every response; ``no-store`` on authenticated pages.
- Malformed input is a 400 before any view runs: text no column can hold, or a
  file posted under the name of a text field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user, logout_user, user_loaded_from_cookie
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from . import clock
from .db import write_intent
from .extensions import db, login_manager
from .models import User
from .services.audit import api_token, client_ip

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 3600
REAUTH_SECONDS = 15 * 60
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: Names of the file fields of every form (``FileField``): a file under any other name is a 400.
FILE_FIELDS = frozenset({"file"})
#: The largest id a URL may carry: PostgreSQL's ``integer`` (SQLite overflows at 2**63).
MAX_URL_ID = 2**31 - 1

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@login_manager.user_loader
def load_user(ident: str) -> User | None:
    """Accept only ``"<id>:<session_version>"`` of an active account."""
    user_id, _, version = ident.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def _now() -> int:
    return int(clock.utcnow().timestamp())


def start_session(user: User) -> None:
    """Called right after ``login_user``: stamp the login for the timeouts."""
    now = _now()
    session["login_at"] = now
    session["seen_at"] = now
    session["auth_at"] = now


def _restored_from_cookie(sender: Flask, user: User) -> None:
    """A new session from "remember me": timed like a login, but the password is not fresh."""
    from .services import audit

    now = _now()
    session["login_at"] = now
    session["seen_at"] = now
    session["auth_at"] = 0
    audit.record("login.remembered", user)
    db.session.commit()


def recently_authenticated() -> bool:
    """True when the password was given within the last 15 minutes."""
    return _now() - int(session.get("auth_at", 0)) < REAUTH_SECONDS


def mark_reauthenticated() -> None:
    session["auth_at"] = _now()


# Pages an account that owes something (a new password, a second factor) may still reach.
_ALWAYS = frozenset({"static", "auth.logout", "auth.language"})


def _owed_step() -> str | None:
    """The page the current user must complete before anything else, if any."""
    if current_user.must_change_password:
        return "account.password"
    if (
        current_app.config.get("REQUIRE_ADMIN_TOTP")
        and current_user.has_role("admin")
        and not current_user.totp_secret
    ):
        return "account.totp"
    return None


def storable(text: str) -> bool:
    """Text a database column can hold: no NUL (PostgreSQL refuses it), no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(value: object, depth: int = 0) -> Iterator[str]:
    """Every string (keys too) of a parsed JSON body, to a sane depth."""
    if depth > 32:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


def unstorable_input() -> bool:
    """True when the query, the form, a file name, the path or a JSON body holds text that
    no column could store: such a request is malformed (400) before any code sees it."""
    texts: list[str] = []
    for multi in (request.args, request.form):
        for key, values in multi.lists():
            texts.append(key)
            texts.extend(values)
    texts.extend(f.filename or "" for f in request.files.values())
    texts.extend(v for v in (request.view_args or {}).values() if isinstance(v, str))
    if request.is_json:
        texts.extend(_strings(request.get_json(silent=True)))
    return not all(storable(t) for t in texts)


def misplaced_file() -> bool:
    """True when a file arrives under a name no form takes a file in.

    Flask-WTF merges files into the form data, so a file posted as, say, a
    title would reach a text field as an object (a 500 deep in a validator).
    """
    return any(name not in FILE_FIELDS for name in request.files)


def _before_request() -> Response | None:
    write_intent.set(request.method not in SAFE_METHODS)
    client_ip.set(request.remote_addr or "")
    api_token.set("")  # the API's authentication sets it for its own requests
    if unstorable_input() or misplaced_file():
        abort(400)
    if not current_user.is_authenticated:
        return None
    now = _now()
    login_at = int(session.get("login_at", 0))
    seen_at = int(session.get("seen_at", 0))
    if now - login_at > ABSOLUTE_SECONDS or now - seen_at > IDLE_SECONDS:
        keep_language(current_user.language)
        logout_user()
        renew_session()  # keeps only the language: the log-in page stays in it
        session["expired"] = True
        return redirect(
            url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        )  # type: ignore[return-value]
    session["seen_at"] = now
    owed = _owed_step()
    if owed is not None and request.endpoint not in _ALWAYS | {owed}:
        return redirect(url_for(owed))  # type: ignore[return-value]
    return None


def _after_request(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if _signed_in():
        headers["Cache-Control"] = "no-store"
    return response


def _signed_in() -> bool:
    """Whether this answer is someone's own page, without asking the database.

    Runs on every answer, the 503 of a lost connection included: loading the
    user here (``current_user``) would query again and turn that clean 503 into
    a 500. A user loaded during the request, or a session or remember cookie that
    names one, is enough to keep the page out of every cache.
    """
    user = g.get("_login_user")
    if user is not None:
        return bool(user.is_authenticated)
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" in session or cookie in request.cookies


def _teardown(exc: BaseException | None) -> None:
    """Forget the request's user and CSRF token even when ``g`` outlives the request.

    ``g`` belongs to the application context, which a test (or a CLI command)
    may keep across several requests: without this, one request's user could
    answer for the next.
    """
    write_intent.set(False)
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def keep_language(account_language: str) -> None:
    """Before a session ends: the language being read (chosen, else the account's) stays."""
    if session.get("lang") not in ("el", "en") and account_language in ("el", "en"):
        session["lang"] = account_language


def renew_session() -> None:
    """Drop everything from the old session (fixation), keeping only the language."""
    chosen = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)  # bound to the old session
    if chosen:
        session["lang"] = chosen


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in web URLs: a number no column can hold is "not found", never a crash."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_URL_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter  # before any blueprint adds a rule
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # see docs/security.md: we use session versions
    login_manager.login_message = None  # type: ignore[assignment]
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))
    app.config["REMEMBER_COOKIE_DURATION"] = min(
        app.config["REMEMBER_COOKIE_DURATION"], timedelta(days=30)
    )
    if app.config.get("PROXY_COUNT"):
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    user_loaded_from_cookie.connect(_restored_from_cookie, app)
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.teardown_request(_teardown)
