"""Request bodies: read with a size cap, then undo Content-Encoding with a size cap."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import AsyncIterator

import brotli

from heron.ingest.errors import BadRequest, PayloadTooLarge, UnsupportedEncoding

_CHUNK = 64 * 1024


async def read_body(chunks: AsyncIterator[bytes], content_length: str | None, limit: int) -> bytes:
    """Collect the body, refusing it as soon as it is bigger than ``limit``."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise BadRequest("invalid Content-Length") from None
        if declared > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    stream = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    while pending:
        out += stream.decompress(pending, limit + 1 - len(out))
        if len(out) > limit:
            raise PayloadTooLarge(f"decompressed body exceeds {limit} bytes")
        pending = stream.unconsumed_tail
        if stream.eof:
            # Concatenated gzip members are legal; anything else after the end is garbage.
            rest = stream.unused_data
            if rest and wbits > 16:
                out += _inflate(rest, wbits, limit - len(out))
            break
    if not stream.eof:
        out += stream.flush()
        if not stream.eof:
            raise BadRequest("truncated compressed body")
    return bytes(out)


def _gunzip(data: bytes, limit: int) -> bytes:
    try:
        return _inflate(data, 16 + zlib.MAX_WBITS, limit)
    except zlib.error as exc:
        raise BadRequest(f"invalid gzip body: {exc}") from None


def _undeflate(data: bytes, limit: int) -> bytes:
    # "deflate" should be zlib-wrapped, but raw deflate streams are common: accept both.
    try:
        return _inflate(data, zlib.MAX_WBITS, limit)
    except zlib.error:
        pass
    try:
        return _inflate(data, -zlib.MAX_WBITS, limit)
    except zlib.error as exc:
        raise BadRequest(f"invalid deflate body: {exc}") from None


def _unbrotli(data: bytes, limit: int) -> bytes:
    stream = brotli.Decompressor()
    out = bytearray()

    def more(chunk: bytes) -> bytes:
        piece: bytes = stream.process(chunk, output_buffer_limit=_CHUNK)
        if len(out) + len(piece) > limit:
            raise PayloadTooLarge(f"decompressed body exceeds {limit} bytes")
        return piece

    try:
        for start in range(0, len(data), _CHUNK):
            out += more(data[start : start + _CHUNK])
            while not stream.can_accept_more_data():
                out += more(b"")
        while not stream.is_finished():
            piece = more(b"")
            if not piece:
                break
            out += piece
    except brotli.error as exc:
        raise BadRequest(f"invalid brotli body: {exc}") from None
    if not stream.is_finished():
        raise BadRequest("truncated brotli body")
    return bytes(out)


_DECODERS = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _undeflate, "br": _unbrotli}


def decode_body(data: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo every listed encoding (applied in order, so undone in reverse)."""
    if content_encoding:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        for coding in reversed(codings):
            if coding == "identity":
                continue
            decoder = _DECODERS.get(coding)
            if decoder is None:
                raise UnsupportedEncoding(f"unsupported Content-Encoding {coding!r}")
            data = decoder(data, limit)
    if len(data) > limit:
        raise PayloadTooLarge(f"decompressed body exceeds {limit} bytes")
    return data


def decode_store_body(data: bytes, limit: int) -> bytes:
    """Old clients post base64(zlib(json)) to /store/ without a Content-Encoding."""
    stripped = data.lstrip()
    if not stripped or stripped[:1] == b"{":
        return data
    try:
        raw = base64.b64decode(stripped, validate=False)
    except (binascii.Error, ValueError):
        raise BadRequest("store body is neither JSON nor base64") from None
    try:
        return _inflate(raw, zlib.MAX_WBITS, limit)
    except zlib.error:
        return raw
