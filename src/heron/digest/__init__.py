"""Digest: inbox batches → normalized, grouped, stored events (one transaction a batch)."""

from heron.digest.batch import BatchResult, digest_batch, drain
from heron.digest.worker import run, run_in_thread, wait_idle

__all__ = ["BatchResult", "digest_batch", "drain", "run", "run_in_thread", "wait_idle"]
