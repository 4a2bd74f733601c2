"""The rate limiter on its own: a request is held to every quota; refusals cost nothing."""

from __future__ import annotations

import time

from heron.ingest.ratelimit import Quota, RateLimiter, rate_limit_header


def _limiter() -> RateLimiter:
    # A day-long window: the test cannot straddle two windows.
    return RateLimiter(window=86400.0)


def test_the_tightest_quota_decides_and_names_itself() -> None:
    limiter = _limiter()
    project, key = Quota("project", 1, 5), Quota("key", 7, 3)
    first = limiter.admit([project, key], 2)
    assert (first.admitted, first.bound_by) == (2, None)
    second = limiter.admit([project, key], 4)
    assert (second.admitted, second.bound_by) == (1, key)
    assert second.bound_by is not None and second.bound_by.reason == "key_quota"
    assert 1 <= second.retry_after <= 86400


def test_what_one_quota_refuses_does_not_use_up_the_other() -> None:
    limiter = _limiter()
    project = Quota("project", 1, 4)
    noisy, quiet = Quota("key", 7, 1), Quota("key", 8, 10)
    assert limiter.admit([project, noisy], 1).admitted == 1
    for _ in range(5):
        assert limiter.admit([project, noisy], 1).admitted == 0  # refused by the key
    # The project counted only the one admitted event: three are left for the other key.
    assert limiter.admit([project, quiet], 5).admitted == 3
    refused = limiter.admit([project, quiet], 1)
    assert (refused.admitted, refused.bound_by) == (0, project)


def test_quotas_are_separate_per_scope_and_id() -> None:
    limiter = _limiter()
    assert limiter.admit([Quota("key", 1, 1)], 1).admitted == 1
    assert limiter.admit([Quota("project", 1, 1)], 1).admitted == 1, "project 1 is not key 1"
    assert limiter.admit([Quota("key", 2, 1)], 1).admitted == 1


def test_a_new_window_starts_afresh() -> None:
    limiter = RateLimiter(window=0.2)
    quota = Quota("key", 1, 1)
    time.sleep(0.2 - time.time() % 0.2 + 0.01)  # early in a window
    assert limiter.admit([quota], 1).admitted == 1
    assert limiter.admit([quota], 1).admitted == 0
    time.sleep(0.25)
    assert limiter.admit([quota], 1).admitted == 1


def test_the_header_names_the_scope_and_reason() -> None:
    header = rate_limit_header(42, Quota("key", 3, 10))
    assert header == "42:error;default;security;transaction;feedback:key:key_quota"
