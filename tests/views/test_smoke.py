"""The foundation's promise: log in and see the files with their states."""

from __future__ import annotations


def test_login_page_is_public_and_greek_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert 'lang="el"' in page.get_data(as_text=True)


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_dashboard_lists_processes_with_states(auth, client, team, make_process):
    make_process("umea")
    make_process("vilnius")
    assert auth.login("staff@example.org").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Ουμεό" in page and "Βίλνιους" in page
    assert "Ιδέα" in page  # the state badge, in Greek
