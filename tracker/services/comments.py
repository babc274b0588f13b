"""Comments on a file: short notes everyone involved can read on its page."""

from __future__ import annotations

from ..domain.text import Reason
from ..extensions import db
from ..models import Comment, Process, User
from . import audit, submissions
from .errors import Invalid, NotFound
from .permissions import require

MAX_LENGTH = 4000


def add(process_id: int, body: str, actor: User, form_key: str | None = None) -> Comment:
    """Add a comment; it does not move the file, so it never goes stale.

    With a ``form_key`` (the comment form's hidden key) a repeat of the same
    submission returns the comment the first one made instead of adding another.
    """
    require(actor, "comment.add")
    process = db.session.get(Process, process_id)
    if process is None:
        raise NotFound()
    body = (body or "").strip()
    if not body:
        raise Invalid(fields={"body": [Reason("required")]})
    if len(body) > MAX_LENGTH:
        raise Invalid(fields={"body": [Reason("too_long", {"max": MAX_LENGTH})]})
    keyed = submissions.usable(form_key)
    if keyed:
        submissions.hold_process(process.id)
        seen = submissions.earlier(actor, form_key or "")
        if seen is not None:
            found = db.session.get(Comment, seen.object_id)
            if found is not None:
                return found
    comment = Comment(process_id=process.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    if keyed:
        submissions.remember(actor, form_key or "", comment)
    excerpt = body if len(body) <= 80 else body[:79] + "…"
    audit.record("comment.add", actor, process, comment, data={"excerpt": excerpt})
    return comment
