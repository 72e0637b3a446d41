"""Field checks shared by the schemas: each returns a message when the value is wrong, else None."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def email(value: str) -> str | None:
    """An address a mail server accepts: ASCII local part and domain, no spaces or line breaks."""
    if not _EMAIL.fullmatch(value) or len(value) > 254:
        return f"is not an email address like name@example.org (got {value!r})"
    return None


def web_address(value: str) -> str | None:
    """An absolute http or https address."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return f"must be a web address starting with https:// (got {value!r})"
    return None


def hex_colour(value: str) -> str | None:
    """A colour written #rrggbb."""
    if not _HEX.fullmatch(value):
        return f"must be a colour written #rrggbb, like #0b5f73 (got {value!r})"
    return None


def language(value: str) -> str | None:
    """A language tag such as en, fr or pt-BR."""
    if not _LANGUAGE.fullmatch(value):
        return f"must be a language code such as en, fr or pt-BR (got {value!r})"
    return None


def slug(value: str) -> str | None:
    """A name safe in a web address: lower-case letters, digits and inner hyphens."""
    if not _SLUG.fullmatch(value):
        return "must use only lower-case letters, digits and hyphens (at most 64)"
    return None


def one_line(value: str) -> str | None:
    """Text without line breaks or control characters (safe in an email header or a title)."""
    if any(ord(c) < 32 or ord(c) == 127 or c in "\u2028\u2029\x85" for c in value):
        return "must be one line, without line breaks or control characters"
    return None


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def source_digest(value: str) -> str | None:
    """The digest of a page's file, written sha256:<64 hex digits> (or nothing)."""
    if value and not _DIGEST.fullmatch(value):
        return (
            "must be sha256: and 64 hex digits, as 'r2r translations stamp' writes it "
            f"(got {value!r})"
        )
    return None
