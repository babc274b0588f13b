"""Demo and reference data.

The demo files are not inserted as finished rows: each is driven through the
real services with the clock moved into the past, so its history, approvals,
deadlines and reminders are exactly what the application itself would have
produced.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

import sqlalchemy as sa

from . import clock
from .domain.calendar import to_local
from .extensions import db
from .models import ApprovalRequest, Authority, OutboxMessage, Process, Reminder, User
from .reference import AUTHORITIES
from .services import accounts, approvals, deadlines, documents, processes, records, workflows
from .services.errors import ServiceError

DEMO_PASSWORD = "demo-twinning-2026"  # noqa: S105 - documented demo log-in, refused in production


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    name: str
    roles: tuple[str, ...]
    language: str = "el"


DEMO_USERS = [
    DemoUser("staff", "staff@demo.marousi.invalid", "Ελένη Παπαδοπούλου", ("staff",)),
    DemoUser("staff2", "staff2@demo.marousi.invalid", "Κώστας Ιωάννου", ("staff",), "en"),
    DemoUser("head", "head@demo.marousi.invalid", "Μαρία Κωνσταντίνου", ("head",)),
    DemoUser("deputy", "deputy@demo.marousi.invalid", "Νίκος Γεωργίου", ("deputy_mayor",)),
    DemoUser("mayor", "mayor@demo.marousi.invalid", "Γιώργος Δημητρίου", ("mayor",)),
    DemoUser(
        "president", "president@demo.marousi.invalid", "Αικατερίνη Λαμπράκη", ("council_president",)
    ),
    DemoUser(
        "councillor", "councillor@demo.marousi.invalid", "Σοφία Αντωνίου", ("council_member",)
    ),
    DemoUser(
        "councillor2", "councillor2@demo.marousi.invalid", "Δημήτρης Νικολάου", ("council_member",)
    ),
    DemoUser(
        "councillor3",
        "councillor3@demo.marousi.invalid",
        "Ιωάννα Μιχαήλ",
        ("council_member",),
        "en",
    ),
    DemoUser("admin", "admin@demo.marousi.invalid", "Διαχειριστής Συστήματος", ("admin",)),
    DemoUser("viewer", "viewer@demo.marousi.invalid", "Πέτρος Αναγνώστου", ("viewer",)),
]


def seed_reference() -> None:
    """Authorities and the shipped workflows; safe to run again."""
    workflows.ensure_builtin()
    for data in AUTHORITIES:
        if db.session.scalar(sa.select(Authority.id).where(Authority.key == data["key"])) is None:
            db.session.add(Authority(**data))
    db.session.flush()
    nea = _authority("nea_ionia")
    nea.successor_id = _authority("volos").id
    nea.reorganised_on = date(2011, 1, 1)
    db.session.flush()


def _authority(key: str) -> Authority:
    return db.session.scalars(sa.select(Authority).where(Authority.key == key)).one()


def is_empty() -> bool:
    return not db.session.scalar(sa.select(sa.func.count()).select_from(User))


def pending_approvals(process: Process, approver: User | None = None) -> list[ApprovalRequest]:
    """Undecided requests of the current rounds of the file's open steps, group by group."""
    stmt = (
        approvals.undecided(sa.select(ApprovalRequest))
        .where(ApprovalRequest.process_id == process.id)
        .order_by(ApprovalRequest.group_index, ApprovalRequest.id)
    )
    if approver is not None:
        stmt = stmt.where(ApprovalRequest.approver_id == approver.id)
    return list(db.session.scalars(stmt))


def approve_all(
    process: Process,
    *,
    rounds: int = 10,
    groups: set[int] | None = None,
    steps: set[int] | None = None,
    decide: Callable[[ApprovalRequest], object] | None = None,
) -> None:
    """Every pending approver of the open steps approves, group after group.

    The demo (and the tests) get files past their sign-offs through the real
    approvals service, so the history is what people clicking would have left.
    A refused decision (a later group's turn has not come, or the round is done)
    is passed over; ``groups`` and ``steps`` limit who is asked, and ``decide``
    lets a caller give each decision its own transaction.
    """
    for _ in range(rounds):
        decided = False
        for request in pending_approvals(process):
            if groups is not None and request.group_index not in groups:
                continue
            if steps is not None and request.step_id not in steps:
                continue
            try:
                if decide is None:
                    approvals.decide(request.id, request.approver, "approved")
                else:
                    decide(request)
                decided = True
            except ServiceError:
                continue
        if not decided:
            return


class Story:
    """Drives one demo file through the services on a clock moved into the past."""

    def __init__(self, base: datetime, users: dict[str, User], rng: random.Random) -> None:
        self.base = base
        self.users = users
        self.rng = rng  # demo data only: not for secrets

    def at(self, days_ago: float) -> date:
        moment = self.base - timedelta(days=days_ago)
        clock.freeze(moment)
        return to_local(moment).date()

    def ada(self) -> str:
        letters = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ0123456789"
        head = "".join(self.rng.choice(letters) for _ in range(10))
        return f"{head}-{''.join(self.rng.choice(letters) for _ in range(3))}"

    def council(
        self,
        process: Process,
        days_ago: float,
        number: str,
        purpose: str = "approval",
        phase: str | None = None,
    ) -> None:
        day = self.at(days_ago)
        present = self.rng.randint(27, 37)
        against = self.rng.randint(0, 2)
        abstain = self.rng.randint(0, 2)
        records.record_council_decision(
            process.id,
            records.CouncilInput(
                purpose=purpose,
                phase=phase,
                session_date=day,
                session_number=f"{self.rng.randint(10, 30)}η",
                decision_number=number,
                members=41,
                present=present,
                votes_for=present - against - abstain,
                against=against,
                abstain=abstain,
                ada=self.ada(),
                posted_on=day,  # posted the same day: a vote is recorded once it is out
            ),
            self.users["staff"],
        )

    def external(
        self, process: Process, days_ago: float, kind: str, outcome: str, ref: str = ""
    ) -> None:
        day = self.at(days_ago)
        records.record_external(process.id, kind, outcome, day, self.users["staff"], reference=ref)

    def move(self, process: Process, days_ago: float, key: str, **payload: object) -> None:
        self.at(days_ago)
        processes.transition(process.id, key, self.users["staff"], payload=payload or {})

    def settle(self, process: Process, days_ago: float) -> None:
        """Let time-gated automatic moves happen (the appeal window closing)."""
        self.at(days_ago)
        deadlines.close_elapsed_timers(clock.utcnow())
        processes.advance_process(process.id, self.users["staff"])


def _number(s: Story, days_ago: float) -> str:
    """A council decision number such as 214/2026, in the year of the session."""
    return f"{s.rng.randint(100, 300)}/{to_local(s.base - timedelta(days=days_ago)).year}"


def twinning_story(s: Story, process: Process, start: float, stop: str, span: float = 1.0) -> None:
    """Walk a twinning from idea to ``stop``, begun ``start`` days ago; ``span`` stretches time.

    Stages, in order: idea, contact, letter, drafting, agenda, council, ministry,
    partner, ready, phase_a, active; the file stops after ``stop``.
    """

    def d(k: float) -> float:
        return start - k * span

    def contact() -> None:
        s.at(d(3))
        approve_all(process)

    def letter() -> None:
        s.external(process, d(20), "partner_reply", "positive")

    def drafting() -> None:
        s.at(d(28))
        approve_all(process)
        s.external(process, d(45), "partner_loi_reply", "positive")

    def agenda() -> None:
        s.at(d(70))
        approve_all(process)

    def council() -> None:
        s.at(d(78))
        approve_all(process)

    def ministry() -> None:
        s.council(process, d(92), _number(s, d(92)))

    def partner() -> None:
        s.external(process, d(130), "partner_decision", "approved")

    def ready() -> None:
        if "ministry_review" in processes.active_states(process):
            s.external(process, d(150), "ministry_decision", "consent", "Φ.110/2026")
        s.at(d(151))
        processes.set_flag(process.id, "final_text_agreed", True, s.users["staff"])
        s.settle(process, d(152))

    def phase_a() -> None:
        s.move(process, d(170), "sign_phase_a", date=s.at(d(170)), place="home")

    def active() -> None:
        s.council(process, d(200), _number(s, d(200)), purpose="travel", phase="B")
        s.move(process, d(230), "sign_phase_b", date=s.at(d(230)), place="partner")

    stages: list[tuple[str, Callable[[], None]]] = [
        ("idea", lambda: None),  # just proposed: the head of office has yet to approve contact
        ("contact", contact),
        ("letter", letter),
        ("drafting", drafting),
        ("agenda", agenda),
        ("council", council),
        ("ministry", ministry),
        ("partner", partner),
        ("ready", ready),
        ("phase_a", phase_a),
        ("active", active),
    ]
    assert stop in dict(stages), f"unknown stage {stop!r}"
    for name, action in stages:
        action()
        if name == stop:
            return


def seed_demo() -> dict[str, int]:
    """Demo users and files spread over the workflow (only into an empty database)."""
    seed_reference()
    base = clock.utcnow()
    users = {
        u.key: accounts.create_user(
            u.email,
            u.name,
            DEMO_PASSWORD,
            list(u.roles),
            None,
            u.language,
            must_change_password=False,
            is_demo=True,
        )
        for u in DEMO_USERS
    }
    s = Story(base, users, random.Random(2026))  # noqa: S311 - demo data, not secrets
    staff = users["staff"]

    def new(
        kind: str, key: str, days_ago: float, owner: str = "staff", source: str = ""
    ) -> Process:
        s.at(days_ago)
        return processes.create_process(
            kind, _authority(key), staff, source=source, owner=users[owner]
        )

    made: dict[str, int] = {}
    # Monday morning (scenario 1): Positano's ministry consent and Fonte Nuova's partner
    # decision overdue; Strovolos, Umeå and Vilnius due this week; Lakatamia's proposal
    # waiting on the head of office; Umeå's draft with the council's committee.
    plan = [
        ("strovolos", 30.5, "contact", 1.0, "Πρόταση κυπριακής κοινότητας Αμαρουσίου"),
        ("lakatamia", 3, "idea", 1.0, "Επιστολή του Δήμου Λακατάμειας"),
        ("umea", 72, "drafting", 1.0, "Δίκτυο Q-Cities"),
        ("vilnius", 86, "council", 1.0, "Επίσκεψη αντιπροσωπείας"),
        ("positano", 155, "partner", 1.0, "Πρόταση Δημάρχου"),
        ("fonte_nuova", 215, "ministry", 1.0, "Δίκτυο Q-Cities"),
        ("limassol", 240, "phase_a", 1.0, "Πρωτοβουλία Δημάρχου"),
        ("nea_ionia", 900, "active", 2.0, "Σύλλογος Μικρασιατών"),
    ]
    for key, start, stop, span, source in plan:
        owner = "staff2" if key in ("lakatamia", "positano") else "staff"
        p = new("twinning", key, start, owner, source)
        twinning_story(s, p, start, stop, span)
        made[key] = p.id
    # Fine-tune the stories to the scenarios of the brief.
    _umea(s, made["umea"])
    _fonte_nuova(s, made["fonte_nuova"])
    _nea_ionia(s, made["nea_ionia"])
    for key, start in (("faenza", 3300), ("ploiesti", 3000), ("bucharest_s6", 2700), ("nis", 2400)):
        p = new("twinning", key, start, source="Παλαιότερη αδελφοποίηση")
        twinning_story(s, p, start, "active", 10.0)
        _reviewed(s, p, 150)
        made[key] = p.id
    p = new("memorandum", "chaoyang", 1500, source="Ολυμπιακές πόλεις")
    twinning_story(s, p, 1500, "active", 5.0)
    _reviewed(s, p, 120)
    made["chaoyang"] = p.id
    clock.reset()
    deadlines.close_elapsed_timers(base)
    _mark_past_reminders_sent(base)
    db.session.flush()
    return made


def demo_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF with ``lines`` of ASCII text (the demo's draft)."""
    text = "\n".join(
        f"BT /F1 12 Tf 72 {760 - 18 * i} Td ({line.replace('(', '[').replace(')', ']')}) Tj ET"
        for i, line in enumerate(lines)
    ).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _umea(s: Story, pid: int) -> None:
    """Staff attached the draft protocol; the head and the deputy mayor signed off; the
    council's committee is deciding (and can read the draft from the decision page)."""
    process = db.session.get(Process, pid)
    assert process is not None
    s.at(12)
    draft = demo_pdf(
        [
            "Draft twinning protocol - Municipality of Amarousion and Umea Municipality",
            "Article 1. The two cities establish a twinning of friendship and cooperation.",
            "Article 2. Fields: culture, education, sport, sustainable urban mobility.",
            "Article 3. Exchanges of pupils, athletes and municipal staff each year.",
            "Article 4. A joint committee meets once a year, in turn in each city.",
            "(demo document)",
        ]
    )
    documents.upload(
        process.id,
        io.BytesIO(draft),
        "schedio-protokollou-umea.pdf",
        "Σχέδιο πρωτοκόλλου αδελφοποίησης Αμαρουσίου – Ουμεό",
        "draft",
        s.users["staff"],
    )
    s.at(10)
    approve_all(process, groups={0, 1})


def _reviewed(s: Story, process: Process, days_ago: float) -> None:
    """Older agreements went through the review at the start of the municipal term."""
    s.move(process, days_ago + 20, "start_review")
    s.move(process, days_ago, "confirm_active")


def _fonte_nuova(s: Story, pid: int) -> None:
    """Ministry consented; the partner's decision is overdue."""
    process = db.session.get(Process, pid)
    assert process is not None
    s.external(process, 40, "ministry_decision", "consent", "Φ.112/4321")


def _nea_ionia(s: Story, pid: int) -> None:
    """The partner was merged into Volos: recorded, so the twinning is under review."""
    process = db.session.get(Process, pid)
    assert process is not None
    s.move(process, 5, "partner_reorganised", successor=str(_authority("volos").id))


def _mark_past_reminders_sent(now: datetime) -> None:
    """The demo's past happened already: its reminders and mail count as sent, not a backlog."""
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.status == "pending", Reminder.fire_dt < now)
        .values(status="sent", sent_dt=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "pending")
        .values(status="sent", sent_dt=now)
        .execution_options(synchronize_session=False)
    )
