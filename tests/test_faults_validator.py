"""The validation process fails closed: killed, frozen, or missing a frame, the refresh fails
with one line in bounded time, the published database is unchanged and no process is left;
a failure after the publish says that the database was published."""

from __future__ import annotations

import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from pipeline.checks import gx_worker
from pipeline.checks.gx_worker import ValidationWorker, WorkerError
from tests.test_faults import digest, fault_then_check, run_refresh


@pytest.fixture
def published(published_env, monkeypatch):
    monkeypatch.setenv(gx_worker.ENV_SWITCH, "1")
    return published_env


@pytest.fixture
def started(monkeypatch) -> list[ValidationWorker]:
    """Every validation worker started during the test, to see that none is left running."""
    workers: list[ValidationWorker] = []
    original = ValidationWorker.__init__

    def init(self) -> None:
        original(self)
        workers.append(self)

    monkeypatch.setattr(ValidationWorker, "__init__", init)
    gx_worker._close()  # a worker from an earlier test would not be seen starting
    return workers


def after_first_job(monkeypatch, action) -> None:
    """Do `action(worker)` once the build has sent the worker its first suite."""
    original = ValidationWorker.submit_validation
    done: list[bool] = []

    def submit(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if not done:
            done.append(True)
            action(self)

    monkeypatch.setattr(ValidationWorker, "submit_validation", submit)


def none_left(workers: list[ValidationWorker]) -> None:
    assert workers, "the build started no validation worker"
    for w in workers:
        assert w._proc.poll() is not None, f"validation process {w._proc.pid} is still running"
        assert not w._frames.exists()


def test_a_killed_validator_fails_the_refresh_with_one_line(
    published, capsys, monkeypatch, started
):
    after_first_job(monkeypatch, lambda w: (w._proc.kill(), w._proc.wait(10)))
    line = fault_then_check(
        published, capsys, code=8, expected=["the validation process", "killed by signal 9"]
    )
    assert "Traceback" not in line
    none_left(started)


def test_a_frozen_validator_is_stopped_at_its_deadline(published, capsys, monkeypatch, started):
    monkeypatch.setenv(gx_worker.DEADLINE_ENV, "2")
    after_first_job(monkeypatch, lambda w: os.kill(w._proc.pid, signal.SIGSTOP))
    began = time.monotonic()
    fault_then_check(
        published,
        capsys,
        code=8,
        expected=["validation did not finish", "no answer for 2 s", gx_worker.DEADLINE_ENV],
    )
    assert time.monotonic() - began < 60
    none_left(started)


def test_a_missing_frame_is_an_error_not_a_pass(published, capsys, monkeypatch, started):
    monkeypatch.setattr(gx_worker, "write_frame", lambda con, sql, path: None)
    fault_then_check(published, capsys, code=8, expected=["validation could not run", "is missing"])
    none_left(started)


def test_the_worker_answers_a_missing_frame_with_an_error(tmp_path):
    """The worker's own loop, in a thread: a job whose frame is not there is not passed."""
    to_worker, from_main = os.pipe()
    to_main, from_worker = os.pipe()
    send = Connection(from_main, readable=False)
    receive = Connection(to_main, writable=False)
    serving = threading.Thread(
        target=gx_worker._serve,
        args=(Connection(to_worker, writable=False), Connection(from_worker, readable=False)),
        daemon=True,
    )
    serving.start()
    frame = tmp_path / "7.arrow"
    send.send(("validate", 7, ("suite.json", str(frame), {}, str(tmp_path), True)))
    assert receive.poll(60)
    ticket, ok, payload = receive.recv()
    send.send(None)
    serving.join(30)
    assert (ticket, ok) == (7, False)
    assert "the frame for suite.json is missing" in payload


def test_a_failure_after_the_publish_says_the_database_was_published(
    published, capsys, monkeypatch
):
    def docs_fail() -> None:
        raise WorkerError("the validation process stopped (exit code 1)")

    monkeypatch.setattr(gx_worker, "wait_docs", docs_fail)
    code, line = run_refresh(capsys)
    assert code == 9, line
    assert line.startswith("spendtrack: error: published ")
    assert "validation data docs" in line and "were not rendered" in line
    assert "nothing is published" not in line
    assert Path(published.database_path).exists()


@pytest.mark.parametrize("value", ["soon", "0", "-3"])
def test_a_bad_deadline_setting_is_named(published, capsys, monkeypatch, value):
    monkeypatch.setenv(gx_worker.DEADLINE_ENV, value)
    before = digest(published.database_path)
    code, line = run_refresh(capsys)
    assert code == 8, line
    assert f"{gx_worker.DEADLINE_ENV}={value!r}" in line
    assert digest(published.database_path) == before
