"""Every mapped model, imported so that the metadata is complete (Alembic, tests): importing
a domain's models module registers its tables on ``Base.metadata``."""

# ruff: noqa: F401  (imported for their tables, not their names)
import shared.action_plans.models
import shared.assessments.models
import shared.audit.models
import shared.auth.models
import shared.cooperation.models
import shared.countries.models
import shared.deadlines.models
import shared.documents.models
import shared.ingestion.models
import shared.institutions.models
import shared.kernel.outbox
import shared.mandates.models
import shared.notifications.models
import shared.people.models
import shared.programmes.models
import shared.recommendations.models
import shared.reports.models
import shared.review.models
import shared.uhri.models
from shared.db import Base

__all__ = ["Base"]
