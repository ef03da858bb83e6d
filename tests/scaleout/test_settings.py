"""FINSIGNAL_REDIS_URL: validated at start (one line naming the variable), its password masked."""

from __future__ import annotations

import logging

import pytest

from core.errors import ConfigError
from core.settings import load_settings
from finsignal.logs import RedactingFilter
from market.redis_conn import mask


@pytest.mark.parametrize("url", ["http://cache:6379", "cache:6379", "redis://", "memcached://x:1"])
def test_a_bad_redis_url_is_one_line_naming_the_variable(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^FINSIGNAL_REDIS_URL is invalid: expected redis://") as err:
        load_settings(redis_url=url)
    assert "\n" not in str(err.value)


def test_redis_urls_accepted_and_empty_means_in_process() -> None:
    assert load_settings().redis_url == ""
    assert load_settings(redis_url=" rediss://:pw@cache:6380/1 ").redis_url == "rediss://:pw@cache:6380/1"


def test_the_redis_password_is_masked_in_logs_and_reports() -> None:
    settings = load_settings(redis_url="redis://user:s3cr3t-pass@cache:6379/0")
    assert "s3cr3t-pass" in settings.secret_values()
    assert mask(settings.redis_url) == "redis://***@cache:6379/0"
    assert mask("redis://cache:6379/0") == "redis://cache:6379/0"
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "cannot reach %s", (settings.redis_url,), None
    )
    RedactingFilter(settings.secret_values()).filter(record)
    assert "s3cr3t-pass" not in record.getMessage()
