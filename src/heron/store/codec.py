"""Compressed JSON blobs for stored payloads (events, raw items)."""

from __future__ import annotations

import threading
from typing import Any

import orjson
import zstandard

_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    # zstandard's (de)compressors must not be shared between threads.
    comp: zstandard.ZstdCompressor | None = getattr(_local, "comp", None)
    if comp is None:
        comp = _local.comp = zstandard.ZstdCompressor(level=3)
    return comp


def _decompressor() -> zstandard.ZstdDecompressor:
    dec: zstandard.ZstdDecompressor | None = getattr(_local, "dec", None)
    if dec is None:
        dec = _local.dec = zstandard.ZstdDecompressor()
    return dec


def pack_bytes(data: bytes) -> bytes:
    return bytes(_compressor().compress(data))


def unpack_bytes(blob: bytes) -> bytes:
    return bytes(_decompressor().decompress(blob))


def pack(value: Any) -> bytes:
    return pack_bytes(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


def unpack(blob: bytes) -> Any:
    return orjson.loads(unpack_bytes(blob))
