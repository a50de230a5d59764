"""Text of UHRI records: HTML tags and invisible characters removed, paragraph numbers found."""

from __future__ import annotations

import html
import re
from typing import Final

# --- text -----------------------------------------------------------------------------

# Block-level tags end a line; every other tag is dropped. A tag must start with a letter,
# "/" or "!" so that "a < b" in plain text survives.
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(?:p|br|div|li|ul|ol|h[1-6]|tr|table|blockquote)\b[^>]*>", re.IGNORECASE
)
_ANY_TAG = re.compile(r"<[a-zA-Z!/][^>]*>")
_INVISIBLE_CHARS: Final[dict[str, str]] = {
    "\u200b": "",  # zero-width space
    "\u200e": "",  # &lrm;
    "\u200f": "",  # &rlm;
    "\ufeff": "",
    "\u00ad": "",  # soft hyphen
    "\u2011": "-",  # &#8209; non-breaking hyphen: searchable as "-"
    "\u2028": "\n",
    "\u2029": "\n",
}
# One regex scan: str.translate with a mapping costs more than the whole parse of a record.
_INVISIBLE = re.compile("[" + "".join(_INVISIBLE_CHARS) + "]")


def clean_text(value: object) -> str:
    """Plain text from a UHRI ``Text``: tags removed, entities decoded, spaces collapsed.

    Block tags become line breaks; each line has its whitespace (including ``&nbsp;``)
    collapsed; empty lines are dropped.
    """
    if value is None:
        return ""
    text = str(value)
    if "<" in text:
        text = _ANY_TAG.sub("", _BLOCK_TAG.sub("\n", text))
    if "&" in text:
        text = html.unescape(text)
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub(lambda m: _INVISIBLE_CHARS[m.group()], text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# "26.1 Consider ...", "4.The Committee ...", "7. Reiterating ...", "122.3. Ratify ..."
_PARA_START = re.compile(r"(\d{1,3}(?:\.\d{1,3})*)(\.?)(\s*)(?=\S)")
# Lines before the numbered one may be a heading ("B.Positive aspects", "Climate change").
_MAX_HEADING_LINES = 2
_MAX_HEADING_CHARS = 200


def _line_paragraph(line: str) -> str | None:
    match = _PARA_START.match(line)
    if not match:
        return None
    number, dot, space = match.groups()
    following = line[match.end()]
    if dot:
        # "4.The", "7. Reiterating", "12.(a)": any letter, bracket or quote may follow.
        return number if (following.isalpha() or following in "(\"“‘'") else None
    # Without a final dot only a sub-numbered paragraph ("26.1 Consider") counts, and it
    # needs a space then a capital or a bracket: "1.5 million" is not a paragraph.
    if "." in number and space and (following.isupper() or following in "(\"“‘'"):
        return number
    return None


def paragraph_from_text(text: str) -> str | None:
    """The paragraph number a UHRI text starts with, after at most two heading lines."""
    for position, line in enumerate(text.split("\n", _MAX_HEADING_LINES + 1)):
        if position > _MAX_HEADING_LINES:
            return None
        number = _line_paragraph(line)
        if number:
            return number
        if len(line) > _MAX_HEADING_CHARS or line.rstrip().endswith((".", ";", ":")):
            return None
    return None
