"""Hypothesis drives random people through the service layer and checks the invariants.

Random sequences of actions by random users (of random roles, allowed or not)
on the real database: files opened, transitions with random inputs, approvals,
rejections and send-backs, council votes with random counts, outside events,
flags, deadline extensions, stand-ins and a clock that moves. After every
step the invariants of the workflow must hold; every refused action must
leave the database exactly as it was. Two mutation tests remove a permission
check and the ordering of sign-offs, and expect the machine to notice.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import ON_POSTGRES, PASSWORD, _truncate_all, authority
from tracker import clock
from tracker.domain import approvals as policy
from tracker.domain import engine
from tracker.domain.definitions import ApprovalGroup, WorkflowDef
from tracker.domain.permissions import APPROVERS, MATRIX
from tracker.domain.roles import ROLE_KEYS
from tracker.extensions import db
from tracker.models import (
    ApprovalRequest,
    AuditLog,
    Deadline,
    DeadlineExtension,
    Delegation,
    ExternalEvent,
    Process,
    Step,
    User,
)
from tracker.seed import seed_reference
from tracker.services import accounts, approvals, deadlines, processes, records
from tracker.services.errors import ServiceError

from .support import act, snapshot, today, vote

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
PARTNERS = ("umea", "vilnius", "nea_ionia", "limassol", "chaoyang", "positano")
KINDS = ("twinning", "twinning", "memorandum", "network")
TEAM = {
    "staff": ("staff",),
    "head": ("head",),
    "head2": ("head",),
    "deputy": ("deputy_mayor",),
    "mayor": ("mayor",),
    "president": ("council_president",),
    "c1": ("council_member",),
    "c2": ("council_member",),
    "c3": ("staff", "council_member"),
    "admin": ("admin",),
    "viewer": ("viewer",),
}
EXTERNAL = {
    "partner_reply": ("positive", "negative"),
    "partner_loi_reply": ("positive", "negative"),
    "partner_decision": ("approved", "rejected"),
    "ministry_decision": ("consent", "refusal"),
    "appeal": ("lodged", "dismissed", "upheld"),
}
DECISION_ACTIONS = ("approval.approved", "approval.rejected", "approval.sent_back")

#: Figures of the last run, for the report at the end of the test.
STATS: Counter[str] = Counter()
VISITED: set[str] = set()


def reset_database(app: Flask, template: str, url: str) -> None:
    """A clean database per example: truncate on PostgreSQL, a fresh copy on SQLite."""
    db.session.remove()
    if ON_POSTGRES:
        _truncate_all()
    else:
        db.engine.dispose()
        path = Path(url.removeprefix("sqlite:///"))
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        shutil.copy(template, path)
    act(seed_reference)


def allowed(user: User, action: str) -> bool:
    return user.is_active and bool(user.role_keys & MATRIX[action])


def satisfied(group: ApprovalGroup, statuses: list[str]) -> bool:
    """An oracle written apart from the engine: did this group really approve?"""
    total = len(statuses)
    yes = statuses.count("approved")
    no = statuses.count("rejected")
    if total == 0:
        return False
    if group.policy == "any":
        need = 1
    elif group.policy == "all":
        need = total
    elif group.policy == "majority":
        need = total // 2 + 1
    else:
        need = group.n or 1
    if need > total:
        return False
    if no and (group.veto or group.policy == "all"):
        return False
    return yes >= need


class World:
    """One read of everything the invariants look at."""

    defs: dict[int, WorkflowDef]
    open: dict[int, list[str]]
    closed: dict[int, bool]
    versions: dict[int, int]

    @classmethod
    def load(cls, defs: dict[int, WorkflowDef]) -> World:
        world = cls()
        files = db.session.execute(sa.select(Process.id, Process.is_closed, Process.version)).all()
        world.defs = {pid: defs[pid] for pid, _, _ in files}
        world.closed = {pid: closed for pid, closed, _ in files}
        world.versions = {pid: version for pid, _, version in files}
        world.steps = list(db.session.execute(STEP_ROWS))
        world.open = defaultdict(list)
        for step in world.steps:
            if step.status == "open":
                world.open[step.process_id].append(step.state)
        world.requests = list(db.session.execute(REQUEST_ROWS))
        world.audit = list(db.session.execute(AUDIT_ROWS))
        world.counts = dict(db.session.execute(COUNTS).tuples().all())
        world.recorded_events = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ExternalEvent)
            .where(ExternalEvent.kind.not_in(("signing", "partner_reorganised")))
        )
        world.deadlines = list(db.session.execute(DEADLINE_ROWS))
        world.extensions = db.session.execute(
            sa.select(
                DeadlineExtension.old_due_dt, DeadlineExtension.new_due_dt, Deadline.is_statutory
            ).join(Deadline)
        ).all()
        return world


STEP_ROWS = sa.select(
    Step.id,
    Step.process_id,
    Step.state,
    Step.status,
    Step.round,
    Step.left_dt,
    Step.left_by_transition,
)
REQUEST_ROWS = sa.select(
    ApprovalRequest.id,
    ApprovalRequest.process_id,
    ApprovalRequest.step_id,
    ApprovalRequest.state,
    ApprovalRequest.round,
    ApprovalRequest.group_index,
    ApprovalRequest.approver_id,
    ApprovalRequest.requester_id,
    ApprovalRequest.status,
    ApprovalRequest.decided_dt,
)
DEADLINE_ROWS = sa.select(Deadline.is_statutory, Deadline.due_dt, Deadline.original_due_dt)
AUDIT_ROWS = sa.select(
    AuditLog.id,
    AuditLog.action,
    AuditLog.process_id,
    AuditLog.object_id,
    AuditLog.actor_id,
    AuditLog.data,
).order_by(AuditLog.id)
COUNTS = sa.text(
    " UNION ALL ".join(
        f"SELECT '{name}', COUNT(*) FROM {name}"
        for name in ("process", "council_decision", "deadline_extension", "step")
    )
)


def undecided(pid: int) -> list[ApprovalRequest]:
    """Undecided requests of the current rounds of a file's open steps, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ApprovalRequest)
            .join(Step, Step.id == ApprovalRequest.step_id)
            .where(
                ApprovalRequest.process_id == pid,
                ApprovalRequest.status == "pending",
                Step.status == "open",
                Step.round == ApprovalRequest.round,
            )
            .order_by(ApprovalRequest.id)
        )
    )


class WorkflowMachine(RuleBasedStateMachine):
    """Random people doing random things to a handful of files."""

    app: Flask
    template: str
    url: str

    def __init__(self) -> None:
        super().__init__()
        reset_database(self.app, self.template, self.url)
        clock.freeze(START)
        self.users: dict[str, int] = {}
        for key, roles in TEAM.items():
            user = act(
                accounts.create_user,
                f"{key}@example.org",
                f"User {key}",
                PASSWORD,
                list(roles),
                None,
                must_change_password=False,
            )
            self.users[key] = user.id
        self.pids: list[int] = []
        self.defs: dict[int, WorkflowDef] = {}  # a file keeps its workflow version
        self.versions: dict[int, int] = {}
        self.closed_moves: dict[int, int] = {}
        STATS["examples"] += 1

    # ------------------------------------------------------------------ helpers

    def user(self, key: str) -> User:
        found = db.session.get(User, self.users[key])
        assert found is not None
        return found

    def process(self, pid: int) -> Process:
        found = db.session.get(Process, pid)
        assert found is not None
        return found

    def attempt(
        self, call: Callable[..., Any], *args: Any, permitted: Callable[[], bool], **kw: Any
    ) -> Any:
        """Run one service call as an edge would, and check what a refusal or success implies."""
        STATS["steps"] += 1
        before = snapshot()
        expected = permitted()
        try:
            result = act(call, *args, **kw)
        except ServiceError as exc:
            STATS[f"refused {type(exc).__name__}"] += 1
            assert snapshot() == before, f"{call.__name__} refused ({exc}) but changed the database"
            return None
        STATS["succeeded"] += 1
        assert expected, f"{call.__name__} succeeded for someone not allowed to do it"
        after = snapshot()
        assert after["counts"]["audit_log"] > before["counts"]["audit_log"], (
            "a change without history"
        )
        return result

    def pick_pid(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from(self.pids), label="file")

    def pick_user(self, data: st.DataObject) -> User:
        return self.user(data.draw(st.sampled_from(sorted(self.users)), label="who"))

    # ------------------------------------------------------------------ rules

    @initialize(
        data=st.data(),
        kind=st.sampled_from(KINDS),
        partner=st.sampled_from(PARTNERS),
        head_start=st.sampled_from([0, 3, 4, 5, 6, 9, 16]),
    )
    def first_file(self, data: st.DataObject, kind: str, partner: str, head_start: int) -> None:
        """Every run starts with one file opened by the office, often already some way along."""
        staff = self.user("staff")
        process = self.attempt(
            processes.create_process, kind, authority(partner), staff, permitted=lambda: True
        )
        self.pids.append(process.id)
        self.defs[process.id] = process.definition
        for _ in range(head_start):
            self.make_progress(data)

    @precondition(lambda self: len(self.pids) < 3)
    @rule(data=st.data(), kind=st.sampled_from(KINDS), partner=st.sampled_from(PARTNERS))
    def open_file(self, data: st.DataObject, kind: str, partner: str) -> None:
        actor = self.pick_user(data)
        process = self.attempt(
            processes.create_process,
            kind,
            authority(partner),
            actor,
            permitted=lambda: allowed(actor, "process.create"),
        )
        if process is not None:
            self.pids.append(process.id)
            self.defs[process.id] = process.definition

    @precondition(lambda self: self.pids)
    @rule(data=st.data())
    def transition(self, data: st.DataObject) -> None:
        pid = self.pick_pid(data)
        process = self.process(pid)
        defn = process.definition
        # Mostly a move people make by hand from where the file stands (automatic ones fire
        # by themselves), sometimes any transition of the workflow at all.
        facts = processes.facts_for(process)
        here = sorted(t.key for t in engine.candidates(defn, facts) if not t.auto)
        anywhere = sorted(defn.transitions)
        key = data.draw(
            st.sampled_from(here)
            if here and data.draw(st.booleans(), label="from here")
            else st.sampled_from(anywhere),
            label="transition",
        )
        actor = self.pick_user(data)
        payload = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "date": st.sampled_from([today().isoformat(), "2026-02-31", ""]),
                    "place": st.sampled_from(["home", "partner", "moon"]),
                    "successor": st.sampled_from(
                        [str(authority("volos").id), str(authority("amarousion").id), "x"]
                    ),
                },
            ),
            label="payload",
        )
        seen = data.draw(
            st.sampled_from([None, process.version, process.version - 1]), label="seen"
        )
        roles = set(defn.transitions[key].roles)
        self.attempt(
            processes.transition,
            pid,
            key,
            actor,
            seen,
            payload,
            permitted=lambda: actor.is_active and bool(actor.role_keys & roles),
        )

    @precondition(lambda self: self.pids)
    @rule(data=st.data())
    def approve_out_of_turn(self, data: st.DataObject) -> None:
        """An approver clicks before the earlier groups have signed off (it must be refused)."""
        early = []
        for pid in self.pids:
            process = self.process(pid)
            facts = processes.facts_for(process)
            early += [
                r
                for r in undecided(pid)
                if r.group_index not in self._turn(process.definition, facts, r.state)
            ]
        STATS["out of turn chances"] += 1
        if not early:
            return
        STATS["out of turn tried"] += 1
        request = data.draw(st.sampled_from(early), label="request")
        approver = db.session.get(User, request.approver_id)
        assert approver is not None
        self.attempt(approvals.decide, request.id, approver, "approved", permitted=lambda: True)

    @precondition(lambda self: self.pids)
    @rule(
        data=st.data(), decision=st.sampled_from(["approved", "approved", "rejected", "sent_back"])
    )
    def decide(self, data: st.DataObject, decision: str) -> None:
        pid = self.pick_pid(data)
        requests = list(
            db.session.scalars(
                sa.select(ApprovalRequest)
                .where(ApprovalRequest.process_id == pid)
                .order_by(ApprovalRequest.id)
            )
        )
        if not requests:
            return
        process = self.process(pid)
        facts = processes.facts_for(process)
        waiting = [r for r in requests if r.status == "pending"]
        early = [
            r
            for r in waiting
            if r.group_index not in self._turn(process.definition, facts, r.state)
        ]
        # Waiting requests, often one whose turn has not come; sometimes old or decided ones.
        pools = [p for p in (waiting, early, early, requests) if p]
        choice = data.draw(st.sampled_from(pools), label="pool")
        request = data.draw(st.sampled_from(choice), label="request")
        own = data.draw(st.integers(0, 3), label="the approver decides") > 0
        actor = self.user(
            next(k for k, v in self.users.items() if v == request.approver_id)
            if own
            else data.draw(st.sampled_from(sorted(self.users)), label="someone else")
        )
        comment = data.draw(st.sampled_from(["", "Χρειάζεται διόρθωση."]), label="comment")
        delegated = request.on_behalf_of_id is not None
        self.attempt(
            approvals.decide,
            request.id,
            actor,
            decision,
            comment,
            permitted=lambda: (
                actor.id == request.approver_id
                and actor.is_active
                and (bool(actor.role_keys & APPROVERS) or delegated)
            ),
        )

    @precondition(lambda self: self.pids)
    @rule(
        data=st.data(),
        purpose=st.sampled_from(["approval", "approval", "travel", "termination", "start"]),
        present=st.integers(0, 45),
        split=st.tuples(st.integers(0, 45), st.integers(0, 10), st.integers(0, 5)),
        ada=st.sampled_from(["6ΞΑΖ46ΜΤΛΗ-ΡΣΚ", "", "nonsense"]),
        posted=st.sampled_from([0, 2, None, -3]),
        phase=st.sampled_from(["A", "B", "joint", None]),
    )
    def council_vote(
        self,
        data: st.DataObject,
        purpose: str,
        present: int,
        split: tuple[int, int, int],
        ada: str,
        posted: int | None,
        phase: str | None,
    ) -> None:
        pid = self.pick_pid(data)
        actor = self.pick_user(data)
        day = today()
        typed = vote(
            purpose=purpose,
            phase=phase,
            session_date=day,
            decision_number="12/2026",
            present=present,
            votes_for=split[0],
            against=split[1],
            abstain=split[2],
            ada=ada,
            posted_on=None if posted is None else day + timedelta(days=posted),
        )
        self.attempt(
            records.record_council_decision,
            pid,
            typed,
            actor,
            permitted=lambda: allowed(actor, "council.record"),
        )

    @precondition(lambda self: self.pids)
    @rule(data=st.data(), kind=st.sampled_from(sorted(EXTERNAL)))
    def outside_event(self, data: st.DataObject, kind: str) -> None:
        pid = self.pick_pid(data)
        actor = self.pick_user(data)
        outcome = data.draw(st.sampled_from([*EXTERNAL[kind], "shrug"]), label="outcome")
        self.attempt(
            records.record_external,
            pid,
            kind,
            outcome,
            today(),
            actor,
            permitted=lambda: allowed(actor, "external.record"),
        )

    @precondition(lambda self: self.pids)
    @rule(
        data=st.data(),
        flag=st.sampled_from(["final_text_agreed", "requires_ministry", "partner_abroad"]),
        value=st.booleans(),
    )
    def set_flag(self, data: st.DataObject, flag: str, value: bool) -> None:
        pid = self.pick_pid(data)
        actor = self.pick_user(data)
        self.attempt(
            processes.set_flag,
            pid,
            flag,
            value,
            actor,
            permitted=lambda: allowed(actor, "process.flag"),
        )

    @precondition(lambda self: self.pids)
    @rule(data=st.data(), days=st.integers(-20, 60), reason=st.sampled_from(["", "Νέα ημερομηνία"]))
    def extend_deadline(self, data: st.DataObject, days: int, reason: str) -> None:
        pid = self.pick_pid(data)
        rows = list(
            db.session.scalars(
                sa.select(Deadline).where(Deadline.process_id == pid).order_by(Deadline.id)
            )
        )
        if not rows:
            return
        deadline = data.draw(st.sampled_from(rows), label="deadline")
        actor = self.pick_user(data)
        new_day = clock.utcnow().date() + timedelta(days=days)
        self.attempt(
            deadlines.extend,
            deadline.id,
            new_day,
            reason,
            actor,
            permitted=lambda: allowed(actor, "deadline.extend"),
        )

    @rule(days=st.sampled_from([1, 3, 10, 16, 45]))
    def time_passes(self, days: int) -> None:
        """The scheduler's timer sweep after the clock moves."""
        clock.shift(timedelta(days=days))
        touched = act(deadlines.close_elapsed_timers, clock.utcnow())
        for pid in touched:
            act(processes.advance_process, pid, None)

    @rule(data=st.data(), days=st.integers(0, 20))
    def stand_in(self, data: st.DataObject, days: int) -> None:
        """An approver names a substitute (rows written as the delegation service would)."""
        who = self.pick_user(data)
        substitute = self.pick_user(data)
        if who.id == substitute.id:
            return
        db.session.add(
            Delegation(
                user_id=who.id,
                substitute_id=substitute.id,
                start_date=today(),
                end_date=today() + timedelta(days=days),
            )
        )
        db.session.commit()

    @precondition(lambda self: len(self.users) < len(TEAM) + 4)
    @rule(roles=st.sets(st.sampled_from(ROLE_KEYS), min_size=1, max_size=2))
    def colleague_joins(self, roles: set[str]) -> None:
        key = f"extra{len(self.users)}"
        user = act(
            accounts.create_user,
            f"{key}@example.org",
            f"User {key}",
            PASSWORD,
            sorted(roles),
            None,
            must_change_password=False,
        )
        self.users[key] = user.id

    @precondition(lambda self: self.pids)
    @rule(data=st.data())
    def make_progress(self, data: st.DataObject) -> None:
        """The office doing the right thing next, so random runs reach the later steps."""
        pid = self.pick_pid(data)
        process = self.process(pid)
        defn = process.definition
        facts = processes.facts_for(process)
        if defn.is_terminal(facts.active):
            return
        waiting = [r for r in undecided(pid) if r.group_index in self._turn(defn, facts, r.state)]
        events, purposes = engine.awaited(defn, facts)
        staff = self.user("staff")
        if waiting:
            request = data.draw(st.sampled_from(waiting), label="approval")
            approver = db.session.get(User, request.approver_id)
            assert approver is not None
            self.attempt(approvals.decide, request.id, approver, "approved", permitted=lambda: True)
        elif events:
            kind = data.draw(st.sampled_from(sorted(events)), label="event")
            good = {"ministry_decision": "consent", "partner_decision": "approved"}
            outcome = good.get(kind, "positive")
            self.attempt(
                records.record_external, pid, kind, outcome, today(), staff, permitted=lambda: True
            )
        elif "approval" in purposes and facts.latest_council("approval") is None:
            self.attempt(
                records.record_council_decision, pid, vote(), staff, permitted=lambda: True
            )
        elif facts.active & {"ready_to_sign", "signed_phase_a"}:
            key = "sign_phase_a" if "ready_to_sign" in facts.active else "sign_phase_b"
            payload = {"date": today().isoformat(), "place": "home"}
            self.attempt(
                processes.transition, pid, key, staff, payload=payload, permitted=lambda: True
            )
        elif not processes.flags_for(process)["final_text_agreed"]:
            self.attempt(
                processes.set_flag, pid, "final_text_agreed", True, staff, permitted=lambda: True
            )
        elif manual := [
            a.transition.key
            for a in processes.available_actions(process, staff)
            if a.allowed and not a.transition.auto and not a.transition.inputs
        ]:
            key = data.draw(st.sampled_from(manual), label="next move")
            self.attempt(processes.transition, pid, key, staff, permitted=lambda: True)
        else:
            self.time_passes(16)

    @staticmethod
    def _turn(defn: WorkflowDef, facts: engine.Facts, state: str) -> set[int]:
        spec = defn.states[state].approval
        return policy.open_groups(spec, facts.votes.get(state, ())) if spec else set()

    @precondition(lambda self: self.pids)
    @rule(data=st.data())
    def make_more_progress(self, data: st.DataObject) -> None:
        """The same, twice as likely: random runs should reach signing and beyond."""
        self.make_progress(data)

    @precondition(lambda self: self.pids)
    @rule(data=st.data())
    def make_even_more_progress(self, data: st.DataObject) -> None:
        self.make_progress(data)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def the_workflow_invariants_hold(self) -> None:
        """Everything is read once, then each invariant is checked on the same picture."""
        world = World.load(self.defs)
        VISITED.update(s for states in world.open.values() for s in states)
        self.check_states(world)
        self.check_terminal(world)
        self.check_history(world)
        self.check_approvals(world)
        self.check_decisions(world)
        self.check_deadlines(world)
        db.session.rollback()  # end the read transaction before the next call

    def check_states(self, world: World) -> None:
        """A file stands somewhere, only in states its definition has, each open once."""
        assert set(world.defs) == set(self.pids)
        for pid, defn in world.defs.items():
            active = world.open[pid]
            assert active, f"file {pid} stands nowhere"
            assert set(active) <= set(defn.states), f"file {pid} in unknown states {active}"
            assert len(active) == len(set(active)), f"file {pid}: a state open twice {active}"
            phases = {defn.states[s].phase for s in active if not defn.states[s].terminal}
            assert len(phases) <= 1, f"file {pid}: parallel steps of different phases {active}"

    def check_terminal(self, world: World) -> None:
        """Terminal states are final: nothing open beside them, no later transition."""
        moves = Counter(a.process_id for a in world.audit if a.action == "process.transition")
        for pid, defn in world.defs.items():
            active = set(world.open[pid])
            terminal = {s for s in active if defn.states[s].terminal}
            if terminal:
                assert terminal == active, f"file {pid}: terminal and open together {active}"
            assert world.closed[pid] == bool(terminal), f"file {pid}: is_closed wrong for {active}"
            if world.closed[pid]:
                first = self.closed_moves.setdefault(pid, moves[pid])
                assert moves[pid] == first, f"file {pid} moved after it closed"

    def check_history(self, world: World) -> None:
        """Every change has its history row; versions only go up."""
        actions = Counter(a.action for a in world.audit)
        counts = world.counts
        assert counts["process"] == actions["process.create"]
        assert counts["council_decision"] == actions["council.record"]
        assert world.recorded_events == actions["external.record"]
        assert counts["deadline_extension"] == actions["deadline.extend"]
        decided = sum(1 for r in world.requests if r.decided_dt is not None)
        assert decided == sum(actions[a] for a in DECISION_ACTIONS)
        entered = sum(len(a.data["to"]) for a in world.audit if a.action == "process.transition")
        initial = sum(len(defn.initial) for defn in world.defs.values())
        assert counts["step"] == entered + initial, "a step opened without a transition"
        for pid, version in world.versions.items():
            assert version >= self.versions.get(pid, 1), f"file {pid}: version went back"
        self.versions = world.versions

    def check_approvals(self, world: World) -> None:
        """No step was left through an approvals guard without its sign-off."""
        for step in world.steps:
            if step.status != "done" or step.left_by_transition is None:
                continue
            defn = world.defs[step.process_id]
            spec = defn.states[step.state].approval
            t = defn.transitions[step.left_by_transition]
            if spec is None or not any(g.name == "approvals" for g in t.guards):
                continue
            rows = [r for r in world.requests if r.step_id == step.id and r.round == step.round]
            for i, grp in enumerate(spec.groups):
                # Undecided requests were voided when the step was left: they count as pending.
                said = [
                    "pending" if r.status == "void" else r.status
                    for r in rows
                    if r.group_index == i
                ]
                assert satisfied(grp, said), (
                    f"file {step.process_id} left {step.state} by {t.key} without group {i}: {said}"
                )
            assert all(r.decided_dt <= step.left_dt for r in rows if r.decided_dt)

    def check_decisions(self, world: World) -> None:
        """One request per person per round, never one's own, decided once, in turn."""
        keys = Counter((r.step_id, r.round, r.approver_id) for r in world.requests)
        assert max(keys.values(), default=1) == 1, "someone has two requests in one round"
        assert all(r.requester_id != r.approver_id for r in world.requests), "an own request"
        decisions = [a for a in world.audit if a.action in DECISION_ACTIONS]
        per_request = Counter(a.object_id for a in decisions)
        assert max(per_request.values(), default=1) == 1, "a request decided twice"
        by_id = {r.id: r for r in world.requests}
        members = Counter((r.step_id, r.round, r.group_index) for r in world.requests)
        cast: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
        for entry in decisions:
            request = by_id[entry.object_id]
            assert entry.actor_id == request.approver_id, "decided by someone else"
            spec = world.defs[request.process_id].states[request.state].approval
            assert spec is not None
            earlier = cast[(request.step_id, request.round)]
            for g in range(request.group_index) if spec.ordered else ():
                # What the group had decided before this decision; the rest was pending.
                said = [d for group, d in earlier if group == g]
                said += ["pending"] * (members[(request.step_id, request.round, g)] - len(said))
                assert satisfied(spec.groups[g], said), (
                    f"request {request.id} (group {request.group_index}) decided before "
                    f"group {g} had approved"
                )
            earlier.append((request.group_index, entry.action.removeprefix("approval.")))

    def check_deadlines(self, world: World) -> None:
        """Statutory deadlines are never shortened, not even one extension at a time."""
        for deadline in world.deadlines:
            if deadline.is_statutory:
                assert deadline.due_dt >= deadline.original_due_dt
        for old, new, statutory in world.extensions:
            assert not statutory or new >= old

    def teardown(self) -> None:
        STATS["files"] += len(self.pids)
        db.session.remove()


@pytest.fixture
def machine(app: Flask, template_db: str, db_url: str) -> Iterator[type[WorkflowMachine]]:
    WorkflowMachine.app = app
    WorkflowMachine.template = template_db
    WorkflowMachine.url = db_url
    STATS.clear()
    VISITED.clear()
    yield WorkflowMachine
    clock.reset()


#: Enough to be meaningful in CI and to keep this file near a minute per database
#: (a PostgreSQL example costs more: TRUNCATE and a round trip per query).
EXAMPLES = int(os.environ.get("STATEFUL_EXAMPLES", "40" if ON_POSTGRES else "50"))
STEPS = int(os.environ.get("STATEFUL_STEPS", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_invariants_hold_over_random_runs(machine: type[WorkflowMachine]) -> None:
    started = time.monotonic()
    cpu_started = time.process_time()
    run_state_machine_as_test(machine, settings=SETTINGS)
    elapsed = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    print(
        f"\nstateful: {STATS['examples']} examples, {STATS['steps']} service calls "
        f"({STATS['succeeded']} done, {STATS['steps'] - STATS['succeeded']} refused), "
        f"{STATS['files']} files, {STATS['out of turn tried']} sign-offs out of turn, "
        f"{len(VISITED)} states visited, "
        f"{elapsed:.1f}s ({cpu:.1f}s CPU) on {'PostgreSQL' if ON_POSTGRES else 'SQLite'}: "
        f"{', '.join(sorted(VISITED))}"
    )
    assert STATS["examples"] >= min(EXAMPLES, 20)
    assert STATS["succeeded"] > STATS["examples"]  # the runs did real work, not only refusals


MUTANT = settings(
    max_examples=150,  # an upper bound: each mutant is usually caught within 20 examples
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    phases=[Phase.generate],  # stop at the first failure: no need to shrink it
    derandomize=True,  # the same examples every run: a mutant found once is found in CI
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_a_removed_permission_check_is_found(
    machine: type[WorkflowMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``permissions.require`` lets everyone through: someone does what they may not."""
    from tracker.services import permissions

    monkeypatch.setattr(permissions, "can", lambda actor, action: actor is not None)
    with pytest.raises(AssertionError, match="not allowed"):
        run_state_machine_as_test(machine, settings=MUTANT)
    print(f"\nmutant found after {STATS['examples']} examples, {STATS['steps']} calls")


def test_a_removed_role_check_in_the_engine_is_found(
    machine: type[WorkflowMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine forgets who may fire a transition: a viewer abandons a file."""
    original = engine.check

    def no_roles(defn: WorkflowDef, facts: engine.Facts, key: str, roles: Any, *rest: Any) -> Any:
        return original(defn, facts, key, frozenset(ROLE_KEYS), *rest)

    monkeypatch.setattr(engine, "check", no_roles)
    with pytest.raises(AssertionError, match="not allowed"):
        run_state_machine_as_test(machine, settings=MUTANT)
    print(f"\nmutant found after {STATS['examples']} examples, {STATS['steps']} calls")


class SignOffMachine(WorkflowMachine):
    """The same machine, its first file just arrived at an ordered sign-off (drafting)."""

    @initialize(
        data=st.data(),
        kind=st.sampled_from(["twinning", "network"]),
        partner=st.sampled_from(PARTNERS),
    )
    def first_file(self, data: st.DataObject, kind: str, partner: str) -> None:
        WorkflowMachine.first_file(self, data, kind, partner, 3 if kind == "twinning" else 1)


def test_a_removed_ordering_check_is_found(
    machine: type[WorkflowMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign-offs stop waiting their turn: a councillor decides before the head of office."""

    def anyone_pending(spec: Any, votes: Any, approver: int, group: int) -> bool:
        return any(v.approver == approver and v.decision == "pending" for v in votes)

    monkeypatch.setattr(policy, "may_decide", anyone_pending)
    assert issubclass(SignOffMachine, machine)
    with pytest.raises(AssertionError, match="before group"):
        run_state_machine_as_test(SignOffMachine, settings=MUTANT)
    print(f"\nmutant found after {STATS['examples']} examples, {STATS['steps']} calls")


def test_the_oracle_agrees_with_the_engine_on_the_shipped_policies() -> None:
    """The invariants' own approval oracle is checked against the domain on every pattern."""
    for grp in (
        ApprovalGroup(("head",)),
        ApprovalGroup(("head",), "all"),
        ApprovalGroup(("head",), "majority"),
        ApprovalGroup(("head",), "at_least", 2),
        ApprovalGroup(("head",), "any", None, True),
    ):
        for size in range(1, 5):
            for pattern in _patterns(size):
                votes = [policy.Vote(i, 0, d) for i, d in enumerate(pattern)]  # type: ignore[arg-type]
                assert satisfied(grp, list(pattern)) == (
                    policy.evaluate_group(grp, votes) == "approved"
                ), (grp, pattern)


def _patterns(size: int) -> list[tuple[str, ...]]:
    from itertools import product

    return list(product(("approved", "rejected", "pending"), repeat=size))
