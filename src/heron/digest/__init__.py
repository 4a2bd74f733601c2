"""Digest: inbox batches → normalized, grouped, stored events (one transaction a batch)."""

from heron.digest.batch import BatchResult, digest_batch, drain
from heron.digest.issue_state import expire_ignores, sweep_ignores
from heron.digest.rollups import hour_bucket
from heron.digest.worker import run, run_in_thread, wait_idle

__all__ = [
    "BatchResult",
    "digest_batch",
    "drain",
    "expire_ignores",
    "hour_bucket",
    "run",
    "run_in_thread",
    "sweep_ignores",
    "wait_idle",
]
