"""Minimal Django settings for the peer benchmark: viewflow's workflow app on one SQLite file.

The file settings match the tracker's (``tracker/db.py``): journal mode from
``PEER_JOURNAL`` (DELETE or WAL), ``synchronous=NORMAL``, foreign keys on,
a 30 s busy timeout.
"""

import os

SECRET_KEY = "bench-only-not-secret"  # noqa: S105 - never served
DEBUG = True  # connection.queries records every statement
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "viewflow",
    "viewflow.workflow",
    "approvalflow",
]
JOURNAL = os.environ.get("PEER_JOURNAL", "DELETE")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["PEER_DB"],
        "OPTIONS": {
            "init_command": (
                f"PRAGMA journal_mode={JOURNAL}; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000"
            ),
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
