"""The shared account model; import models from here."""

from app.accounts.models.changes import ChangeEvent, ChangeKind
from app.accounts.models.contractors import (
    AttributeDefinition,
    AttributeType,
    Channel,
    Consent,
    ContactPoint,
    Contractor,
    ContractorAttribute,
    ContractorKind,
    RecordStatus,
)
from app.accounts.models.late_interest import LateInterestRate
from app.accounts.models.ledger import (
    Allocation,
    Appointment,
    Obligation,
    ObligationKind,
    Payment,
    PaymentMethod,
)
from app.accounts.models.portal_consents import PortalUnitConsent
from app.accounts.models.preferences import (
    OPTIONAL_CATEGORIES,
    CampaignCategory,
    CategoryPreference,
)
from app.accounts.models.units import Unit
from app.accounts.models.users import LinkStatus, PortalLink, PortalUser, StaffUser

__all__ = [
    "OPTIONAL_CATEGORIES",
    "Allocation",
    "Appointment",
    "AttributeDefinition",
    "AttributeType",
    "CampaignCategory",
    "CategoryPreference",
    "ChangeEvent",
    "ChangeKind",
    "Channel",
    "ContactPoint",
    "Consent",
    "Contractor",
    "ContractorAttribute",
    "ContractorKind",
    "LateInterestRate",
    "LinkStatus",
    "Obligation",
    "ObligationKind",
    "Payment",
    "PaymentMethod",
    "PortalLink",
    "PortalUnitConsent",
    "PortalUser",
    "RecordStatus",
    "StaffUser",
    "Unit",
]
