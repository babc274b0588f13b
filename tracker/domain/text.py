"""Bilingual text and self-explaining reasons for the pure domain.

The domain cannot use Flask-Babel, yet guards must explain themselves in Greek
and English; so every reason is a code plus parameters with both texts here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

LANGUAGES = ("el", "en")
Text = Mapping[str, str]


def pick(text: Text, lang: str) -> str:
    """Return ``text`` in ``lang``, falling back to Greek, then English."""
    return text.get(lang) or text.get("el") or text.get("en") or ""


#: Abbreviated months as the pages write them (Babel's "MMM" for el and en).
MONTHS: dict[str, tuple[str, ...]] = {
    "el": ("Ιαν", "Φεβ", "Μαρ", "Απρ", "Μαΐ", "Ιουν", "Ιουλ", "Αυγ", "Σεπ", "Οκτ", "Νοε", "Δεκ"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

#: Days of the week, Monday first (``date.weekday()``), for reasons about a day.
WEEKDAYS: dict[str, tuple[str, ...]] = {
    "el": ("Δευτέρα", "Τρίτη", "Τετάρτη", "Πέμπτη", "Παρασκευή", "Σάββατο", "Κυριακή"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def weekday_text(value: date) -> Text:
    """The day of the week of ``value`` in both languages: "Σάββατο" / "Saturday"."""
    return {lang: names[value.weekday()] for lang, names in WEEKDAYS.items()}


def day_text(value: date) -> Text:
    """A day as the pages write it, in both languages: "7 Δεκ 2026" / "7 Dec 2026".

    For reasons' parameters: the domain has no Babel, and a reason is worded
    only when it is shown, in the reader's language.
    """
    return {lang: f"{value.day} {MONTHS[lang][value.month - 1]} {value.year}" for lang in MONTHS}


def moment_text(local: datetime) -> Text:
    """A local (Athens) moment as the pages write it: "7 Δεκ 2026, 23:59"."""
    return {lang: f"{text}, {local:%H:%M}" for lang, text in day_text(local.date()).items()}


REASONS: dict[str, dict[str, str]] = {
    "not_in_state": {
        "el": "Η ενέργεια «{transition}» δεν είναι δυνατή στην τρέχουσα κατάσταση ({states}).",
        "en": "“{transition}” is not possible in the current state ({states}).",
    },
    "terminal": {
        "el": "Ο φάκελος έχει κλείσει ({states}): δεν επιτρέπεται άλλη ενέργεια.",
        "en": "The file is closed ({states}): no further action is possible.",
    },
    "not_permitted": {
        "el": "Δεν έχετε ρόλο που επιτρέπει την ενέργεια «{transition}».",
        "en": "You do not hold a role that may perform “{transition}”.",
    },
    "approval_missing": {
        "el": "Εκκρεμεί έγκριση για «{state}» ({pending} σε αναμονή: {who}).",
        "en": "Approval for “{state}” is still pending ({pending} waiting: {who}).",
    },
    "approval_rejected": {
        "el": "Η έγκριση για «{state}» απορρίφθηκε.",
        "en": "Approval for “{state}” was rejected.",
    },
    "no_approvers": {
        "el": "Κανένας χρήστης με ρόλο «{roles}» δεν μπορεί να εγκρίνει το «{state}».",
        "en": "No user holding “{roles}” can approve “{state}”.",
    },
    "too_few_approvers": {
        "el": "Για «{state}» χρειάζονται {needed} εγκρίσεις από «{roles}», "
        "αλλά έχουν οριστεί μόνο {assigned}.",
        "en": "“{state}” needs {needed} approvals from “{roles}”, "
        "but only {assigned} approvers are assigned.",
    },
    "council_missing": {
        "el": "Δεν έχει καταχωριστεί απόφαση Δημοτικού Συμβουλίου ({purpose}).",
        "en": "No municipal council decision ({purpose}) has been recorded.",
    },
    "council_outcome": {
        "el": "Η απόφαση του Δημοτικού Συμβουλίου ({purpose}) δεν είναι «{outcome}».",
        "en": "The municipal council decision ({purpose}) is not “{outcome}”.",
    },
    "appeal_window_open": {
        "el": "Η προθεσμία προσφυγής είναι ανοιχτή έως {until}.",
        "en": "The appeal window is open until {until}.",
    },
    "appeal_window_missing": {
        "el": "Η προθεσμία προσφυγής δεν έχει ξεκινήσει "
        "(λείπει η ημερομηνία ανάρτησης της απόφασης).",
        "en": "The appeal window has not started (the decision's posting date is missing).",
    },
    "appeal_pending": {
        "el": "Εκκρεμεί προσφυγή κατά της απόφασης του Δημοτικού Συμβουλίου.",
        "en": "An appeal against the council decision is pending.",
    },
    "appeal_upheld": {
        "el": "Η προσφυγή κατά της απόφασης του Δημοτικού Συμβουλίου έγινε δεκτή.",
        "en": "The appeal against the council decision was upheld.",
    },
    "external_missing": {
        "el": "Δεν έχει καταχωριστεί: {event} ({outcome}).",
        "en": "Not yet recorded: {event} ({outcome}).",
    },
    "flag_missing": {
        "el": "Δεν έχει επιβεβαιωθεί: {flag}.",
        "en": "Not yet confirmed: {flag}.",
    },
    "travel_missing": {
        "el": "Η μετάβαση στο εξωτερικό για την υπογραφή ({phase}) απαιτεί δική της απόφαση "
        "Δημοτικού Συμβουλίου, που δεν έχει καταχωριστεί.",
        "en": "Travelling abroad for the signing ({phase}) needs its own council decision, "
        "which has not been recorded.",
    },
    "input_missing": {
        "el": "Λείπει το πεδίο «{field}».",
        "en": "The field “{field}” is missing.",
    },
    "input_invalid": {
        "el": "Μη έγκυρη τιμή στο πεδίο «{field}».",
        "en": "The field “{field}” has an invalid value.",
    },
    "flag_frozen": {
        "el": "Η συνθήκη «{flag}» δεν αλλάζει όσο εκκρεμούν οι παράλληλοι κλάδοι ({states}).",
        "en": "“{flag}” cannot change while the parallel branches are open ({states}).",
    },
    "not_expected": {
        "el": "Δεν αναμένεται τώρα: {what} (τρέχουσα κατάσταση: {states}).",
        "en": "Not expected now: {what} (current state: {states}).",
    },
    "flag_unknown": {
        "el": "Άγνωστη συνθήκη «{flag}».",
        "en": "Unknown condition “{flag}”.",
    },
    "vote_negative": {
        "el": "Ο αριθμός δεν μπορεί να είναι αρνητικός.",
        "en": "The number cannot be negative.",
    },
    "vote_members_zero": {
        "el": "Το σύνολο των μελών πρέπει να είναι τουλάχιστον 1.",
        "en": "The council must have at least one member.",
    },
    "vote_present_exceeds": {
        "el": "Παρόντες ({present}) περισσότεροι από τα μέλη του συμβουλίου ({members}).",
        "en": "More members present ({present}) than the council has ({members}).",
    },
    "vote_cast_exceeds": {
        "el": "Υπέρ + κατά + λευκά ({cast}) υπερβαίνουν τους παρόντες ({present}).",
        "en": "For + against + abstaining ({cast}) exceed those present ({present}).",
    },
    "vote_no_quorum": {
        "el": "Δεν υπάρχει απαρτία: παρόντες {present} από {members}.",
        "en": "No quorum: {present} present out of {members}.",
    },
    "ada_invalid": {
        "el": "Ο ΑΔΑ πρέπει να έχει κεφαλαία γράμματα και ψηφία με μία παύλα "
        "(π.χ. 6ΞΑΖ46ΜΤΛΗ-ΡΣΚ).",
        "en": "The ΑΔΑ is capital letters and digits with one hyphen (e.g. 6ΞΑΖ46ΜΤΛΗ-ΡΣΚ).",
    },
    "posting_missing": {
        "el": "Συμπληρώστε τον ΑΔΑ, την ημερομηνία ανάρτησης ή και τα δύο.",
        "en": "Enter the ΑΔΑ, the posting date, or both.",
    },
    "ada_not_recorded": {
        "el": "Η απόφαση δεν έχει ακόμη ΑΔΑ: προσθέστε τον από την ανάρτηση στη Διαύγεια.",
        "en": "This decision has no ΑΔΑ yet: add it with the Diavgeia posting.",
    },
    "ada_unchanged": {
        "el": "Αυτός ο ΑΔΑ είναι ήδη καταχωρισμένος.",
        "en": "That is the ΑΔΑ already recorded.",
    },
    "posting_recorded": {
        "el": "Έχει ήδη καταχωριστεί ({value}) και δεν αλλάζει από εδώ.",
        "en": "Already recorded ({value}); it is not changed here.",
    },
    "forbidden": {
        "el": "Δεν έχετε δικαίωμα για αυτή την ενέργεια.",
        "en": "You are not allowed to do this.",
    },
    "not_found": {"el": "Δεν βρέθηκε.", "en": "Not found."},
    "approval_not_yours": {
        "el": "Αυτή η έγκριση δεν έχει ανατεθεί σε εσάς.",
        "en": "This approval is not assigned to you.",
    },
    "approval_decided": {
        "el": "Η έγκριση έχει ήδη αποφασιστεί ({status}).",
        "en": "This approval has already been decided ({status}).",
    },
    "approval_not_open": {
        "el": "Δεν είναι ακόμη η σειρά σας: πρέπει πρώτα να εγκρίνουν οι προηγούμενοι.",
        "en": "It is not your turn yet: earlier approvers must sign off first.",
    },
    "approval_round_closed": {
        "el": "Ο γύρος έγκρισης έχει ολοκληρωθεί.",
        "en": "This approval round is already complete.",
    },
    "comment_required": {
        "el": "Απαιτείται σχόλιο για απόρριψη ή επιστροφή.",
        "en": "A comment is required to reject or send back.",
    },
    "reauth_required": {
        "el": "Επιβεβαιώστε τον κωδικό σας για να συνεχίσετε.",
        "en": "Confirm your password to continue.",
    },
    "required": {"el": "Αυτό το πεδίο είναι υποχρεωτικό.", "en": "This field is required."},
    "too_long": {
        "el": "Το κείμενο είναι πολύ μεγάλο (έως {max} χαρακτήρες).",
        "en": "The text is too long (at most {max} characters).",
    },
    "date_future": {
        "el": "Η ημερομηνία δεν μπορεί να είναι μετά τη σημερινή ({today}).",
        "en": "The date cannot be later than today ({today}).",
    },
    "ada_taken": {
        "el": "Αυτός ο ΑΔΑ είναι ήδη καταχωρισμένος στην απόφαση {number}.",
        "en": "This ΑΔΑ is already recorded for decision {number}.",
    },
    "date_order": {
        "el": "Η ημερομηνία πρέπει να είναι μετά από {after}.",
        "en": "The date must be after {after}.",
    },
    "statutory_shortening": {
        "el": "Η προθεσμία είναι νόμιμη (θεσμοθετημένη) και δεν μπορεί να συντομευθεί.",
        "en": "This is a statutory deadline and cannot be shortened.",
    },
    "deadline_closed": {
        "el": "Η προθεσμία έχει κλείσει.",
        "en": "This deadline is already closed.",
    },
    "deadline_unchanged": {
        "el": "Αυτή είναι ήδη η προθεσμία· επιλέξτε άλλη ημερομηνία.",
        "en": "This is already the deadline; choose another date.",
    },
    "deadline_past": {
        "el": "Η ημερομηνία έχει ήδη περάσει (σήμερα είναι {today}): επιλέξτε μεταγενέστερη.",
        "en": "That date has already passed (today is {today}); choose a later one.",
    },
    "weekend_day": {
        "el": "Η {day} είναι {weekday}, όχι εργάσιμη ημέρα· η προθεσμία μετρά σε εργάσιμες ημέρες.",
        "en": "{day} is a {weekday}, not a working day; this deadline counts working days.",
    },
    "holiday": {
        "el": "Η {day} είναι αργία ({name}), όχι εργάσιμη ημέρα· "
        "η προθεσμία μετρά σε εργάσιμες ημέρες.",
        "en": "{day} is a public holiday ({name}), not a working day; "
        "this deadline counts working days.",
    },
    "not_working_day": {
        "el": "Η {day} δεν είναι εργάσιμη ημέρα· η προθεσμία μετρά σε εργάσιμες ημέρες.",
        "en": "{day} is not a working day; this deadline counts working days.",
    },
    "state_missing_in_target": {
        "el": "Η κατάσταση «{state}» δεν υπάρχει στην έκδοση {version}.",
        "en": "State “{state}” does not exist in version {version}.",
    },
    "same_version": {
        "el": "Ο φάκελος είναι ήδη στην έκδοση {version}.",
        "en": "The file already uses version {version}.",
    },
    "unknown_value": {"el": "Μη αποδεκτή τιμή.", "en": "Not an accepted value."},
    "password_short": {
        "el": "Ο κωδικός πρέπει να έχει τουλάχιστον 8 χαρακτήρες.",
        "en": "The password needs at least 8 characters.",
    },
    "password_long": {
        "el": "Ο κωδικός μπορεί να έχει έως 128 χαρακτήρες.",
        "en": "The password can have at most 128 characters.",
    },
    "password_common": {
        "el": "Ο κωδικός είναι πολύ συνηθισμένος ή προφανής· διαλέξτε άλλον.",
        "en": "This password is too common or obvious; choose another.",
    },
    "email_invalid": {"el": "Μη έγκυρη διεύθυνση email.", "en": "Not a valid email address."},
    "email_taken": {
        "el": "Υπάρχει ήδη λογαριασμός με αυτό το email.",
        "en": "An account with this email already exists.",
    },
    "changed_meanwhile": {
        "el": "Ο φάκελος άλλαξε στο μεταξύ· τα στοιχεία ενημερώθηκαν σε αυτή τη σελίδα: "
        "ελέγξτε τα και υποβάλετε ξανά.",
        "en": "The file changed meanwhile; the details have been updated on this page: "
        "check them and submit again.",
    },
    # Screens: documents, partners and record forms.
    "file_type": {
        "el": "Γίνονται δεκτά μόνο αρχεία PDF, DOCX, ODT, PNG ή JPEG.",
        "en": "Only PDF, DOCX, ODT, PNG or JPEG files are accepted.",
    },
    "file_mismatch": {
        "el": "Το περιεχόμενο του αρχείου δεν είναι {ext} (ίσως μετονομάστηκε).",
        "en": "The file's content is not {ext} (it may have been renamed).",
    },
    "file_empty": {"el": "Το αρχείο είναι κενό.", "en": "The file is empty."},
    "file_too_large": {
        "el": "Το αρχείο είναι μεγαλύτερο από {mb} MB.",
        "en": "The file is larger than {mb} MB.",
    },
    "country_code": {
        "el": "Δύο κεφαλαία λατινικά γράμματα (ISO 3166), π.χ. IT.",
        "en": "Two capital Latin letters (ISO 3166), e.g. IT.",
    },
    "timezone_unknown": {
        "el": "Άγνωστη ζώνη ώρας (π.χ. Europe/Rome).",
        "en": "Unknown time zone (e.g. Europe/Rome).",
    },
    "url_scheme": {
        "el": "Μόνο διευθύνσεις που αρχίζουν με http:// ή https://.",
        "en": "Only addresses starting with http:// or https://.",
    },
    "successor_invalid": {
        "el": "Ο διάδοχος πρέπει να είναι άλλη αρχή, όχι ο ίδιος ο εταίρος ή ο Δήμος μας.",
        "en": "The successor must be another authority, "
        "not the partner itself or our municipality.",
    },
    "successor_cycle": {
        "el": "Η {name} έχει ήδη ως διάδοχο αυτή την αρχή.",
        "en": "{name} already has this authority as its successor.",
    },
    # Accounts, delegations and administration.
    "password_wrong": {
        "el": "Ο τρέχων κωδικός δεν είναι σωστός.",
        "en": "The current password is not correct.",
    },
    "password_same": {
        "el": "Ο νέος κωδικός πρέπει να διαφέρει από τον τρέχοντα.",
        "en": "The new password must differ from the current one.",
    },
    "link_invalid": {
        "el": "Ο σύνδεσμος δεν ισχύει, έχει λήξει ή έχει ήδη χρησιμοποιηθεί· ζητήστε νέο.",
        "en": "This link is not valid, has expired or was already used; ask for a new one.",
    },
    "totp_wrong": {
        "el": "Ο κωδικός επιβεβαίωσης δεν είναι σωστός.",
        "en": "The verification code is not correct.",
    },
    "totp_enabled": {
        "el": "Ο δεύτερος παράγοντας είναι ήδη ενεργός.",
        "en": "The second factor is already on.",
    },
    "last_admin": {
        "el": "Πρέπει να παραμείνει τουλάχιστον ένας ενεργός διαχειριστής.",
        "en": "At least one active administrator must remain.",
    },
    "not_self": {
        "el": "Δεν μπορείτε να το κάνετε στον δικό σας λογαριασμό.",
        "en": "You cannot do this to your own account.",
    },
    "delegation_self": {
        "el": "Δεν μπορείτε να ορίσετε τον εαυτό σας ως αναπληρωτή.",
        "en": "You cannot name yourself as the substitute.",
    },
    "delegation_substitute": {
        "el": "Ο/Η αναπληρωτής/τρια πρέπει να είναι ενεργός/ή συνάδελφος που μπορεί να εγκρίνει.",
        "en": "The substitute must be an active colleague who can approve.",
    },
    "delegation_not_approver": {
        "el": "Ο/Η {name} δεν εγκρίνει τίποτα και δεν χρειάζεται αναπληρωτή.",
        "en": "{name} approves nothing and needs no substitute.",
    },
    "delegation_overlap": {
        "el": "Υπάρχει ήδη αναπλήρωση από {start} έως {end}.",
        "en": "There is already a substitute from {start} to {end}.",
    },
    "delegation_past": {
        "el": "Η ημερομηνία λήξης έχει ήδη περάσει.",
        "en": "The end date is already in the past.",
    },
    "mail_not_failed": {
        "el": "Το μήνυμα δεν έχει αποτύχει: έχει σταλεί ή βρίσκεται ακόμη σε αποστολή.",
        "en": "This message has not failed: it was sent or is still being tried.",
    },
    "mail_account_link": {
        "el": "Πρόσκληση ή επαναφορά κωδικού: ο σύνδεσμός της μπορεί να έχει λήξει. "
        "Στείλτε νέο από τη σελίδα του λογαριασμού.",
        "en": "An invitation or password reset: its link may have expired. "
        "Send a new one from the account's page.",
    },
    "mail_recipient_inactive": {
        "el": "Ο λογαριασμός του παραλήπτη έχει απενεργοποιηθεί: το μήνυμα δεν ξαναστέλνεται.",
        "en": "The recipient's account is deactivated: the message is not sent again.",
    },
    "delegation_cancelled": {
        "el": "Η αναπλήρωση έχει ήδη ακυρωθεί ή λήξει.",
        "en": "This delegation is already cancelled or over.",
    },
    "workflow_changed": {
        "el": "Οι ρυθμίσεις της ροής άλλαξαν στο μεταξύ (τώρα έκδοση {version}). Ό,τι "
        "πληκτρολογήσατε παραμένει: ελέγξτε το και αποθηκεύστε ξανά για να εφαρμοστεί "
        "στην έκδοση {version}.",
        "en": "The workflow settings changed meanwhile (now version {version}). What you "
        "typed is kept: check it and save again to apply it to version {version}.",
    },
    "setting_invalid": {
        "el": "Μη έγκυρη ρύθμιση: {detail}",
        "en": "Invalid setting: {detail}",
    },
    "terminal_no_settings": {
        "el": "Μια τελική κατάσταση δεν έχει προθεσμία ούτε εγκρίσεις.",
        "en": "A final state has no deadline or approvals.",
    },
}


@dataclass(frozen=True)
class Reason:
    """Why something is refused: a code from ``REASONS`` and its parameters.

    Parameters that are themselves bilingual (``Text`` mappings) are rendered
    in the requested language, so a reason reads naturally in either.
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "el") -> str:
        template = pick(REASONS[self.code], lang)
        values = {k: pick(v, lang) if isinstance(v, Mapping) else v for k, v in self.params.items()}
        return template.format(**values)

    def __str__(self) -> str:
        return self.text("en")

    def to_dict(self, lang: str = "el") -> dict[str, Any]:
        plain = {k: pick(v, lang) if isinstance(v, Mapping) else v for k, v in self.params.items()}
        return {"code": self.code, "message": self.text(lang), "params": plain}


# Titles of the things guards talk about; shared by forms and history.
COUNCIL_PURPOSES: dict[str, dict[str, str]] = {
    "start": {"el": "έναρξη διαδικασίας", "en": "start of the process"},
    "approval": {"el": "έγκριση πρωτοκόλλου", "en": "approval of the protocol"},
    "travel": {"el": "μετάβαση στο εξωτερικό", "en": "travel abroad"},
    "termination": {"el": "λύση", "en": "termination"},
    "renewal": {"el": "ανανέωση", "en": "renewal"},
}

EXTERNAL_EVENTS: dict[str, dict[str, str]] = {
    "partner_reply": {"el": "απάντηση του εταίρου", "en": "partner's reply"},
    "partner_loi_reply": {
        "el": "απάντηση του εταίρου στην επιστολή πρόθεσης",
        "en": "partner's reply to the letter of intent",
    },
    "partner_decision": {"el": "απόφαση του εταίρου", "en": "partner's decision"},
    "ministry_decision": {
        "el": "γνώμη του Υπουργείου Εσωτερικών",
        "en": "Ministry of Interior opinion",
    },
    "appeal": {"el": "προσφυγή", "en": "appeal"},
}

OUTCOMES: dict[str, dict[str, str]] = {
    "approved": {"el": "εγκρίθηκε", "en": "approved"},
    "rejected": {"el": "απορρίφθηκε", "en": "rejected"},
    "consent": {"el": "σύμφωνη γνώμη", "en": "consent"},
    "refusal": {"el": "αρνητική γνώμη", "en": "refusal"},
    "positive": {"el": "θετική", "en": "positive"},
    "negative": {"el": "αρνητική", "en": "negative"},
    "lodged": {"el": "κατατέθηκε", "en": "lodged"},
    "dismissed": {"el": "απορρίφθηκε", "en": "dismissed"},
    "upheld": {"el": "έγινε δεκτή", "en": "upheld"},
}

FLAG_TITLES: dict[str, dict[str, str]] = {
    "final_text_agreed": {"el": "οριστικό κείμενο συμφωνημένο", "en": "final text agreed"},
    "requires_ministry": {"el": "απαιτείται γνώμη Υπουργείου", "en": "ministry consent required"},
    "partner_abroad": {"el": "εταίρος στο εξωτερικό", "en": "partner abroad"},
}

INPUT_TITLES: dict[str, dict[str, str]] = {
    "date": {"el": "ημερομηνία", "en": "date"},
    "place": {"el": "τόπος", "en": "place"},
    "successor": {"el": "διάδοχη αρχή", "en": "successor authority"},
}

PHASES: dict[str, dict[str, str]] = {
    "A": {"el": "φάση Α", "en": "phase A"},
    "B": {"el": "φάση Β", "en": "phase B"},
    "joint": {"el": "κοινή τελετή", "en": "joint ceremony"},
}
