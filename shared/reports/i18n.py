"""Headings and labels of reports and spreadsheets come from the project's message
catalogues (``shared.i18n``), the same the portal reads."""

from __future__ import annotations

from collections.abc import Callable

from shared.i18n import country_name, format_date, translator
from shared.i18n.vocabulary import LABELS

POSITION_LABELS = LABELS["position"]
STATUS_LABELS = LABELS["status"]
SOURCE_LABELS = LABELS["source"]

Gettext = Callable[[str], str]


def gettext(language: str) -> Gettext:
    return translator(language).gettext


__all__ = [
    "POSITION_LABELS",
    "SOURCE_LABELS",
    "STATUS_LABELS",
    "Gettext",
    "country_name",
    "format_date",
    "gettext",
]
