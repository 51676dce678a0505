"""Bytes to text: BOMs, UTF-8, cp1252, and the refusal of binary files."""

from __future__ import annotations

import codecs

__all__ = ["DecodeError", "MixedEncodingError", "decode", "decode_line", "looks_binary"]


class DecodeError(ValueError):
    """The bytes are not text storyline can read; the message says why."""


class MixedEncodingError(DecodeError):
    """Text that is neither all UTF-8 nor all cp1252: a file pieced together from several
    sources, or with a few corrupt bytes. Line-based formats decode it line by line."""


_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    # Control bytes other than tab, newline, carriage return and form feed.
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(8, len(sample) // 100)


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`DecodeError` for empty or binary data.

    A BOM decides (UTF-8, UTF-16 LE/BE); otherwise UTF-8 is tried first and
    cp1252 (the usual legacy encoding of Western news sites) second.
    """
    if not data.strip():
        raise DecodeError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {encoding} after its byte-order mark: {exc}") from exc
    if looks_binary(data):
        raise DecodeError("binary file (not text)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise MixedEncodingError(f"neither UTF-8 nor cp1252: {exc}") from exc


def decode_line(data: bytes) -> str:
    """One line of a :class:`MixedEncodingError` file: UTF-8, else cp1252; raises
    :class:`DecodeError` if it is neither."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"neither UTF-8 nor cp1252: {exc}") from exc
