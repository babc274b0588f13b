"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from tracker import create_app
from tracker.safety import check_production_safety

app = create_app()
check_production_safety(app)
