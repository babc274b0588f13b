"""JSON Schemas of what the API answers (OpenAPI components).

The serializers in ``api/serial.py`` build exactly these shapes; the
schemathesis run validates every response against them.
"""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: bool = True, **properties: Any) -> dict[str, Any]:
    """A closed object whose every property is present (values may be null)."""
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = sorted(properties)
    return out


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
ANY_OBJECT = {"type": "object"}


def page_of(item: str) -> dict[str, Any]:
    return obj(
        items=array(ref(item)),
        page=INT,
        per_page=INT,
        total=INT,
        next=nullable(STR),
        prev=nullable(STR),
    )


COMPONENTS: dict[str, Any] = {
    "Error": obj(
        error=obj(
            code={"type": "string", "description": "Stable, machine-readable."},
            message={"type": "string", "description": "For people, in the request's language."},
            details={
                "type": "object",
                "description": "`fields` (per-field reasons) and/or `reasons`, when known.",
                "properties": {
                    "fields": {"type": "object", "additionalProperties": array(ref("Reason"))},
                    "reasons": array(ref("Reason")),
                },
            },
        )
    ),
    "Reason": obj(code=STR, message=STR, params=ANY_OBJECT),
    "UserRef": obj(id=INT, name=STR),
    "PartnerRef": obj(id=INT, key=STR, name=STR, country=STR),
    "StateRef": obj(key=STR, title=STR),
    "ProcessSummary": obj(
        id=INT,
        kind={"type": "string", "enum": ["twinning", "memorandum", "network"]},
        title=STR,
        partner=ref("PartnerRef"),
        workflow=obj(name=STR, version=INT),
        version=INT,
        is_closed=BOOL,
        states=array(ref("StateRef")),
        progress=NUM,
        next_due=nullable(DATETIME),
        urgency={"type": "string", "enum": ["overdue", "soon", "later", "none"]},
        waiting_on_me=INT,
        created_dt=DATETIME,
        updated_dt=DATETIME,
        url=STR,
    ),
    "ProcessPage": page_of("ProcessSummary"),
    "Action": obj(
        transition=STR,
        title=STR,
        allowed=BOOL,
        auto=BOOL,
        inputs=array(STR),
        style=STR,
        reasons=array(ref("Reason")),
    ),
    "Step": obj(
        key=STR, title=STR, hint=nullable(STR), entered_dt=DATETIME, round=INT, approval=BOOL
    ),
    "Extension": obj(
        old_due_dt=DATETIME,
        new_due_dt=DATETIME,
        reason=STR,
        actor=nullable(ref("UserRef")),
        created_dt=DATETIME,
    ),
    "Deadline": obj(
        id=INT,
        kind=STR,
        state=nullable(STR),
        start_dt=DATETIME,
        due_dt=DATETIME,
        original_due_dt=DATETIME,
        status={"type": "string", "enum": ["open", "met", "cancelled"]},
        unit=STR,
        statutory=BOOL,
        overdue=BOOL,
        extensions=array(ref("Extension")),
    ),
    "Approval": obj(
        id=INT,
        process_id=INT,
        state=STR,
        state_title=STR,
        round=INT,
        group=INT,
        approver=ref("UserRef"),
        on_behalf_of=nullable(ref("UserRef")),
        status={
            "type": "string",
            "enum": ["pending", "approved", "rejected", "sent_back", "void"],
        },
        comment=STR,
        created_dt=DATETIME,
        decided_dt=nullable(DATETIME),
    ),
    "PendingApproval": {
        "allOf": [ref("Approval"), obj(process=ref("ProcessSummary"))],
    },
    "PendingApprovalPage": page_of("PendingApproval"),
    "CouncilDecision": obj(
        id=INT,
        purpose=STR,
        phase=nullable(STR),
        session_date=DATE,
        session_number=STR,
        decision_number=STR,
        ada=STR,
        posted_on=nullable(DATE),
        members=INT,
        present=INT,
        votes_for=INT,
        against=INT,
        abstain=INT,
        outcome={"type": "string", "enum": ["approved", "rejected"]},
        notes=STR,
        created_dt=DATETIME,
    ),
    "ExternalEvent": obj(
        id=INT,
        kind=STR,
        outcome=STR,
        event_date=DATE,
        reference=STR,
        notes=STR,
        data=ANY_OBJECT,
        created_dt=DATETIME,
    ),
    "HistoryEntry": obj(
        id=INT,
        at=DATETIME,
        action=STR,
        actor=nullable(ref("UserRef")),
        on_behalf_of=nullable(ref("UserRef")),
        object_type=STR,
        object_id=nullable(INT),
        data=ANY_OBJECT,
    ),
    "ProcessDetail": {
        "allOf": [
            ref("ProcessSummary"),
            obj(
                owner=nullable(ref("UserRef")),
                source=STR,
                summary=STR,
                flags={"type": "object", "additionalProperties": BOOL},
                signed_on=nullable(DATE),
                expires_on=nullable(DATE),
                steps=array(ref("Step")),
                actions=array(ref("Action")),
                deadlines=array(ref("Deadline")),
                approvals=array(ref("Approval")),
                council_decisions=array(ref("CouncilDecision")),
                external_events=array(ref("ExternalEvent")),
                history=array(ref("HistoryEntry")),
            ),
        ]
    },
    "Decision": obj(approval=ref("Approval"), process=ref("ProcessDetail")),
    "Partner": obj(
        id=INT,
        key=STR,
        name=STR,
        name_el=STR,
        name_en=STR,
        name_native=STR,
        country=STR,
        timezone=STR,
        language=STR,
        population=nullable(INT),
        website=STR,
        notes=STR,
        is_home=BOOL,
        successor=nullable(ref("PartnerRef")),
        reorganised_on=nullable(DATE),
    ),
    "PartnerPage": page_of("Partner"),
    "PartnerDetail": {
        "allOf": [ref("Partner"), obj(processes=array(ref("ProcessSummary")))],
    },
    "Me": obj(
        id=INT,
        name=STR,
        email=STR,
        language=STR,
        roles=array(STR),
        permissions=array(STR),
        token=obj(name=STR, prefix=STR, expires_at=DATETIME),
    ),
    "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
}
