"""Choosing a language from an HTTP `Accept-Language` header."""

from __future__ import annotations

from collections.abc import Sequence

from shared.i18n.catalog import DEFAULT_LANGUAGE, available_languages


def _preferences(header: str) -> list[str]:
    # RFC 9110 language ranges with q-values; order kept among equal weights.
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower().replace("_", "-")
        if not tag:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(header: str | None, available: Sequence[str] | None = None) -> str:
    """The best available language for an `Accept-Language` header (default: English).

    `es-PY` matches `es`; `*` matches the default; an unknown or malformed header gives
    the default."""
    langs = list(available if available is not None else available_languages())
    if not header or len(header) > 1000:
        return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in langs else langs[0]
    lowered = {lang.lower(): lang for lang in langs}
    for tag in _preferences(header):
        if tag == "*":
            break
        if tag in lowered:
            return lowered[tag]
        primary = tag.split("-")[0]
        if primary in lowered:
            return lowered[primary]
    return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in langs else langs[0]
