"""Names of the worker's jobs: the API and the CLI enqueue by name, never by import."""

from typing import Final

PING: Final = "ping"

# Deadlines, reminders and change webhooks (services/worker/reminders.py).
SCAN_REMINDERS: Final = "scan_reminders"
SWEEP_REMINDERS: Final = "sweep_reminders"
DELIVER_REMINDER: Final = "deliver_reminder"
DISPATCH_OUTBOX: Final = "dispatch_outbox"
RECOMPUTE_DEADLINES: Final = "recompute_deadlines"

# Document ingestion (services/worker/ingestion.py).
INGEST_SOURCES: Final = "ingest_sources"
INGESTION_LIST_RUN: Final = "ingestion_list_run"
INGEST_DOCUMENT: Final = "ingest_document"
INGESTION_SWEEP: Final = "ingestion_sweep"

# UHRI import (services/worker/uhri.py).
IMPORT_UHRI: Final = "import_uhri"

# Report drafts (services/worker/reports.py).
GENERATE_REPORT: Final = "generate_report"
SWEEP_REPORTS: Final = "sweep_reports"

# Personal data retention (services/worker/privacy.py).
PURGE_PERSONAL_DATA: Final = "purge_personal_data"

# Review of progress reports (services/worker/review.py).
REVIEW_REMINDERS: Final = "review_reminders"
