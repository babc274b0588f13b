"""Documents: allowlist AND sniffing, size limit, stored outside the web root, for readers only."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.views.screens import Browser, history_count
from tracker.extensions import db
from tracker.models import Document
from tracker.services import documents

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def upload(browser: Browser, process_id: int, content: bytes, name: str, **extra: str):
    data = {"title": "Σχέδιο πρωτοκόλλου", "kind": "draft", **extra}
    data["file"] = (io.BytesIO(content), name)
    return browser.post(
        f"/processes/{process_id}/documents", data, content_type="multipart/form-data"
    )


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("content", "name", "mime"),
    [
        (PDF, "σχέδιο.pdf", "application/pdf"),
        (PNG, "photo.PNG", "image/png"),
        (JPEG, "photo.jpeg", "image/jpeg"),
        (docx(), "draft.docx", "wordprocessingml"),
        (odt(), "draft.odt", "opendocument.text"),
    ],
)
def test_upload_is_stored_under_a_random_name_with_its_checksum(
    app, team, make_process, content, name, mime
):
    process = make_process("umea")
    staff = Browser(app, "staff@example.org")
    response = upload(staff, process.id, content, name)
    assert response.status_code == 302
    doc = db.session.scalars(sa.select(Document)).one()
    assert doc.filename == name and mime in doc.content_type
    assert doc.sha256 == hashlib.sha256(content).hexdigest() and doc.size == len(content)
    [path] = stored_files(app)
    assert path.name == doc.stored_name and name not in path.name
    assert path.read_bytes() == content
    assert not str(path).startswith(app.static_folder)  # outside the web root
    assert "Ανέβηκε έγγραφο" in staff.text(f"/processes/{process.id}")  # in the history


def test_download_is_an_attachment_with_nosniff(app, team, make_process):
    process = make_process("umea")
    staff = Browser(app, "staff@example.org")
    upload(staff, process.id, PDF, "σχέδιο πρωτοκόλλου.pdf")
    doc = db.session.scalars(sa.select(Document)).one()
    viewer = Browser(app, "viewer@example.org")
    response = viewer.get(f"/documents/{doc.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "application/pdf"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()  # the server closes the streamed file once it is sent


def test_a_renamed_file_is_not_a_pdf(app, team, make_process):
    process = make_process("umea")
    staff = Browser(app, "staff@example.org")
    events = history_count(process.id)
    for content in (b"MZ\x90\x00 this is an executable", b"<html><script>", docx(), PNG):
        response = upload(staff, process.id, content, "report.pdf")
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Το περιεχόμενο του αρχείου δεν είναι PDF" in page
        assert 'value="Σχέδιο πρωτοκόλλου"' in page  # the typed title stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    assert stored_files(app) == []
    assert history_count(process.id) == events


@pytest.mark.parametrize(
    "name", ["script.exe", "page.html", "image.svg", "noextension", "a.pdf.exe"]
)
def test_extensions_outside_the_allowlist_are_refused(app, team, make_process, name):
    process = make_process("umea")
    response = upload(Browser(app, "staff@example.org"), process.id, PDF, name)
    assert response.status_code == 422
    assert "Γίνονται δεκτά μόνο αρχεία PDF" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_too_large_is_413(app, team, make_process):
    process = make_process("umea")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = upload(Browser(app, "staff@example.org"), process.id, PDF + b"0" * 70_000, "big.pdf")
    assert response.status_code == 413
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    assert stored_files(app) == []


def test_empty_file_refused(app, team, make_process):
    process = make_process("umea")
    response = upload(Browser(app, "staff@example.org"), process.id, b"", "empty.pdf")
    assert response.status_code == 422


def test_documents_are_not_served_to_anonymous_users(app, team, make_process):
    process = make_process("umea")
    upload(Browser(app, "staff@example.org"), process.id, PDF, "σχέδιο.pdf")
    doc = db.session.scalars(sa.select(Document)).one()
    anonymous = app.test_client()
    response = anonymous.get(f"/documents/{doc.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert PDF not in response.data
    assert Browser(app, "viewer@example.org").get("/documents/9999").status_code == 404


def test_viewer_cannot_upload(app, team, make_process):
    process = make_process("umea")
    response = upload(Browser(app, "viewer@example.org"), process.id, PDF, "x.pdf")
    assert response.status_code == 403
    assert stored_files(app) == []


def test_a_rolled_back_upload_leaves_no_file(app, team, make_process):
    process = make_process("umea")
    documents.upload(process.id, io.BytesIO(PDF), "a.pdf", "Τίτλος", "draft", team["staff"])
    assert len(stored_files(app)) == 1
    db.session.rollback()
    assert stored_files(app) == []
    documents.upload(process.id, io.BytesIO(PDF), "b.pdf", "Τίτλος", "draft", team["staff"])
    db.session.commit()
    assert len(stored_files(app)) == 1


def test_clean_filename_drops_paths_and_controls():
    assert documents.clean_filename("..\\..\\evil/x\r\n.pdf") == "x.pdf"
    assert documents.clean_filename("") == "document"
