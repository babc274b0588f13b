"""Accounts: creation, roles, passwords (argon2id) and session invalidation."""

from __future__ import annotations

import contextlib
import unicodedata

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import clock
from ..domain.roles import ROLE_KEYS
from ..domain.text import Reason
from ..extensions import db
from ..models import User, UserRole
from . import audit
from .errors import Invalid
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
