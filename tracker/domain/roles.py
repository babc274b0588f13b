"""The roles of domain.md §2, as data shared by every layer."""

from __future__ import annotations

STAFF = "staff"
HEAD = "head"
DEPUTY_MAYOR = "deputy_mayor"
MAYOR = "mayor"
COUNCIL_PRESIDENT = "council_president"
COUNCIL_MEMBER = "council_member"
ADMIN = "admin"
VIEWER = "viewer"

ROLES: dict[str, dict[str, str]] = {
    STAFF: {"el": "Υπάλληλος Γραφείου Διεθνών Σχέσεων", "en": "International relations staff"},
    HEAD: {"el": "Προϊστάμενος/η Γραφείου", "en": "Head of office"},
    DEPUTY_MAYOR: {"el": "Αντιδήμαρχος Διεθνών Σχέσεων", "en": "Deputy mayor (international)"},
    MAYOR: {"el": "Δήμαρχος", "en": "Mayor"},
    COUNCIL_PRESIDENT: {"el": "Πρόεδρος Δημοτικού Συμβουλίου", "en": "Council president"},
    COUNCIL_MEMBER: {"el": "Δημοτικός/ή σύμβουλος", "en": "Council member"},
    ADMIN: {"el": "Διαχειριστής", "en": "Administrator"},
    VIEWER: {"el": "Αναγνώστης", "en": "Viewer"},
}

ROLE_KEYS: tuple[str, ...] = tuple(ROLES)
