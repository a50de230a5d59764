"""Every mapped model, imported so that the metadata is complete (Alembic, tests)."""

from shared.audit.models import AuditEntry
from shared.auth.models import ApiKey
from shared.countries.models import Country, Mechanism
from shared.db import Base
from shared.documents.models import Document, DocumentFile
from shared.recommendations.models import (
    ImplementationUpdate,
    PositionChange,
    Recommendation,
    RecommendingState,
)

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Country",
    "Document",
    "DocumentFile",
    "ImplementationUpdate",
    "Mechanism",
    "PositionChange",
    "Recommendation",
    "RecommendingState",
]
