"""Mail over TLS: STARTTLS and implicit TLS, with the relay's certificate verified."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller

from tracker import clock, jobs
from tracker.extensions import db
from tracker.services.outbox import enqueue

from .conftest import T0, Inbox

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, acting as the relay's private CA."""
    cert, key = tmp_path / "relay.pem", tmp_path / "relay.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def _send_one(app, team, inbox, **config) -> str:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port, MAIL_TIMEOUT=5, **config)
    clock.freeze(T0)
    row = enqueue(team["staff"], "tls", "Over TLS", "Body\n")
    db.session.commit()
    jobs.send_outbox()
    db.session.refresh(row)
    return row.status


def test_starttls_to_a_relay_with_a_private_ca(app, team, certificate):
    cert, context = certificate
    inbox = Inbox()
    inbox.controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, tls_context=context, require_starttls=True
    )
    inbox.controller.start()
    try:
        status = _send_one(app, team, inbox, MAIL_USE_TLS=True, MAIL_TLS_CA_FILE=str(cert))
        assert status == "sent" and len(inbox.received) == 1
    finally:
        inbox.stop()


def test_an_unverifiable_certificate_is_not_trusted(app, team, certificate):
    _cert, context = certificate
    inbox = Inbox()
    inbox.controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, tls_context=context, require_starttls=True
    )
    inbox.controller.start()
    try:
        assert _send_one(app, team, inbox, MAIL_USE_TLS=True) == "pending"
        assert inbox.received == []
    finally:
        inbox.stop()


def test_implicit_tls(app, team, certificate):
    cert, context = certificate
    inbox = Inbox()
    inbox.controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, ssl_context=context)
    inbox.controller.start()
    try:
        status = _send_one(app, team, inbox, MAIL_USE_SSL=True, MAIL_TLS_CA_FILE=str(cert))
        assert status == "sent" and len(inbox.received) == 1
    finally:
        inbox.stop()
