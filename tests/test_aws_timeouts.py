"""An AWS endpoint that accepts a connection and never answers is a one-line error within the
client timeouts (toolkit.aws_config), not minutes of silence. Here the timeouts are cut to a
second, and the endpoint is a socket on 127.0.0.1 that accepts and says nothing."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from conftest import run_in_process

from toolkit import aws_config


class SilentEndpoint:
    """A socket on 127.0.0.1 that never answers. Nothing accepts its connections while a test
    runs: each is completed by the kernel and waits in the listen backlog (a client cannot tell),
    so that `connections()`, afterwards, counts every one the client made (a thread accepting
    them could still be taking the last when it is counted)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.taken: list[socket.socket] = []

    def connections(self) -> int:
        """How many connections were made to it so far."""
        self.server.setblocking(False)
        while True:
            try:
                self.taken.append(self.server.accept()[0])
            except BlockingIOError:
                return len(self.taken)

    def close(self) -> None:
        self.connections()
        for connection in self.taken:
            connection.close()
        self.server.close()


@pytest.fixture
def silent_endpoint(monkeypatch, fake_aws_env):
    endpoint = SilentEndpoint()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{endpoint.server.getsockname()[1]}")
    monkeypatch.setattr(aws_config, "CONNECT_TIMEOUT", 1)
    monkeypatch.setattr(aws_config, "READ_TIMEOUT", 1)
    yield endpoint
    endpoint.close()


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--source", "s3://trail-bucket/AWSLogs", "--since", "1d"],
        ["verify", "--source", "s3://trail-bucket", "--since", "1d"],
    ],
    ids=["s3-source", "verify-s3"],
)
def test_a_silent_endpoint_is_a_one_line_error_within_the_timeouts(silent_endpoint, capsys, args):
    began = time.monotonic()
    code, out, err = run_in_process(capsys, *args)
    took = time.monotonic() - began
    assert code not in (0, 130) and out == ""
    assert "Traceback" not in err
    [error] = [line for line in err.splitlines() if line.startswith("trailcsi: error:")]
    assert "timeout" in error.lower() or "timed out" in error.lower(), error
    assert "cannot reach" not in error  # it was reached: it did not answer
    assert took < 4 * aws_config.ATTEMPTS, f"{took:.1f}s"


def test_a_call_that_waits_is_named_with_its_endpoint_then_forgotten(silent_endpoint, capsys, monkeypatch):
    monkeypatch.setattr(aws_config, "WAIT_SHOWN", 0.2)
    told: list[str | None] = []
    monkeypatch.setattr(aws_config, "_listener", lambda: told.append(aws_config.waiting()))
    code, _out, _err = run_in_process(
        capsys, "search", "--source", "s3://trail-bucket/AWSLogs", "--since", "1d"
    )
    assert code not in (0, 130)
    waits = [text for text in told if text]
    assert waits and waits[0].startswith("waiting for S3 ListObjectsV2 at 127.0.0.1:"), told
    assert told[-1] is None and aws_config.waiting() is None  # the failed call is no longer waited for


def test_the_progress_line_in_a_terminal_says_what_it_waits_for(silent_endpoint, tmp_path):
    """As a person sees it: stderr a terminal (a pseudo-terminal here), the command waiting on a
    silent S3 endpoint shows which call it waits for, where, and for how long."""
    import os
    import pty
    import select
    import subprocess
    import sys

    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "search", "--source", "s3://trail-bucket/AWSLogs", "--since", "1d"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "200"},
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 20
    try:
        while b"waiting for S3 ListObjectsV2 at 127.0.0.1:" not in seen and time.monotonic() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    break
    finally:
        process.kill()
        process.wait()
        os.close(main)
    assert b"waiting for S3 ListObjectsV2 at 127.0.0.1:" in seen, seen[-2000:]


def test_a_call_is_tried_as_many_times_as_attempts_says_the_first_included(silent_endpoint, capsys):
    code, _out, _err = run_in_process(
        capsys, "search", "--source", "s3://trail-bucket/AWSLogs", "--since", "1d"
    )
    assert code not in (0, 130)
    assert silent_endpoint.connections() == aws_config.ATTEMPTS  # one connection an attempt (it was one more)


def test_the_wait_line_counts_the_other_calls_in_words_that_agree(monkeypatch):
    monkeypatch.setattr(aws_config, "_in_flight", {})
    sent = time.monotonic() - 5
    aws_config._in_flight.update(
        {1: ("S3 ListObjectsV2 at host", sent), 2: ("S3 GetObject at host", sent + 1)}
    )
    assert aws_config.waiting() == "waiting for S3 ListObjectsV2 at host: 5 s (and 1 more call)"
    aws_config._in_flight[3] = ("S3 GetObject at host", sent + 2)
    assert aws_config.waiting().endswith("(and 2 more calls)")


def test_no_region_says_where_a_region_comes_from():
    import botocore.exceptions

    from toolkit.errors import UsageError

    error = aws_config.error_for(botocore.exceptions.NoRegionError(), "Athena")
    assert isinstance(error, UsageError) and error.message == "no AWS region set"
    assert "AWS_REGION" in error.hint and "--aws-region" in error.hint and "athena setup" in error.hint


def test_the_library_on_an_s3_source_waits_no_longer_than_the_cli(silent_endpoint):
    """`open_archive("s3://...")` fetched with a client of botocore's defaults (60 s a read, three
    attempts): a silent endpoint held a notebook for minutes. It has the CLI's timeouts, and says
    so in trailcsi's one-line error, as the CLI does (it raised botocore's ReadTimeoutError)."""
    from toolkit import api
    from toolkit.errors import EngineError

    began = time.monotonic()
    with (
        api.open_archive("s3://trail-bucket/AWSLogs") as trail,
        pytest.raises(EngineError, match=r"S3 did not answer within .* \(read timeout"),
    ):
        trail.search(since="1d")
    took = time.monotonic() - began
    assert took < 4 * aws_config.ATTEMPTS, f"{took:.1f}s"
    assert silent_endpoint.connections() == aws_config.ATTEMPTS


def test_sessions_share_the_models_read_once_and_keep_their_own_settings(fake_aws_env, monkeypatch):
    from toolkit.errors import UsageError

    first, second = aws_config.session(None, "eu-west-1"), aws_config.session(None, "us-east-1")
    assert first._session.get_component("data_loader") is second._session.get_component("data_loader")
    paths = first._session.get_component("data_loader").search_paths
    assert len(paths) == len(set(paths)) and "" not in paths  # (never the working directory)
    assert (first.region_name, second.region_name) == ("eu-west-1", "us-east-1")
    assert first.client("s3").meta.service_model is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSECOND")
    assert aws_config.session().get_credentials().access_key == "AKIDSECOND"  # read at each session
    with pytest.raises(UsageError, match="no-such-profile-here"):  # (botocore's ProfileNotFound before)
        aws_config.session("no-such-profile-here")


def test_sessions_made_on_several_threads_at_once_share_the_loader_safely(fake_aws_env, monkeypatch):
    """Each Session appends boto3's folder to the shared loader's list, which is then kept to one
    copy: done on several threads at once, the list was cut by positions another thread had moved
    (IndexError, seen now and then). So sessions are made one at a time: here each takes a
    twentieth of a second longer, and no two threads are ever making one at once."""
    import boto3

    making = 0
    most = 0
    counting = threading.Lock()
    failures: list[BaseException] = []

    class SlowSession(boto3.Session):
        def __init__(self, *args, **kwargs) -> None:
            nonlocal making, most
            with counting:
                making += 1
                most = max(most, making)
            time.sleep(0.05)  # (long enough for another thread to start one)
            super().__init__(*args, **kwargs)
            with counting:
                making -= 1

    monkeypatch.setattr(boto3, "Session", SlowSession)

    def make() -> None:
        for _ in range(3):
            try:
                aws_config.session(None, "eu-west-1").get_credentials()
            except BaseException as error:  # (collected: a thread's exception is otherwise lost)
                failures.append(error)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert most == 1, "two threads made a Session at once"
    final = aws_config.session()._session.get_component("data_loader").search_paths
    assert len(final) == len(set(final)) and any(p.endswith("boto3/data") for p in final)


def test_the_library_says_an_unknown_profile_and_a_refused_bucket_in_one_line(fake_aws_env, monkeypatch):
    """`open_athena(profile=...)` raised botocore's ProfileNotFound, and an S3 source the bucket
    refused raised its ClientError; the library gives trailcsi's errors, as the CLI does."""
    import botocore.exceptions

    from toolkit import api
    from toolkit.errors import SourceError, UsageError

    with pytest.raises(UsageError, match="no-such-profile-here") as unknown:
        api.open_athena(None, profile="no-such-profile-here", region="eu-west-1")
    assert "--profile or AWS_PROFILE" in str(unknown.value.hint)

    def refused(*_args, **_kwargs):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "ListObjectsV2"
        )

    from toolkit.sources import s3source

    monkeypatch.setattr(s3source, "sync", refused)
    with (
        api.open_archive("s3://trail-bucket/AWSLogs") as trail,
        pytest.raises(SourceError, match=r"s3://trail-bucket/AWSLogs: AccessDenied: Access Denied"),
    ):
        trail.search(since="1d")


def test_an_unreadable_aws_config_and_a_malformed_endpoint_are_one_line_errors(
    fake_aws_env, monkeypatch, tmp_path, capsys
):
    """botocore's ConfigParseError and ValueError ("Invalid endpoint") came out raw from the
    library, and as tracebacks from the CLI (found by an attack review)."""
    from toolkit import api
    from toolkit.errors import UsageError

    broken = tmp_path / "config"
    broken.write_text("[profile x\nregion = eu-west-1\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(broken))
    with pytest.raises(UsageError, match="the AWS config cannot be read"):
        api.open_athena(None, region="eu-west-1")
    code, out, err = run_in_process(
        capsys,
        "sql",
        "SELECT 1",
        "--engine",
        "athena",
        "--database",
        "d",
        "--table",
        "t",
        "--output-location",
        "s3://results-bucket/athena/",
        "--aws-region",
        "eu-west-1",
    )
    assert code == 2 and out == "" and "the AWS config cannot be read" in err and "Traceback" not in err
    monkeypatch.delenv("AWS_CONFIG_FILE")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not a url")
    with (
        api.open_archive("s3://trail-bucket/AWSLogs") as trail,
        pytest.raises(UsageError, match="AWS_ENDPOINT_URL"),
    ):
        trail.search(since="1d")
    code, out, err = run_in_process(
        capsys, "search", "--source", "s3://trail-bucket/AWSLogs", "--since", "1d"
    )
    assert code == 2 and out == "" and "cannot make a client for S3" in err and "Traceback" not in err
