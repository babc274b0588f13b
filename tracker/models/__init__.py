"""Typed SQLAlchemy models, split by aggregate."""

from .audit import AuditImmutable, AuditLog, LoginAttempt
from .base import Base, UTCDateTime  # noqa: F401
from .notify import CalendarFeed, OutboxMessage, Reminder, SchedulerLease
from .partners import Authority
from .processes import (
    ApprovalRequest,
    Comment,
    CouncilDecision,
    Deadline,
    DeadlineExtension,
    Document,
    ExternalEvent,
    Process,
    Step,
    WorkflowVersion,
)
from .submissions import FormSubmission
from .tokens import ApiToken
from .users import Delegation, User, UserRole

__all__ = [
    "ApiToken",
    "ApprovalRequest",
    "AuditImmutable",
    "AuditLog",
    "Authority",
    "Base",
    "CalendarFeed",
    "Comment",
    "CouncilDecision",
    "Deadline",
    "DeadlineExtension",
    "Delegation",
    "Document",
    "ExternalEvent",
    "FormSubmission",
    "LoginAttempt",
    "OutboxMessage",
    "Process",
    "Reminder",
    "SchedulerLease",
    "Step",
    "User",
    "UserRole",
    "WorkflowVersion",
]
