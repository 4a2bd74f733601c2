"""Why ingest refuses a request; each error knows its HTTP status."""

from __future__ import annotations


class IngestError(Exception):
    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(IngestError):
    status = 400


class Unauthorized(IngestError):
    status = 401


class Forbidden(IngestError):
    status = 403


class ProjectNotFound(IngestError):
    status = 404


class PayloadTooLarge(IngestError):
    status = 413


class UnsupportedEncoding(IngestError):
    status = 415


class RateLimited(IngestError):
    status = 429
