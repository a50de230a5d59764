"""Text cleanup shared by all formats: decoding, line endings, page furniture, hyphens."""

from __future__ import annotations

import re

import charset_normalizer

# Bytes 0x80-0xFF decoded by a candidate encoding into characters English UN prose uses
# (typographic quotes and dashes, common accented letters) count for it; characters that
# almost never occur in such prose count against it. This settles the Mac OS Roman vs
# Windows-1252 question that statistical detectors get wrong on short English texts.
_GOOD_CHARS = set("’‘“”–—•…éèêëàâäçôöûüùîïñóáíúÉÇ\u00a0«»°§")
_BAD_CHARS = set("ÒÓÔÕÐÑÊ¤¦¨¬¯´¸¹²³¼½¾×÷þÞðý¿¡ˆ˜ÿ")
_CANDIDATES = ("cp1252", "mac_roman", "latin_1")

_NEWLINES = re.compile(r"\r\n?|\u2028|\u2029|\x0b|\x0c")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SOFT_HYPHEN = re.compile("\u00ad\n?")
_HYPHEN_BREAK = re.compile(r"(?<=[a-z])-[ \t]*\n[ \t]*(?=[a-z])")

# Page furniture. A UN symbol line (optionally with "Page N" or a page number), a
# job number "GE.14-12345 (E)", or a page number alone next to one of those.
_SYMBOL = r"A/(?:HRC|RES|DEC)?/?\s?[\w.]+(?:/[\w.]+){1,4}\*?"
_HEADER_LINE = re.compile(
    rf"^\s*(?:{_SYMBOL}\s*(?:\d{{1,4}}|Page\s+\d{{1,4}})?"
    r"|(?:\d{1,4}[ \t]+)?GE\.[ \t]?\d{2}-\d{4,6}[ \t]*(?:\(E\))?[ \t]*\d{0,4}(?:[ \t]+\S+)?"
    r"|Page\s+\d{1,4}"
    rf"|\d{{1,4}}\s+{_SYMBOL}"
    r"|\*+)\s*$"
)
_PAGE_NUMBER_LINE = re.compile(r"^\s*\d{1,4}\s*$")
_INLINE_HEADER = re.compile(
    rf"(?:{_SYMBOL}[ \t]+Page[ \t]+\d{{1,4}}\b"
    r"|\bGE\.[ \t]?\d{2}-\d{4,6}(?:[ \t]*\(E\))?(?:[ \t]+\d{1,4}\b(?!\.\d))?)"
)
_BOILERPLATE = re.compile(
    r"^\s*\**\s*The conclusions and recommendations have not been edited\.?\s*$", re.I | re.M
)


def decode(data: bytes) -> str:
    """Decode text bytes: BOM/UTF-8 first, then the most plausible single-byte encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    high = bytes(sorted({b for b in data if b >= 0x80}))
    if high:
        best = max(_CANDIDATES, key=lambda enc: _plausibility(high, data, enc))
        if _plausibility(high, data, best) > 0:
            return data.decode(best, errors="replace")
    match = charset_normalizer.from_bytes(data[:200_000]).best()
    encoding = match.encoding if match is not None else "latin_1"
    return data.decode(encoding, errors="replace")


def _plausibility(high: bytes, data: bytes, encoding: str) -> int:
    score = 0
    for byte in high:
        char = bytes([byte]).decode(encoding, errors="replace")
        weight = data.count(byte)
        if char in _GOOD_CHARS:
            score += weight
        elif char in _BAD_CHARS or char == "\ufffd" or ord(char) < 0xA0:
            score -= 3 * weight
    return score


def normalize_newlines(text: str) -> str:
    """CRLF, CR-only and other separators to LF; control characters dropped."""
    text = _NEWLINES.sub("\n", text)
    text = _CONTROL.sub(" ", text)
    return text.replace("\u00a0", " ")


def strip_page_lines(lines: list[str], edge: int = 4) -> list[str]:
    """Drop header/footer lines at the top and bottom of one page."""
    start, end = 0, len(lines)
    while start < end and start < edge and _is_furniture(lines[start]):
        start += 1
    bottom = 0
    while end > start and bottom < edge and _is_furniture(lines[end - 1]):
        end -= 1
        bottom += 1
    return lines[start:end]


def _is_furniture(line: str) -> bool:
    return not line.strip() or bool(_HEADER_LINE.match(line)) or bool(_PAGE_NUMBER_LINE.match(line))


def strip_inline_furniture(text: str, keep_head: int = 40) -> str:
    """Remove headers that landed mid-text (texts without page breaks).

    The first ``keep_head`` lines are left alone: the masthead carries the document's
    own symbol, which classification needs.
    """
    lines = text.split("\n")
    keep: list[str] = lines[:keep_head]
    lines = lines[keep_head:]
    removed_prev = False
    for i, line in enumerate(lines):
        if _HEADER_LINE.match(line):
            removed_prev = True
            continue
        if _PAGE_NUMBER_LINE.match(line):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if removed_prev or _HEADER_LINE.match(nxt):
                continue
        removed_prev = False
        keep.append(line)
    head = "\n".join(keep[:keep_head])
    body = "\n".join(keep[keep_head:])
    body = _BOILERPLATE.sub("", _INLINE_HEADER.sub(" ", body))
    return f"{head}\n{body}" if keep_head else body


def repair_hyphens(text: str) -> str:
    """Join words hyphenated across a line break ("implemen-\\ntation")."""
    text = _SOFT_HYPHEN.sub("", text)
    return _HYPHEN_BREAK.sub("", text)


def clean(text: str) -> str:
    """Full cleanup for text that has no page structure of its own."""
    return repair_hyphens(strip_inline_furniture(normalize_newlines(text)))


_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse all whitespace (reflow broken lines) into single spaces."""
    return _SPACES.sub(" ", text).strip()
