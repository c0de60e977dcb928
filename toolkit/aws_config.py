"""The settings every AWS client trailcsi makes is given, and what its calls wait for.

An endpoint that accepts a connection and never answers is a one-line error within about 40 s,
not after botocore's defaults (60 s to connect, 60 s for each read, three attempts: up to three
minutes with no word). Meanwhile, a call that has waited `WAIT_SHOWN` seconds is named to the
progress display (`waiting`): which service, which operation, which endpoint, for how long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

#: Seconds to open a connection, and to wait for each read of an answer.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
#: botocore's attempts in its standard retry mode (throttling and transient errors).
ATTEMPTS = 2
#: Seconds a call waits before the progress display names it.
WAIT_SHOWN = 1.0

_in_flight: dict[int, tuple[str, float]] = {}  # id of the request -> (what it is, when sent)
_guard = threading.Lock()
_listener: Callable[[], None] | None = None
_timer: threading.Timer | None = None


_loaders: dict[str, Any] = {}  # botocore data path -> the loader every session of this process shares
_loaders_guard = threading.Lock()


def session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 Session whose botocore models are read once a process: each new Session would
    otherwise parse the JSON model of every service it makes a client for again (about 60 ms for
    S3). Credentials and settings stay the Session's own. An unknown profile or an AWS config file
    that cannot be read is a one-line UsageError."""
    import boto3
    import botocore.exceptions
    import botocore.loaders
    import botocore.session

    core = botocore.session.get_session()
    if profile is not None:
        core.set_config_variable("profile", profile)
    try:
        data_path = core.get_config_variable("data_path")  # (reads the config and the profile)
    except botocore.exceptions.BotoCoreError as error:
        raise error_for(error, "AWS") from None
    with _loaders_guard:  # (sessions made on several threads share the loader's list of folders)
        loader = _loaders.get(data_path or "")
        if loader is None:
            loader = _loaders[data_path or ""] = botocore.loaders.create_loader(data_path)
        core.register_component("data_loader", loader)
        made = boto3.Session(botocore_session=core, profile_name=profile, region_name=region)
        paths = loader.search_paths  # boto3 appends its own models' folder at each Session: keep one
        paths[:] = list(dict.fromkeys(paths))
    return made


def client_config(attempts: int = ATTEMPTS) -> Any:
    """A botocore Config with trailcsi's timeouts and `attempts` tries in the standard mode."""
    import botocore.config

    return botocore.config.Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": attempts},  # (attempts, the first included)
    )


def watched(client: Any) -> Any:
    """`client`, whose calls are tracked for `waiting` (each HTTP attempt, from its sending to
    its answer or failure)."""
    client.meta.events.register("before-send", _sending)
    client.meta.events.register("response-received", _answered)
    return client


def on_waiting(listener: Callable[[], None] | None) -> None:
    """Call `listener` when a call has waited `WAIT_SHOWN` seconds, and when a call ends."""
    global _listener
    _listener = listener


def waiting() -> str | None:
    """The call waiting longest, if for `WAIT_SHOWN` seconds or more: "waiting for S3
    ListObjectsV2 at host: 12 s" (with how many others are in flight)."""
    now = time.monotonic()
    with _guard:
        calls = sorted(_in_flight.values(), key=lambda call: call[1])
    if not calls or now - calls[0][1] < WAIT_SHOWN:
        return None
    what, since = calls[0]
    more = len(calls) - 1
    others = f" (and {more} more call{'s' if more > 1 else ''})" if more else ""
    return f"waiting for {what}: {now - since:.0f} s{others}"


def _sending(request: Any, event_name: str, **_: Any) -> None:
    _event, service, operation = (event_name.split(".") + ["", ""])[:3]
    host = urlsplit(getattr(request, "url", "") or "").netloc or "?"
    label = f"{_SERVICES.get(service, service)} {operation} at {host}"
    with _guard:  # (the request's context is the one `response-received` is given, retries too)
        _in_flight[id(request.context)] = (label, time.monotonic())
    if _listener is not None:
        _watch()


def _watch() -> None:
    """One timer (not one a call: a download may make hundreds) that tells the listener every
    `WAIT_SHOWN` seconds while any call is in flight."""
    global _timer
    with _guard:
        if _timer is not None and _timer.is_alive():
            return
        _timer = threading.Timer(WAIT_SHOWN, _tick)
        _timer.daemon = True
        _timer.start()


def _tick() -> None:
    global _timer
    _tell()
    with _guard:
        _timer = None
        pending = bool(_in_flight)
    if pending:
        _watch()


def _answered(context: Any = None, **_: Any) -> None:
    with _guard:
        _in_flight.pop(id(context), None)
    _tell()


def _tell() -> None:
    listener = _listener
    if listener is not None:
        listener()


_SERVICES = {"s3": "S3", "athena": "Athena", "glue": "Glue", "cloudtrail": "CloudTrail", "sts": "STS"}


def error_for(error: BaseException, service: str) -> BaseException:
    """botocore's credential, profile, region, timeout and connection errors, and an AWS refusal,
    as one-line trailcsi errors (the one mapping every AWS caller uses)."""
    import botocore.exceptions

    from toolkit.errors import EngineError, UsageError, first_line

    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return UsageError("no AWS credentials found", "set AWS_PROFILE or pass --profile")
    if isinstance(error, botocore.exceptions.ProfileNotFound):
        return UsageError(str(error), "check --profile or AWS_PROFILE")
    if isinstance(error, botocore.exceptions.ConfigParseError | botocore.exceptions.ConfigNotFound):
        return UsageError(
            f"the AWS config cannot be read: {first_line(str(error))}",
            "check AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE",
        )
    if isinstance(error, botocore.exceptions.NoRegionError):
        return UsageError(
            "no AWS region set",
            "pass --aws-region, or set AWS_REGION or AWS_DEFAULT_REGION (for Athena: run "
            "`trailcsi athena setup`, which writes the region to trailcsi.toml)",
        )
    if isinstance(error, botocore.exceptions.ReadTimeoutError):  # connected, never answered
        return EngineError(
            f"{service} did not answer within {READ_TIMEOUT} s (read timeout, {ATTEMPTS} attempts) at "
            f"{getattr(error, 'kwargs', {}).get('endpoint_url', 'its endpoint')}",
            "AWS or the network is slow or the endpoint is wrong: try again, check --aws-region "
            "and any endpoint or proxy setting",
        )
    if isinstance(
        error, botocore.exceptions.ConnectTimeoutError | botocore.exceptions.EndpointConnectionError
    ):
        return EngineError(
            f"cannot connect to {service}: {first_line(str(error))}",
            "check the network, --aws-region and any endpoint or proxy setting",
        )
    if isinstance(error, botocore.exceptions.ClientError):
        info = error.response.get("Error", {})
        return EngineError(
            f"{service} refused the call: {info.get('Code', 'error')}: {first_line(str(info.get('Message', '')))}",
            "check your permissions and the settings",
        )
    return EngineError(f"cannot reach {service}: {first_line(str(error))}")


@contextmanager
def s3_errors(where: str, hint: str) -> Iterator[None]:
    """botocore's failures while reading S3 as one-line trailcsi errors naming `where` (the CLI
    and the library alike)."""
    import botocore.exceptions

    from toolkit.errors import SourceError

    try:
        yield
    except botocore.exceptions.ClientError as error:  # the bucket's answer: about `where`
        info = error.response.get("Error", {})
        raise SourceError(
            f"{where}: {info.get('Code', 'error')}: {info.get('Message', '')}".rstrip(": "), hint
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise error_for(error, "S3") from None


def client(session: Any, service: str, **settings: Any) -> Any:
    """`session.client(service, ...)` with trailcsi's timeouts; an endpoint botocore refuses (a
    malformed AWS_ENDPOINT_URL) is a one-line UsageError, not botocore's ValueError."""
    try:
        return session.client(service, config=client_config(), **settings)
    except ValueError as error:
        from toolkit.errors import UsageError, first_line

        raise UsageError(
            f"cannot make a client for {_SERVICES.get(service, service)}: {first_line(str(error))}",
            "check AWS_ENDPOINT_URL and any endpoint_url in your AWS config",
        ) from None
