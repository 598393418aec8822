"""Small helpers shared by every domain."""

import hashlib
import os
import secrets
import time
import uuid
from datetime import UTC, datetime

import orjson


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (a callable for column defaults)."""
    return datetime.now(UTC)


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): indexes stay compact as rows arrive."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


def sha256_hex(data: bytes | str) -> str:
    """Hex sha256 of bytes or of UTF-8 text."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def canonical_json(value) -> bytes:
    """JSON with sorted keys, so equal content gives equal bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token; 32 bytes are 256 bits."""
    return secrets.token_urlsafe(nbytes)


#: Crockford-style alphabet without look-alikes, for codes people type by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def human_code(length: int = 8) -> str:
    """A random code to read aloud or type (about 5 bits a character)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    """Upper-case a typed code and drop spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())
