"""The service layer: every use case, called alike by views, API, CLI and scheduler.

Services take the actor explicitly, check permission and state, change rows,
write history and outbox rows, and ``flush``; the edge (view, command, job)
commits once.
"""

from .errors import Forbidden, Invalid, NotFound, Refused, ServiceError, Stale

__all__ = ["Forbidden", "Invalid", "NotFound", "Refused", "ServiceError", "Stale"]
