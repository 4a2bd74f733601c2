from __future__ import annotations

import base64
import gzip
import zlib

import brotli
import pytest

from heron.ingest.decode import decode_body, decode_store_body
from heron.ingest.errors import BadRequest, PayloadTooLarge, UnsupportedEncoding

DATA = b'{"message": "hello"}\n' * 100


def _raw_deflate(data: bytes) -> bytes:
    co = zlib.compressobj(wbits=-15)
    return co.compress(data) + co.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        (None, DATA),
        ("identity", DATA),
        ("gzip", gzip.compress(DATA)),
        ("GZIP", gzip.compress(DATA)),
        ("deflate", zlib.compress(DATA)),
        ("deflate", _raw_deflate(DATA)),
        ("br", brotli.compress(DATA)),
        ("gzip, br", brotli.compress(gzip.compress(DATA))),
    ],
)
def test_decodes(encoding: str | None, encoded: bytes) -> None:
    assert decode_body(encoded, encoding, 1 << 20) == DATA


def test_concatenated_gzip_members() -> None:
    assert decode_body(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip", 100) == b"abcd"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_bombs_stop_at_the_limit(encoding: str) -> None:
    big = b"\0" * (8 << 20)
    encoded = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](
        big
    )
    with pytest.raises(PayloadTooLarge):
        decode_body(encoded, encoding, 1 << 20)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_garbage_is_bad_request(encoding: str) -> None:
    with pytest.raises(BadRequest):
        decode_body(b"\x00\x01garbage-not-compressed" * 3, encoding, 1 << 20)


def test_truncated_gzip() -> None:
    with pytest.raises(BadRequest):
        decode_body(gzip.compress(DATA)[:-20], "gzip", 1 << 20)


def test_unknown_encoding() -> None:
    with pytest.raises(UnsupportedEncoding):
        decode_body(DATA, "compress", 1 << 20)


def test_plain_body_over_limit() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_body(DATA, None, 10)


def test_legacy_store_body() -> None:
    event = b'{"message":"legacy"}'
    assert decode_store_body(event, 1000) == event
    assert decode_store_body(base64.b64encode(zlib.compress(event)), 1000) == event
