"""`python -m shared.i18n.check`: every message of the code and templates is in every
catalogue, translated and not fuzzy (English is the source language: it may stay empty)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from shared.i18n.catalog import DEFAULT_LANGUAGE, available_languages, catalogue_path

ROOT = Path(__file__).resolve().parents[2]


def extracted_ids() -> set[tuple[str | None, str]]:
    """(context, msgid) of every message marked in the code and templates."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        CommandLineInterface().run(  # type: ignore[no-untyped-call]
            ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "t",
             "--omit-header", "-o", str(pot), str(ROOT)]
        )  # fmt: skip
        with pot.open("rb") as fp:
            template = read_po(fp)
    return {(m.context, _key(m.id)) for m in template if m.id}


def _key(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def problems() -> list[str]:
    """One line per missing, untranslated or fuzzy message, per language."""
    wanted = extracted_ids()
    found: list[str] = []
    for lang in available_languages():
        with catalogue_path(lang).open("rb") as fp:
            catalog = read_po(fp, locale=lang)
        present = {(m.context, _key(m.id)): m for m in catalog if m.id}
        for ctx, msgid in sorted(wanted - present.keys(), key=lambda k: k[1]):
            found.append(f"{lang}: missing {msgid!r}" + (f" (context {ctx})" if ctx else ""))
        if lang == DEFAULT_LANGUAGE:
            continue
        for (_ctx, msgid), msg in present.items():
            strings = [msg.string] if isinstance(msg.string, str) else list(msg.string or [])
            if not all(strings):
                found.append(f"{lang}: untranslated {msgid!r}")
            elif msg.fuzzy:
                found.append(f"{lang}: fuzzy {msgid!r}")
    return found


def main() -> int:
    lines = problems()
    for line in lines:
        print(line)
    if lines:
        print("run scripts/i18n.sh update, then translate the listed messages", file=sys.stderr)
        return 1
    print(f"catalogues complete: {', '.join(available_languages())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
