"""Every mapped model, imported so that the metadata is complete (Alembic, tests)."""

from shared.audit.models import AuditEntry
from shared.auth.models import ApiKey
from shared.db import Base

__all__ = ["ApiKey", "AuditEntry", "Base"]
