"""Entity tags as values (RFC 9110 section 8.8.3)."""

from __future__ import annotations

import functools
import re
from typing import Final

import attrs

# etagc = "!" / %x23-7E / obs-text; obs-text is accepted because servers send it.
_ETAG = re.compile(r'(W/)?"[\x21\x23-\x7e\x80-\xff]*"')


@attrs.frozen(repr=False)
class ETag:
    """An entity tag, kept exactly as the server wrote it: quotes and ``W/`` intact.

    ``ETag.parse('W/"a"')`` keeps the text byte for byte so that it goes back to the
    server unchanged in ``If-Match`` / ``If-None-Match``. ``ANY`` is the ``*`` wildcard.
    """

    value: str = attrs.field()

    @value.validator
    def _check(self, _: object, value: str) -> None:
        if value != "*" and not _ETAG.fullmatch(value):
            raise ValueError(f"not an entity tag: {value!r} (expected '\"...\"' or 'W/\"...\"')")

    @classmethod
    def parse(cls, text: str | ETag) -> ETag:
        """Parse a header value (surrounding white space ignored); raise ``ValueError``."""
        if isinstance(text, ETag):
            return text
        if not isinstance(text, str):
            raise TypeError(f"an ETag is a str or ETag, not {type(text).__name__}")
        return cls(text.strip())

    @classmethod
    def from_header(cls, text: str | None) -> ETag | None:
        """Parse a response header leniently: ``None`` when absent or not an entity tag."""
        return None if text is None else _from_header(text)

    @property
    def weak(self) -> bool:
        """True for a weak validator (``W/"..."``)."""
        return self.value.startswith("W/")

    @property
    def is_any(self) -> bool:
        """True for the ``*`` wildcard."""
        return self.value == "*"

    @property
    def opaque(self) -> str:
        """The quoted opaque tag without the weakness prefix."""
        return self.value[2:] if self.weak else self.value

    def strong_match(self, other: ETag) -> bool:
        """Strong comparison: both strong and their opaque tags identical."""
        return not (self.weak or other.weak) and self.value == other.value

    def weak_match(self, other: ETag) -> bool:
        """Weak comparison: the opaque tags are identical, weakness ignored."""
        return self.opaque == other.opaque

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"ETag({self.value!r})"


@functools.lru_cache(maxsize=1024)
def _from_header(text: str) -> ETag | None:
    # Values are immutable and a session's ETag is read over and over: parse each once.
    try:
        return ETag.parse(text)
    except ValueError:
        return None


ANY: Final = ETag("*")
"""The ``*`` wildcard: ``If-Match: *`` (update an existing session) or
``If-None-Match: *`` (create only)."""
