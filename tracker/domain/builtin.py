"""The three workflows that ship with the tracker (domain.md §3), as data.

They are version 1 of each; administrators change deadlines, ladders and
approvers through the settings page, which stores a new version in the
database. Running processes keep the version they started with.
"""

from __future__ import annotations

import copy
from typing import Any

from .definitions import WorkflowDef, load_definition

STAFF = ["staff", "head"]
OFFICE = ["staff", "head", "admin"]


def T(el: str, en: str) -> dict[str, str]:  # noqa: N802 - reads like a literal
    return {"el": el, "en": en}


def _ladder_days(
    *days: int, escalate_at: int | None = None, to: list[str] | None = None
) -> dict[str, Any]:
    """A ladder counted in calendar days from the start of the step (ministry, partner)."""
    rungs: list[dict[str, Any]] = [
        {"key": f"day{d}", "offset": d, "unit": "calendar", "anchor": "start", "kind": "reminder"}
        for d in days
    ]
    if escalate_at is not None:
        rungs.append(
            {
                "key": "escalation",
                "offset": escalate_at,
                "unit": "calendar",
                "anchor": "start",
                "kind": "escalation",
                "to": to or ["head", "owner"],
            }
        )
    return {"rungs": rungs}


COUNCIL = {"members": 41, "quorum": "more_than_half", "majority": "absolute_present"}

PRE_SIGNING = [
    "idea",
    "exploratory_contact",
    "letter_of_intent",
    "drafting",
    "council_agenda",
    "council_decision",
    "ministry_review",
    "ministry_consented",
    "partner_approval",
    "partner_approved",
    "ready_to_sign",
]

TWINNING: dict[str, Any] = {
    "name": "twinning",
    "version": 1,
    "kind": "twinning",
    "title": T("Αδελφοποίηση", "Twinning"),
    "initial": ["idea"],
    "settings": {
        "council": COUNCIL,
        "ministry_exempt_countries": ["GR"],
        "ministry_required_countries": [],
        "appeal_days": 15,
        "cycle_start": "drafting",
        "dormant_months": 24,
        "review_every_months": 24,
    },
    "states": {
        "idea": {
            "title": T("Ιδέα", "Idea"),
            "phase": 0,
            "approval": {"groups": [{"roles": ["head"], "policy": "any"}]},
            "hint": T(
                "Η πρόταση καταγράφηκε· ο/η προϊστάμενος/η εγκρίνει το άνοιγμα επαφών.",
                "The proposal is recorded; the head of office approves opening contact.",
            ),
        },
        "exploratory_contact": {
            "title": T("Διερευνητική επαφή", "Exploratory contact"),
            "phase": 1,
            "deadline": {"amount": 30, "unit": "calendar"},
            "hint": T(
                "Αναμένεται απάντηση του εταίρου (υπενθύμιση στις 30 ημέρες).",
                "Waiting for the partner's reply (reminder at 30 days).",
            ),
        },
        "letter_of_intent": {
            "title": T("Επιστολή πρόθεσης", "Letter of intent"),
            "phase": 2,
            "deadline": {"amount": 60, "unit": "calendar"},
            "ladder": _ladder_days(30, 60),
            "approval": {"groups": [{"roles": ["mayor"], "policy": "any"}]},
            "hint": T(
                "Ο Δήμαρχος υπογράφει την επιστολή· αναμένεται η απάντηση του εταίρου.",
                "The mayor signs the letter; the partner's reply is awaited.",
            ),
        },
        "drafting": {
            "title": T("Σύνταξη σχεδίου πρωτοκόλλου", "Drafting the protocol"),
            "phase": 3,
            "deadline": {"amount": 30, "unit": "calendar"},
            "approval": {
                "ordered": True,
                "groups": [
                    {"roles": ["head"], "policy": "any"},
                    {"roles": ["deputy_mayor"], "policy": "any"},
                    {"roles": ["council_member"], "policy": "majority"},
                ],
            },
            "hint": T(
                "Δίγλωσσο σχέδιο, σχέδιο δράσης, κόστος, εισήγηση· εγκρίνουν προϊστάμενος, "
                "αντιδήμαρχος και η επιτροπή αδελφοποιήσεων.",
                "Bilingual draft, action plan, cost estimate, memo; signed off by the head, "
                "the deputy mayor and the council's twinning committee.",
            ),
        },
        "council_agenda": {
            "title": T("Ημερήσια διάταξη Δ.Σ.", "Council agenda"),
            "phase": 4,
            "deadline": {"amount": 20, "unit": "working"},
            "approval": {"groups": [{"roles": ["council_president"], "policy": "any"}]},
            "hint": T(
                "Ο/Η Πρόεδρος του Δ.Σ. εγγράφει το θέμα στην ημερήσια διάταξη.",
                "The council president puts the item on the agenda.",
            ),
        },
        "council_decision": {
            "title": T("Απόφαση Δημοτικού Συμβουλίου", "Council decision"),
            "phase": 5,
            "deadline": {"amount": 15, "unit": "working"},
            "hint": T(
                "Καταχωρίστε την ψηφοφορία, τον αριθμό απόφασης και τον ΑΔΑ.",
                "Record the vote, the decision number and the ΑΔΑ.",
            ),
        },
        "ministry_review": {
            "title": T("Γνώμη Υπουργείου Εσωτερικών", "Ministry of Interior review"),
            "phase": 6,
            "deadline": {"amount": 60, "unit": "calendar"},
            "ladder": _ladder_days(30, 45, escalate_at=60, to=["head", "mayor", "owner"]),
            "hint": T(
                "Σύμφωνη γνώμη της Επιτροπής Διεθνούς Συνεργασίας (ν. 3463/2006 άρθ. 219 §3).",
                "Binding consent of the committee for international cooperation (Law 3463/2006).",
            ),
        },
        "ministry_consented": {
            "title": T("Σύμφωνη γνώμη Υπουργείου", "Ministry consent received"),
            "phase": 6,
        },
        "partner_approval": {
            "title": T("Απόφαση εταίρου", "Partner's decision"),
            "phase": 6,
            "deadline": {"amount": 90, "unit": "calendar"},
            "ladder": {
                "rungs": [
                    {"key": "due", "offset": 0, "unit": "working", "anchor": "due", "kind": "due"},
                    {
                        "key": "escalation",
                        "offset": 5,
                        "unit": "working",
                        "anchor": "due",
                        "kind": "escalation",
                        "to": ["head", "owner"],
                    },
                ],
                "repeat_every_days": 30,
            },
            "hint": T(
                "Ο εταίρος παίρνει τη δική του απόφαση· υπενθύμιση κάθε 30 ημέρες.",
                "The partner takes its own decision; a reminder every 30 days.",
            ),
        },
        "partner_approved": {
            "title": T("Έγκριση εταίρου", "Partner approved"),
            "phase": 6,
        },
        "ready_to_sign": {
            "title": T("Έτοιμο για υπογραφή", "Ready to sign"),
            "phase": 7,
            "deadline": {"amount": 90, "unit": "calendar"},
        },
        "signed_phase_a": {
            "title": T(
                "Φάση Α υπογράφηκε — αναμένεται υπογραφή φάσης Β",
                "Phase A signed — phase B signing due",
            ),
            "phase": 8,
            "deadline": {"amount": 365, "unit": "calendar"},
            "hint": T(
                "Η δεύτερη τελετή (φάση Β) στην άλλη πόλη, κατά κανόνα εντός 12 μηνών.",
                "The second ceremony (phase B) in the other city, normally within 12 months.",
            ),
        },
        "active": {
            "title": T("Ενεργή", "Active"),
            "phase": 9,
            "deadline": {"amount": 365, "unit": "calendar"},
            "hint": T(
                "Ετήσιο σχέδιο δράσης και έκθεση δραστηριοτήτων.",
                "Annual action plan and activity report.",
            ),
        },
        "under_review": {
            "title": T("Υπό επανεξέταση", "Under review"),
            "phase": 9,
            "deadline": {"amount": 60, "unit": "calendar"},
        },
        "update_renewal": {
            "title": T("Επικαιροποίηση / ανανέωση", "Update or renewal"),
            "phase": 9,
        },
        "suspended": {"title": T("Σε αναστολή", "Suspended"), "phase": 9},
        "abandoned": {"title": T("Εγκαταλείφθηκε", "Abandoned"), "phase": 0, "terminal": True},
        "rejected": {"title": T("Απορρίφθηκε", "Rejected"), "phase": 0, "terminal": True},
        "terminated": {"title": T("Λύθηκε", "Terminated"), "phase": 0, "terminal": True},
    },
    "transitions": {
        "open_contact": {
            "title": T("Άνοιγμα διερευνητικής επαφής", "Open exploratory contact"),
            "source": ["idea"],
            "target": ["exploratory_contact"],
            "roles": STAFF,
            "auto": True,
            "guards": ["approvals"],
        },
        "send_letter_of_intent": {
            "title": T("Αποστολή επιστολής πρόθεσης", "Send the letter of intent"),
            "source": ["exploratory_contact"],
            "target": ["letter_of_intent"],
            "roles": STAFF,
            "auto": True,
            "guards": [{"name": "external", "event": "partner_reply", "outcome": "positive"}],
        },
        "start_drafting": {
            "title": T("Έναρξη σύνταξης πρωτοκόλλου", "Start drafting the protocol"),
            "source": ["letter_of_intent"],
            "target": ["drafting"],
            "roles": STAFF,
            "auto": True,
            "guards": [
                "approvals",
                {"name": "external", "event": "partner_loi_reply", "outcome": "positive"},
            ],
        },
        "submit_to_council": {
            "title": T("Υποβολή στο Δημοτικό Συμβούλιο", "Submit to the council"),
            "source": ["drafting"],
            "target": ["council_agenda"],
            "roles": STAFF,
            "auto": True,
            "guards": ["approvals"],
        },
        "put_on_agenda": {
            "title": T("Εγγραφή στην ημερήσια διάταξη", "Put on the agenda"),
            "source": ["council_agenda"],
            "target": ["council_decision"],
            "roles": ["staff", "head", "council_president"],
            "auto": True,
            "guards": ["approvals"],
        },
        "council_approves": {
            "title": T("Έγκριση από το Δ.Σ.", "Approved by the council"),
            "source": ["council_decision"],
            "target": [
                "partner_approval",
                {"state": "ministry_review", "when": "requires_ministry"},
            ],
            "roles": STAFF,
            "auto": True,
            "guards": [{"name": "council", "purpose": "approval", "outcome": "approved"}],
        },
        "back_to_drafting": {
            "title": T("Επιστροφή για νέα σύνταξη", "Back to drafting"),
            "source": ["council_decision"],
            "target": ["drafting"],
            "roles": STAFF,
            "guards": [{"name": "council", "purpose": "approval", "outcome": "rejected"}],
            "style": "secondary",
        },
        "ministry_consents": {
            "title": T("Σύμφωνη γνώμη Υπουργείου", "Ministry consents"),
            "source": ["ministry_review"],
            "target": ["ministry_consented"],
            "roles": STAFF,
            "auto": True,
            "guards": [{"name": "external", "event": "ministry_decision", "outcome": "consent"}],
        },
        "ministry_refuses": {
            "title": T("Αρνητική γνώμη Υπουργείου", "Ministry refuses"),
            "source": ["ministry_review"],
            "target": ["rejected"],
            "match": "any",
            "roles": STAFF,
            "auto": True,
            "guards": [{"name": "external", "event": "ministry_decision", "outcome": "refusal"}],
            "style": "danger",
        },
        "partner_approves": {
            "title": T("Έγκριση από τον εταίρο", "Partner approves"),
            "source": ["partner_approval"],
            "target": ["partner_approved"],
            "roles": STAFF,
            "auto": True,
            "guards": [{"name": "external", "event": "partner_decision", "outcome": "approved"}],
        },
        "partner_declines": {
            "title": T("Άρνηση του εταίρου", "Partner declines"),
            "source": ["partner_approval"],
            "target": ["rejected"],
            "match": "any",
            "roles": STAFF,
            "auto": True,
            "guards": [{"name": "external", "event": "partner_decision", "outcome": "rejected"}],
            "style": "danger",
        },
        "ready": {
            "title": T("Έτοιμο για υπογραφή", "Ready to sign"),
            "source": [
                "partner_approved",
                {"state": "ministry_consented", "when": "requires_ministry"},
            ],
            "target": ["ready_to_sign"],
            "roles": STAFF,
            "auto": True,
            "guards": [
                {"name": "council", "purpose": "approval", "outcome": "approved"},
                "appeal_window_closed",
                {"name": "flag", "flag": "final_text_agreed"},
            ],
        },
        "sign_phase_a": {
            "title": T("Υπογραφή φάσης Α", "Sign phase A"),
            "source": ["ready_to_sign"],
            "target": ["signed_phase_a"],
            "roles": STAFF,
            "inputs": ["date", "place"],
            "guards": [{"name": "travel_if_abroad", "phase": "A"}],
        },
        "sign_phase_b": {
            "title": T("Υπογραφή φάσης Β", "Sign phase B"),
            "source": ["signed_phase_a"],
            "target": ["active"],
            "roles": STAFF,
            "inputs": ["date", "place"],
            "guards": [{"name": "travel_if_abroad", "phase": "B"}],
        },
        "sign_jointly": {
            "title": T("Υπογραφή σε κοινή τελετή", "Sign in a joint ceremony"),
            "source": ["ready_to_sign"],
            "target": ["active"],
            "roles": STAFF,
            "inputs": ["date", "place"],
            "guards": [{"name": "travel_if_abroad", "phase": "joint"}],
            "style": "secondary",
        },
        "start_review": {
            "title": T("Έναρξη επανεξέτασης", "Start a review"),
            "source": ["active", "suspended"],
            "target": ["under_review"],
            "match": "any",
            "roles": STAFF,
            "style": "secondary",
        },
        "partner_reorganised": {
            "title": T("Αναδιοργάνωση εταίρου", "Partner reorganised"),
            "source": ["signed_phase_a", "active", "suspended", "update_renewal"],
            "target": ["under_review"],
            "match": "any",
            "roles": STAFF,
            "inputs": ["successor"],
            "style": "secondary",
        },
        "confirm_active": {
            "title": T("Επιβεβαίωση ως ενεργή", "Confirm as active"),
            "source": ["under_review"],
            "target": ["active"],
            "roles": STAFF,
        },
        "renew": {
            "title": T("Επικαιροποίηση / ανανέωση", "Update or renew"),
            "source": ["under_review"],
            "target": ["update_renewal"],
            "roles": STAFF,
            "style": "secondary",
        },
        "redraft": {
            "title": T("Νέο σχέδιο κειμένου", "Draft a new text"),
            "source": ["update_renewal"],
            "target": ["drafting"],
            "roles": STAFF,
        },
        "suspend": {
            "title": T("Αναστολή", "Suspend"),
            "source": ["active", "under_review"],
            "target": ["suspended"],
            "match": "any",
            "roles": ["head", "admin"],
            "style": "secondary",
        },
        "resume": {
            "title": T("Επανενεργοποίηση", "Resume"),
            "source": ["suspended"],
            "target": ["active"],
            "roles": ["head", "admin"],
        },
        "terminate": {
            "title": T("Λύση", "Terminate"),
            "source": ["active", "under_review", "suspended", "update_renewal"],
            "target": ["terminated"],
            "match": "any",
            "roles": STAFF,
            "guards": [{"name": "council", "purpose": "termination", "outcome": "approved"}],
            "style": "danger",
        },
        "abandon": {
            "title": T("Εγκατάλειψη", "Abandon"),
            "source": PRE_SIGNING,
            "target": ["abandoned"],
            "match": "any",
            "roles": ["head", "admin"],
            "style": "danger",
        },
    },
}


def _memorandum() -> dict[str, Any]:
    data = copy.deepcopy(TWINNING)
    data["name"] = "memorandum"
    data["kind"] = "memorandum"
    data["title"] = T("Μνημόνιο συνεργασίας", "Memorandum of cooperation")
    data["settings"]["expiry_review_days"] = 90
    data["settings"]["term_years"] = 5
    return data


def _network() -> dict[str, Any]:
    data = copy.deepcopy(TWINNING)
    states = data["states"]
    transitions = data["transitions"]
    keep_states = {
        "idea",
        "drafting",
        "council_agenda",
        "council_decision",
        "ministry_review",
        "active",
        "under_review",
        "suspended",
        "abandoned",
        "rejected",
        "terminated",
    }
    data["states"] = {k: v for k, v in states.items() if k in keep_states}
    data["states"]["active"]["hint"] = T(
        "Ετήσια συνδρομή και ετήσια έκθεση προς το δίκτυο.",
        "Annual fee and annual report to the network.",
    )
    data["states"]["drafting"]["approval"] = {
        "ordered": True,
        "groups": [
            {"roles": ["head"], "policy": "any"},
            {"roles": ["deputy_mayor"], "policy": "any"},
        ],
    }
    kept = {
        "submit_to_council",
        "put_on_agenda",
        "back_to_drafting",
        "start_review",
        "confirm_active",
        "suspend",
        "resume",
        "terminate",
    }
    new = {k: v for k, v in transitions.items() if k in kept}
    new["propose_membership"] = {
        "title": T("Πρόταση ένταξης", "Propose membership"),
        "source": ["idea"],
        "target": ["drafting"],
        "roles": STAFF,
        "auto": True,
        "guards": ["approvals"],
    }
    new["council_approves"] = {
        "title": T("Έγκριση από το Δ.Σ.", "Approved by the council"),
        "source": ["council_decision"],
        "target": [
            {"state": "ministry_review", "when": "requires_ministry"},
            {"state": "active", "when": "!requires_ministry"},
        ],
        "roles": STAFF,
        "auto": True,
        "guards": [
            {"name": "council", "purpose": "approval", "outcome": "approved"},
            "appeal_window_closed",
        ],
    }
    new["ministry_consents"] = dict(transitions["ministry_consents"], target=["active"])
    new["ministry_refuses"] = transitions["ministry_refuses"]
    new["confirm_active"] = transitions["confirm_active"]
    new["abandon"] = dict(
        transitions["abandon"],
        source=["idea", "drafting", "council_agenda", "council_decision", "ministry_review"],
    )
    new["terminate"] = dict(
        transitions["terminate"], source=["active", "under_review", "suspended"]
    )
    data["transitions"] = new
    data["name"] = "network"
    data["kind"] = "network"
    data["title"] = T("Συμμετοχή σε δίκτυο", "Network membership")
    data["settings"]["ministry_exempt_countries"] = []
    return data


MEMORANDUM = _memorandum()
NETWORK = _network()
BUILTIN: dict[str, dict[str, Any]] = {
    "twinning": TWINNING,
    "memorandum": MEMORANDUM,
    "network": NETWORK,
}


def builtin(name: str) -> WorkflowDef:
    """The shipped definition ``name``, validated."""
    return load_definition(BUILTIN[name])
