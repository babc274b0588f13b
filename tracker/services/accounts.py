"""Accounts: creation, roles, passwords (argon2id) and session invalidation."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import unicodedata

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from .. import clock
from ..domain.roles import ROLE_KEYS
from ..domain.text import Reason
from ..extensions import db
from ..models import User, UserRole
from ..models.users import NOTIFY
from . import audit
from .errors import Invalid, Refused
from .permissions import require

hasher = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory defaults
_DUMMY_HASH = hasher.hash("timing equaliser for unknown accounts")

COMMON_PASSWORDS = {
    "password",
    "password1",
    "password1!",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty123",
    "11111111",
    "iloveyou",
    "marousi",
    "maroussi",
    "amarousion",
    "amaroussion",
    "marousi2026",
    "athens2004",
    "twinning",
    "welcome1",
    "letmein1",
    "admin123",
    "changeme",
    "qwertyui",
    "abcdefgh",
    "abcd1234",
    "passw0rd",
    "p@ssw0rd",
    "δημοσ",
    "αμαρουσιο",
}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problems(password: str, email: str = "", name: str = "") -> list[Reason]:
    """ASVS: 8..128 characters, no composition rules, common and obvious ones refused."""
    text = unicodedata.normalize("NFKC", password)
    if len(text) < 8:
        return [Reason("password_short")]
    if len(text) > 128:
        return [Reason("password_long")]
    lowered = text.lower()
    stripped = lowered.rstrip("0123456789!@#$%^&*.?")
    obvious = {normalise_email(email).split("@")[0], name.lower().replace(" ", "")} - {""}
    if lowered in COMMON_PASSWORDS or stripped in COMMON_PASSWORDS or lowered in obvious:
        return [Reason("password_common")]
    if len(set(lowered)) <= 2:
        return [Reason("password_common")]
    return []


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Constant-ish time whether or not the account exists; re-hashes old parameters."""
    if user is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def find_by_email(email: str) -> User | None:
    return db.session.scalars(sa.select(User).where(User.email == normalise_email(email))).first()


def create_user(
    email: str,
    name: str,
    password: str,
    roles: list[str] | tuple[str, ...],
    actor: User | None,
    language: str = "el",
    must_change_password: bool = True,
    is_demo: bool = False,
) -> User:
    """Create an account (``actor`` None: the command line, run by a server administrator)."""
    if actor is not None:
        require(actor, "user.manage")
    errors: dict[str, list[Reason]] = {}
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        errors["email"] = [Reason("email_invalid")]
    elif find_by_email(email):
        errors["email"] = [Reason("email_taken")]
    if not name.strip() or len(name) > 120:
        errors["name"] = [Reason("required")]
    if any(r not in ROLE_KEYS for r in roles) or not roles:
        errors["roles"] = [Reason("unknown_value")]
    problems = password_problems(password, email, name)
    if problems:
        errors["password"] = problems
    if language not in ("el", "en"):
        errors["language"] = [Reason("unknown_value")]
    if errors:
        raise Invalid(fields=errors)
    user = User(
        email=email,
        name=" ".join(name.split()),
        password_hash=hash_password(password),
        language=language,
        must_change_password=must_change_password,
        is_demo=is_demo,
        password_changed_dt=clock.utcnow(),
    )
    user.roles = [UserRole(role=r) for r in sorted(set(roles))]
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor, obj=user, data={"email": email, "roles": sorted(set(roles))})
    return user


def end_sessions(user: User) -> None:
    """Every existing session and remember-me cookie of ``user`` stops working."""
    user.session_version += 1


# --- Passwords chosen by their owner ------------------------------------------------------


def _set_password(user: User, password: str) -> None:
    """New hash, and every existing session and link of ``user`` dies with the old one."""
    user.password_hash = hash_password(password)
    user.password_changed_dt = clock.utcnow()
    user.must_change_password = False
    end_sessions(user)


def change_password(user: User, current: str, new: str) -> User:
    """The owner changes their password: the current one is asked, the new one checked."""
    if not verify_password(user, current):
        raise Invalid(fields={"current": [Reason("password_wrong")]})
    problems = password_problems(new, user.email, user.name)
    if not problems and current == new:
        problems = [Reason("password_same")]
    if problems:
        raise Invalid(fields={"new": problems})
    _set_password(user, new)
    audit.record("password.change", user, obj=user)
    _tell_password_changed(user)
    return user


def _tell_password_changed(user: User) -> None:
    """A changed password is announced to the owner, so a stranger's change does not go unseen."""
    from .outbox import enqueue

    if user.language == "en":
        subject = "Your Twinning Tracker password was changed"
        text = (
            "The password of your Twinning Tracker account was changed just now.\n"
            "If it was not you, tell the administrator at once.\n"
        )
    else:
        subject = "Αλλαγή κωδικού στο Twinning Tracker"
        text = (
            "Ο κωδικός του λογαριασμού σας στο Twinning Tracker μόλις άλλαξε.\n"
            "Αν δεν το κάνατε εσείς, ενημερώστε αμέσως τον διαχειριστή.\n"
        )
    enqueue(
        user,
        f"password-changed:{secrets.token_hex(8)}",
        subject,
        text,
        category="account",
        urgent=True,
    )


# --- Signed links: password reset and first password ---------------------------------------

RESET_MAX_AGE = 60 * 60  # a reset link works for one hour
INVITE_MAX_AGE = 7 * 24 * 60 * 60  # a new colleague has a week to set a password


class _ClockSigner(TimestampSigner):
    """Timestamps from the movable clock, so tests can age a link."""

    def get_timestamp(self) -> int:
        return int(clock.utcnow().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"tracker.{purpose}", signer=_ClockSigner
    )


def _fingerprint(user: User) -> str:
    """Changes whenever the password does: a link dies once it has been used."""
    return hashlib.sha256(f"{user.password_hash}:{user.id}".encode()).hexdigest()[:20]


def make_link_token(user: User, purpose: str = "reset") -> str:
    """A signed, expiring token for ``user`` ("reset" or "invite"), bound to the password."""
    return str(_serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user)}))


def user_for_token(token: str) -> User | None:
    """The active user a reset or invitation token names, or None (bad, expired or used)."""
    for purpose, max_age in (("reset", RESET_MAX_AGE), ("invite", INVITE_MAX_AGE)):
        try:
            data = _serializer(purpose).loads(token, max_age=max_age)
        except BadData:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("u"), int):
            return None
        user = db.session.get(User, data["u"])
        if user is None or not user.is_active:
            return None
        if not hmac.compare_digest(str(data.get("f", "")), _fingerprint(user)):
            return None
        return user
    return None


def reset_with_token(token: str, new: str) -> User:
    """Set the password from an emailed link; the link cannot be used again."""
    user = user_for_token(token)
    if user is None:
        raise Invalid([Reason("link_invalid")])
    problems = password_problems(new, user.email, user.name)
    if problems:
        raise Invalid(fields={"password": problems})
    _set_password(user, new)
    audit.record("password.reset", user, obj=user)
    _tell_password_changed(user)
    return user


def _send_link(user: User, purpose: str, key: str) -> None:
    from .outbox import enqueue
    from .urls import external_url

    link = external_url("auth.reset_with_token", token=make_link_token(user, purpose))
    hours = RESET_MAX_AGE // 3600
    if purpose == "invite":
        if user.language == "en":
            subject = "Your Twinning Tracker account"
            text = (
                f"Hello {user.name},\n\nAn account was created for you in the Twinning Tracker "
                f"of the Municipality of Amarousion. Choose your password here (the link works "
                f"for 7 days and only once):\n\n{link}\n\nThen log in with {user.email}.\n"
            )
        else:
            subject = "Ο λογαριασμός σας στο Twinning Tracker"
            text = (
                f"Καλώς ήρθατε, {user.name}.\n\nΔημιουργήθηκε ο λογαριασμός σας στο "
                f"Twinning Tracker του Δήμου Αμαρουσίου. Ορίστε τον κωδικό σας εδώ "
                f"(ο σύνδεσμος ισχύει 7 ημέρες και μία μόνο φορά):\n\n{link}\n\n"
                f"Στη συνέχεια συνδεθείτε με {user.email}.\n"
            )
    elif user.language == "en":
        subject = "Reset your Twinning Tracker password"
        text = (
            f"Someone asked to reset the password of {user.email}. If it was you, choose a new "
            f"password here (the link works for {hours} hour and only once):\n\n{link}\n\n"
            "If it was not you, ignore this message: your password stays as it is.\n"
        )
    else:
        subject = "Επαναφορά κωδικού στο Twinning Tracker"
        text = (
            f"Ζητήθηκε επαναφορά του κωδικού για {user.email}. Αν ήσασταν εσείς, ορίστε νέο "
            f"κωδικό εδώ (ο σύνδεσμος ισχύει {hours} ώρα και μία μόνο φορά):\n\n{link}\n\n"
            "Αν δεν ήσασταν εσείς, αγνοήστε το μήνυμα: ο κωδικός σας δεν αλλάζει.\n"
        )
    enqueue(user, key, subject, text, category="account", urgent=True)


def request_reset(email: str, ip: str) -> None:
    """Email a reset link if the account exists; the caller answers the same either way."""
    from . import logins

    email = normalise_email(email)[:254]
    user = find_by_email(email)
    allowed = logins.reset_allowed(email, ip)
    logins.record(email, ip, success=user is not None, kind="reset")
    audit.record(
        "password.reset_request",
        user,
        data={"email": email, "known": user is not None, "sent": allowed and user is not None},
    )
    if user is None or not user.is_active or not allowed:
        return
    _send_link(user, "reset", f"reset:{secrets.token_hex(8)}")


# --- Administration --------------------------------------------------------------------------


def _clean_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    if not roles or any(r not in ROLE_KEYS for r in roles):
        raise Invalid(fields={"roles": [Reason("unknown_value")]})
    return sorted(set(roles))


def invite_user(email: str, name: str, roles: list[str], actor: User, language: str = "el") -> User:
    """An administrator creates a colleague, who gets an email to choose a password."""
    user = create_user(
        email, name, secrets.token_urlsafe(32), roles, actor, language, must_change_password=True
    )
    _send_link(user, "invite", f"invite:{secrets.token_hex(8)}")
    return user


def resend_invitation(user: User, actor: User) -> None:
    """A fresh set-password link for a colleague who lost or let expire the first one."""
    require(actor, "user.manage")
    if not user.is_active:
        raise Invalid([Reason("unknown_value")])
    _send_link(user, "invite", f"invite:{secrets.token_hex(8)}")
    audit.record("user.invite", actor, obj=user, data={"email": user.email})


def _active_admins() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(User.id)))
            .join(UserRole)
            .where(UserRole.role == "admin", User.is_active.is_(True))
        )
        or 0
    )


def update_user(
    user: User, name: str, language: str, roles: list[str] | tuple[str, ...], actor: User
) -> User:
    """Name, language and roles, set by an administrator; the history keeps old and new."""
    require(actor, "user.manage")
    errors: dict[str, list[Reason]] = {}
    if not name.strip() or len(name) > 120:
        errors["name"] = [Reason("required")]
    if language not in ("el", "en"):
        errors["language"] = [Reason("unknown_value")]
    try:
        new_roles = _clean_roles(roles)
    except Invalid as exc:
        errors.update(exc.fields)
        new_roles = []
    drops_admin = new_roles and "admin" in user.role_keys and "admin" not in new_roles
    if drops_admin and user.is_active and _active_admins() <= 1:
        errors["roles"] = [Reason("last_admin")]
    if errors:
        raise Invalid(fields=errors)
    old_roles = sorted(user.role_keys)
    changes: dict[str, object] = {}
    if old_roles != new_roles:
        changes["roles"] = {"from": old_roles, "to": new_roles}
        user.roles = [UserRole(role=r) for r in new_roles]
    name = " ".join(name.split())
    if name != user.name:
        changes["name"] = {"from": user.name, "to": name}
        user.name = name
    if language != user.language:
        changes["language"] = {"from": user.language, "to": language}
        user.language = language
    if changes:
        db.session.flush()
        audit.record("user.update", actor, obj=user, data={"email": user.email, **changes})
    return user


def set_active(user: User, active: bool, actor: User) -> User:
    """Deactivation ends every session of ``user`` at once; nobody deactivates themself."""
    require(actor, "user.manage")
    if user.id == actor.id:
        raise Refused([Reason("not_self")])
    if user.is_active == active:
        return user
    if not active and "admin" in user.role_keys and _active_admins() <= 1:
        raise Refused([Reason("last_admin")])
    user.is_active = active
    end_sessions(user)
    audit.record(
        "user.activate" if active else "user.deactivate",
        actor,
        obj=user,
        data={"email": user.email},
    )
    return user


def update_profile(user: User, name: str, language: str, notify: str) -> User:
    """What a user may change about themself: name, language, how they hear from us."""
    errors: dict[str, list[Reason]] = {}
    if not name.strip() or len(name) > 120:
        errors["name"] = [Reason("required")]
    if language not in ("el", "en"):
        errors["language"] = [Reason("unknown_value")]
    if notify not in NOTIFY:
        errors["notify"] = [Reason("unknown_value")]
    if errors:
        raise Invalid(fields=errors)
    name = " ".join(name.split())
    changes = {
        k: {"from": getattr(user, k), "to": v}
        for k, v in (("name", name), ("language", language), ("notify", notify))
        if getattr(user, k) != v
    }
    user.name, user.language, user.notify = name, language, notify
    if changes:
        audit.record("account.update", user, obj=user, data=changes)
    return user


def users() -> list[User]:
    """Every account, active first, by name (the administrator's list)."""
    return list(db.session.scalars(sa.select(User).order_by(User.is_active.desc(), User.name)))
