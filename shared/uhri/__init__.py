"""Universal Human Rights Index (OHCHR UHRI) exports as a stream of normalized records.

This package is pure: it reads export files and normalizes their records; storing them
is the importer's job. Typical use::

    report = UhriReport()
    with open("export-full-en.json", "rb") as handle:
        for record in iter_json_export(handle, report=report):
            ...
    report.errors, report.unmapped  # records that failed, labels that mapped to nothing
"""

from shared.uhri.reader import detect_format, iter_export, iter_json_export, iter_xlsx_export
from shared.uhri.records import (
    Position,
    RecordKind,
    StateRef,
    UhriFormatError,
    UhriRecord,
    UhriRecordError,
    UhriReport,
)

__all__ = [
    "Position",
    "RecordKind",
    "StateRef",
    "UhriFormatError",
    "UhriRecord",
    "UhriRecordError",
    "UhriReport",
    "detect_format",
    "iter_export",
    "iter_json_export",
    "iter_xlsx_export",
]
