"""The dashboard: every file at a glance, filters, urgency order, and a fixed query count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.views.screens import Browser, authority, drive, fresh, strip_tags
from tracker import clock
from tracker.extensions import db
from tracker.models import Deadline
from tracker.services import approvals, processes


def rows_order(page: str) -> list[str]:
    """Partner names in the order the table lists them (first word: "Τσαογιάνγκ (Πεκίνο)")."""
    body = page.split("<tbody>", 1)[1]
    return [n.split(" ")[0] for n in re.findall(r'<a href="/processes/\d+">([^<]+)</a>', body)]


def test_dashboard_shows_partner_kind_state_progress_and_who(app, team, make_process):
    make_process("umea")
    make_process("chaoyang", kind="memorandum")
    page = Browser(app, "head@example.org").text("/")
    text = strip_tags(page)
    assert "Ουμεό" in text and "Τσαογιάνγκ" in text
    assert '<abbr class="cc" title="Σουηδία">SE</abbr>' in page  # code chip, country named
    assert '<svg class="flag-svg"' in page  # a flag drawn in SVG, no image fetched
    assert "Αδελφοποίηση" in text and "Μνημόνιο συνεργασίας" in text
    assert "Ιδέα" in text
    assert '<progress max="100" value="0"' in page
    # The idea waits on the head of office's approval: she is named, and it is hers.
    assert team["head"].name in text
    assert "περιμένει εμένα" in text or "waiting on me" in text


def test_overdue_first_then_due_soon(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    later = make_process("umea")
    soon = make_process("vilnius")
    late = make_process("positano")
    for process, days in ((later, 40), (soon, 3), (late, -2)):
        d = Deadline(
            process_id=process.id,
            kind="review",
            start_dt=clock.utcnow() - timedelta(days=10),
            due_dt=clock.utcnow() + timedelta(days=days),
            original_due_dt=clock.utcnow() + timedelta(days=days),
            uid=f"test-{process.id}",
        )
        if days < 0:
            d.start_dt = d.due_dt - timedelta(days=1)
        db.session.add(d)
    db.session.commit()
    page = Browser(app, "staff@example.org").text("/")
    assert rows_order(page)[:3] == ["Ποζιτάνο", "Βίλνιους", "Ουμεό"]
    assert 'class="chip due-overdue"' in page and 'class="chip due-soon"' in page


def test_overdue_tile_counts_files_in_the_plural(app, team, make_process):
    """The tile has its own words: "overdue" alone is a reminder's (feminine) kind."""
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    staff = Browser(app, "staff@example.org")
    for n, partner in enumerate(("positano", "vilnius"), start=1):
        process = make_process(partner)
        due = clock.utcnow() - timedelta(days=2)
        db.session.add(
            Deadline(
                process_id=process.id,
                kind="review",
                start_dt=due - timedelta(days=10),
                due_dt=due,
                original_due_dt=due,
                uid=f"tile-{process.id}",
            )
        )
        db.session.commit()
        tile = strip_tags(
            staff.text("/").split('class="tile tile-overdue"', 1)[1].split("</li>")[0]
        )
        assert ("1 εκπρόθεσμος φάκελος", "2 εκπρόθεσμοι φάκελοι")[n - 1] in tile, tile
    assert "εκπρόθεσμη" not in tile


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("kind=memorandum", ["Τσαογιάνγκ"], ["Ουμεό", "Βίλνιους"]),
        ("country=LT", ["Βίλνιους"], ["Ουμεό", "Τσαογιάνγκ"]),
        ("state=idea", ["Ουμεό", "Βίλνιους", "Τσαογιάνγκ"], []),
        ("state=drafting", [], ["Ουμεό", "Βίλνιους", "Τσαογιάνγκ"]),
        ("kind=<script>&country=ZZ", ["Ουμεό", "Βίλνιους", "Τσαογιάνγκ"], []),
    ],
)
def test_filters(app, team, make_process, query, shown, hidden):
    make_process("umea")
    make_process("vilnius")
    make_process("chaoyang", kind="memorandum")
    names = rows_order(Browser(app, "viewer@example.org").text(f"/?{query}"))
    assert all(n in names for n in shown)
    assert not any(n in names for n in hidden)


def test_waiting_on_me_and_overdue_filters(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    umea = make_process("umea")
    make_process("vilnius")
    # Umeå's idea is approved: now it waits on the partner, with a 30-day deadline.
    request = approvals.pending_for(team["head"])[0]
    approvals.decide(request.id, team["head"], "approved")
    db.session.commit()
    head = Browser(app, "head@example.org")
    assert rows_order(head.text("/?mine=y")) == ["Βίλνιους"]
    assert rows_order(head.text("/?overdue=y")) == []
    clock.shift(timedelta(days=31))
    head.login("head@example.org")
    assert rows_order(head.text("/?overdue=y")) == ["Ουμεό"]
    assert fresh(umea.id).is_closed is False


def _count_queries(browser: Browser, path: str) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert browser.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def _files(n: int, team: dict, kinds: list[str]) -> None:
    keys = ["umea", "vilnius", "positano", "fonte_nuova", "limassol", "lakatamia", "strovolos"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        partner = "chaoyang" if kind == "memorandum" else keys[i % len(keys)]
        process = processes.create_process(kind, authority(partner), team["staff"])
        if i % 3 == 0:  # some further along, with approvals, deadlines and owners
            request = approvals.pending_for(team["head"])[-1]
            approvals.decide(request.id, team["head"], "approved")
        del process
    db.session.commit()


def test_query_count_does_not_grow_with_the_number_of_files(app, team):
    head = Browser(app, "head@example.org")
    _files(10, team, ["twinning", "memorandum", "network"])
    at_10 = _count_queries(head, "/")
    _files(40, team, ["twinning", "memorandum", "network"])
    at_50 = _count_queries(head, "/")
    assert at_10 == at_50, (at_10, at_50)
    assert at_50 <= 12
    assert len(rows_order(head.text("/"))) == 50


def test_vilnius_council_step_is_overdue_and_names_the_council(app, team, make_process):
    """Scenario 1: one glance says which file is late, why, and who must act."""
    clock.freeze(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    drive(make_process("vilnius"), team, "council")
    clock.shift(timedelta(days=40))
    page = Browser(app, "head@example.org").text("/")
    row = page.split("Βίλνιους", 1)[1].split("</tr>", 1)[0]
    assert "due-overdue" in row
    assert "Απόφαση Δημοτικού Συμβουλίου" in row  # which step is late
    assert "Δημοτικό Συμβούλιο" in strip_tags(row)  # who must act


def test_rows_sharing_cells_keep_their_own_texts_escaped(app, team, make_process):
    """Cells and chips are rendered once per value and shared: each row keeps its own texts."""
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    umea = make_process("umea")
    vilnius = make_process("vilnius")
    authority("umea").name_el = 'Ουμεό <b class="x">&</b>'
    team["head"].name = "Ann <i>O'Hara</i>"
    for process, hours in ((umea, 30), (vilnius, 55)):
        db.session.add(
            Deadline(
                process_id=process.id,
                kind="review",
                start_dt=clock.utcnow(),
                due_dt=clock.utcnow() + timedelta(days=2, hours=hours),
                original_due_dt=clock.utcnow() + timedelta(days=2, hours=hours),
                uid=f"test-{process.id}",
            )
        )
    db.session.commit()
    page = Browser(app, "staff@example.org").text("/")
    assert "<b " not in page and "<i>" not in page
    body = page.split("<tbody>", 1)[1]
    rows = {
        r.split('<a href="/processes/', 1)[1].split('"', 1)[0]: r for r in body.split("</tr>")[:2]
    }
    first, second = rows[str(umea.id)], rows[str(vilnius.id)]
    assert "Ουμεό &lt;b class=&#34;x&#34;&gt;&amp;&lt;/b&gt;</a>" in first
    assert 'aria-label="Πρόοδος: Ουμεό &lt;b class=&#34;x&#34;&gt;&amp;&lt;/b&gt;"' in first
    assert ">Βίλνιους</a>" in second and 'aria-label="Πρόοδος: Βίλνιους"' in second
    # Athens is UTC+2 in March: 09:00 UTC + 2 days and 30 / 55 hours.
    assert "5 Μαρ 2026, 17:00" in first and "6 Μαρ 2026, 18:00" in second
    assert "Ann &lt;i&gt;O&#39;Hara&lt;/i&gt;" in first and "Ann &lt;i&gt;" in second
    assert 'class="chip due-soon"' in first and 'class="chip due-soon"' in second
