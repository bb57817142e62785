"""State values stored in the database, with their French labels.

Values are short English codes (what the check constraints list); labels are
lazy translated strings for screens, e-mails and exports.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class LabelledEnum(str, enum.Enum):
    """A str enum whose members carry a translated label."""

    def __new__(cls, value, label):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, value) -> str:
        try:
            return str(cls(value).label)
        except ValueError:
            return str(value)


class PresenceState(LabelledEnum):
    """The guide's legend ("Icônes d'état")."""

    PENDING = "pending", _l("Présence en attente de traitement")
    ACCEPTED = "accepted", _l("Présence acceptée")
    REFUSED = "refused", _l("Présence refusée")
    CANCEL_REQUESTED = "cancel_requested", _l("Demande d'annulation")
    CANCELLED = "cancelled", _l("Présence annulée")
    EXPIRED = "expired", _l("Expirée")
    CANCEL_EXPIRED = "cancel_expired", _l("Demande d'annulation expirée")
    WAITLISTED = "waitlisted", _l("Liste d'attente")
    WITHDRAWN = "withdrawn", _l("Demande retirée")


# Only these states hold a place (DESIGN.md §2).
HOLDING_STATES = (
    PresenceState.PENDING.value,
    PresenceState.ACCEPTED.value,
    PresenceState.CANCEL_REQUESTED.value,
)


class HouseholdStatus(LabelledEnum):
    DRAFT = "draft", _l("Dossier à compléter")
    SUBMITTED = "submitted", _l("En attente de validation")
    VALIDATED = "validated", _l("Compte validé")
    REFUSED = "refused", _l("Compte refusé")
    CLOSING = "closing", _l("Fermeture demandée")
    CLOSED = "closed", _l("Compte fermé")


class DocumentState(LabelledEnum):
    PENDING = "pending", _l("En attente de vérification")
    ACCEPTED = "accepted", _l("Accepté")
    REFUSED = "refused", _l("Refusé")
    EXPIRED = "expired", _l("Expiré")


class AttendanceStatus(LabelledEnum):
    PRESENT = "present", _l("Présent")
    ABSENT = "absent", _l("Absent")
    EXCUSED = "excused", _l("Absence justifiée")


class InvoiceStatus(LabelledEnum):
    DRAFT = "draft", _l("Brouillon")
    ISSUED = "issued", _l("Émise")


class InvoiceKind(LabelledEnum):
    INVOICE = "invoice", _l("Facture")
    CREDIT_NOTE = "credit_note", _l("Avoir")


class RequestKind(LabelledEnum):
    BOOKING = "booking", _l("Réservation")
    CANCELLATION = "cancellation", _l("Annulation")


class EmailStatus(LabelledEnum):
    PENDING = "pending", _l("En attente d'envoi")
    SENT = "sent", _l("Envoyé")
    FAILED = "failed", _l("Échec, nouvel essai prévu")


class BillingBasis(LabelledEnum):
    BOOKED = "booked", _l("Jours réservés, moins les annulations dans les délais")
    ATTENDED = "attended", _l("Jours de présence uniquement")


class DeadlineMode(LabelledEnum):
    NONE = "none", _l("Aucun délai")
    DAYS_BEFORE = "days_before", _l("N jours avant, à une heure donnée")
    WEEKDAY_BEFORE = "weekday_before", _l("Un jour de la semaine précédente, à une heure donnée")


class Sex(LabelledEnum):
    FEMALE = "F", _l("Fille")
    MALE = "M", _l("Garçon")


class Civility(LabelledEnum):
    MME = "Mme", _l("Mme")
    M = "M.", _l("M.")


class FamilySituation(LabelledEnum):
    SINGLE = "single", _l("Célibataire")
    MARRIED = "married", _l("Marié(e)")
    PACS = "pacs", _l("Pacsé(e)")
    COHABITING = "cohabiting", _l("Vie maritale")
    SEPARATED = "separated", _l("Séparé(e)")
    DIVORCED = "divorced", _l("Divorcé(e)")
    WIDOWED = "widowed", _l("Veuf / veuve")


class SchoolLevel(LabelledEnum):
    TPS = "TPS", _l("Toute petite section")
    PS = "PS", _l("Petite section")
    MS = "MS", _l("Moyenne section")
    GS = "GS", _l("Grande section")
    CP = "CP", _l("CP")
    CE1 = "CE1", _l("CE1")
    CE2 = "CE2", _l("CE2")
    CM1 = "CM1", _l("CM1")
    CM2 = "CM2", _l("CM2")
    SIXIEME = "6e", _l("6e")
    CINQUIEME = "5e", _l("5e")
    QUATRIEME = "4e", _l("4e")
    TROISIEME = "3e", _l("3e")
    LYCEE = "lycee", _l("Lycée")


MATERNELLE_LEVELS = ("TPS", "PS", "MS", "GS")
ELEMENTAIRE_LEVELS = ("CP", "CE1", "CE2", "CM1", "CM2")
COLLEGE_LEVELS = ("6e", "5e", "4e", "3e")
