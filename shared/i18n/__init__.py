"""Languages of the people-facing outputs (web portal, Word reports).

Message catalogues are gettext `.po` files under `shared/i18n/locales/<lang>/LC_MESSAGES/`,
read with Babel at start-up (compiled in memory, no binary `.mo` in the repository).
A language is available when its catalogue exists: adding Arabic, Chinese or Russian is
adding a catalogue (`scripts/i18n.sh init ar`), text direction and number/date formats
come from the locale data (CLDR) that Babel ships.
"""

from shared.i18n.catalog import (
    DEFAULT_LANGUAGE,
    Translator,
    available_languages,
    translator,
)
from shared.i18n.formatting import (
    country_name,
    direction,
    format_date,
    format_datetime,
    format_decimal,
    format_number,
    format_percent,
    language_name,
)
from shared.i18n.negotiation import negotiate
from shared.i18n.vocabulary import LABELS, N_, label

__all__ = [
    "DEFAULT_LANGUAGE",
    "LABELS",
    "N_",
    "Translator",
    "available_languages",
    "country_name",
    "direction",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_number",
    "format_percent",
    "label",
    "language_name",
    "negotiate",
    "translator",
]
