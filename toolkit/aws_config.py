"""The settings every AWS client trailcsi makes is given: an endpoint that accepts a connection
and never answers is a one-line error within about 40 s, not after botocore's defaults (60 s
to connect, 60 s for each read, three attempts: up to three minutes with no word)."""

from __future__ import annotations

from typing import Any

#: Seconds to open a connection, and to wait for each read of an answer.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
#: botocore's attempts in its standard retry mode (throttling and transient errors).
ATTEMPTS = 2


def client_config(attempts: int = ATTEMPTS) -> Any:
    """A botocore Config with trailcsi's timeouts and `attempts` tries in the standard mode."""
    import botocore.config

    return botocore.config.Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"mode": "standard", "max_attempts": attempts},
    )
