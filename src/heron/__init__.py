"""Heron: a self-hosted monitoring server that speaks Sentry's protocol."""

__version__ = "0.1.0"
