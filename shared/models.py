"""Every mapped model, imported so that the metadata is complete (Alembic, tests)."""

from shared.action_plans.models import (
    Action,
    ActionInstitution,
    ActionPlan,
    ActionRecommendation,
    ActionUpdate,
)
from shared.assessments.models import Assessment
from shared.audit.models import AuditEntry
from shared.auth.models import ApiKey
from shared.cooperation.models import CooperationOffer
from shared.countries.models import Country, Mechanism
from shared.db import Base
from shared.deadlines.models import Deadline
from shared.documents.models import Document, DocumentFile
from shared.ingestion.models import IngestionItem, IngestionRun, SourceCache
from shared.institutions.models import (
    FocalPoint,
    Institution,
    NationalMechanism,
    NationalMechanismMember,
    RecommendationInstitution,
)
from shared.kernel.outbox import OutboxEvent
from shared.mandates.models import Mandate, MandateRenewal
from shared.notifications.models import (
    DeliveryAttempt,
    Reminder,
    ReminderScan,
    Subscription,
)
from shared.people.models import User, UserMembership
from shared.programmes.models import (
    Evaluation,
    Indicator,
    Measurement,
    Milestone,
    Partner,
    Programme,
    ProgrammePartner,
    ProgrammeRecommendation,
)
from shared.recommendations.models import (
    ImplementationUpdate,
    PositionChange,
    Recommendation,
    RecommendingState,
)
from shared.reports.models import Report, ReportFile
from shared.review.models import ProgressReport
from shared.uhri.models import UhriImport, UhriRecordState

__all__ = [
    "Action",
    "ActionInstitution",
    "ActionPlan",
    "ActionRecommendation",
    "ActionUpdate",
    "ApiKey",
    "Assessment",
    "AuditEntry",
    "Base",
    "CooperationOffer",
    "Country",
    "Deadline",
    "DeliveryAttempt",
    "Document",
    "DocumentFile",
    "Evaluation",
    "FocalPoint",
    "ImplementationUpdate",
    "Indicator",
    "IngestionItem",
    "IngestionRun",
    "Institution",
    "Mandate",
    "MandateRenewal",
    "Measurement",
    "Mechanism",
    "Milestone",
    "NationalMechanism",
    "NationalMechanismMember",
    "OutboxEvent",
    "Partner",
    "PositionChange",
    "Programme",
    "ProgrammePartner",
    "ProgrammeRecommendation",
    "ProgressReport",
    "Recommendation",
    "RecommendationInstitution",
    "RecommendingState",
    "Reminder",
    "ReminderScan",
    "Report",
    "ReportFile",
    "SourceCache",
    "Subscription",
    "UhriImport",
    "UhriRecordState",
    "User",
    "UserMembership",
]
