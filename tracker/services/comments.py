"""Comments on a file: short notes everyone involved can read on its page."""

from __future__ import annotations

from ..domain.text import Reason
from ..extensions import db
from ..models import Comment, Process, User
from . import audit
from .errors import Invalid, NotFound
from .permissions import require

MAX_LENGTH = 4000


def add(process_id: int, body: str, actor: User) -> Comment:
    """Add a comment; it does not move the file, so it takes no lock and never goes stale."""
    require(actor, "comment.add")
    process = db.session.get(Process, process_id)
    if process is None:
        raise NotFound()
    body = (body or "").strip()
    if not body:
        raise Invalid(fields={"body": [Reason("required")]})
    if len(body) > MAX_LENGTH:
        raise Invalid(fields={"body": [Reason("too_long", {"max": MAX_LENGTH})]})
    comment = Comment(process_id=process.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    excerpt = body if len(body) <= 80 else body[:79] + "…"
    audit.record("comment.add", actor, process, comment, data={"excerpt": excerpt})
    return comment
