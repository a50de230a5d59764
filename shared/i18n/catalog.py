"""Message catalogues: gettext `.po` files read with Babel, compiled in memory once."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"


class UnknownLanguage(LookupError):
    """No catalogue for this language code."""


def catalogue_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def available_languages() -> tuple[str, ...]:
    """Language codes with a catalogue, the default first, then alphabetically."""
    found = sorted(p.name for p in LOCALES_DIR.iterdir() if catalogue_path(p.name).is_file())
    if DEFAULT_LANGUAGE in found:
        found.remove(DEFAULT_LANGUAGE)
        found.insert(0, DEFAULT_LANGUAGE)
    return tuple(found)


def _load(lang: str) -> Translations:
    # Compiled in memory so the repository holds only the reviewable .po text; fuzzy
    # entries are left out (they fall back to the English source text).
    with catalogue_path(lang).open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


class Translator:
    """The messages of one language. `t("Hello %(name)s", name=...)` translates then formats."""

    def __init__(self, lang: str, translations: Translations) -> None:
        self.lang = lang
        self.translations = translations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return str(self.translations.pgettext(context, message))

    def __call__(self, message: str, **values: Any) -> str:
        text = self.gettext(message)
        return text % values if values else text


@cache
def translator(lang: str) -> Translator:
    """The translator of `lang` (a code from `available_languages()`)."""
    if lang not in available_languages():
        raise UnknownLanguage(lang)
    return Translator(lang, _load(lang))
