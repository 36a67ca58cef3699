"""Great Expectations in a process of its own, beside the build.

Importing GX costs seconds of Python, and validating costs tens of milliseconds per
expectation, however small the table: in the build's own process all of it took turns
with reading workbooks and driving DuckDB, which need Python's lock too. In a second
process it runs on the other core: GX imports while the workbooks are read, and each
table's suites are validated while DuckDB builds the next table.

Nothing about blocking changes: the build collects every table's results, in build
order, before it publishes, and the first failed expectation fails the build with the
same message as before (`pipeline.build`). The frame a suite validates is read from the
staging database by the build's process (DuckDB lets one process write a file) and handed
over as an Arrow IPC file.

One worker serves every build of a process (its GX context is made once); it is started
when a build first needs it, and restarted if it has died. `SPENDTRACK_GX_PROCESS=0` keeps
validation in the build's process.

It fails closed. A worker that dies, or that gives no answer for `SPENDTRACK_GX_DEADLINE_S`
seconds (default 120) while the build waits on it, is killed and reaped, and the build fails
with one line (exit code 8, not a failed expectation's 5). A job whose frame file is missing
is an error unless its build was abandoned (then its answer is dropped unread).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from pipeline.errors import ValidatorProcessError
from pipeline.model import CheckResult

ENV_SWITCH = "SPENDTRACK_GX_PROCESS"
DEADLINE_ENV = "SPENDTRACK_GX_DEADLINE_S"
DEADLINE_S = 120.0  # the slowest suite (the raw cells) takes a few seconds
POLL_S = 0.5


def deadline_s() -> float:
    """Seconds the build waits for an answer from the worker before it gives up on it."""
    raw = os.environ.get(DEADLINE_ENV, "")
    try:
        value = float(raw) if raw else DEADLINE_S
    except ValueError:
        raise ValidatorProcessError(f"{DEADLINE_ENV}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ValidatorProcessError(f"{DEADLINE_ENV}={raw!r} must be more than 0 seconds")
    return value


def wanted() -> bool:
    return os.environ.get(ENV_SWITCH, "1") not in ("0", "false", "no")


class WorkerError(ValidatorProcessError):
    """The validation process failed (not a failed expectation): the build cannot be checked."""


class ValidationWorker:
    """The client end: submit a suite on a frame, collect its results by ticket."""

    def __init__(self) -> None:
        # A fresh interpreter (`python -m pipeline.checks.gx_worker`), not multiprocessing: its
        # spawn re-runs the caller's main script, and a fork would copy DuckDB's threads.
        to_worker, from_main = os.pipe()
        to_main, from_worker = os.pipe()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.checks.gx_worker", str(to_worker), str(from_worker)],
            pass_fds=(to_worker, from_worker),
            stdin=subprocess.DEVNULL,
        )
        os.close(to_worker)
        os.close(from_worker)
        self._send_end = Connection(from_main, readable=False)
        self._recv_end = Connection(to_main, writable=False)
        self._frames = Path(tempfile.mkdtemp(prefix="spendtrack-gx-"))
        self._next = 0
        self._abandoned_upto = 0  # results for tickets up to this one are dropped
        self._done: dict[int, tuple[bool, object]] = {}
        self._docs_pending: list[int] = []
        self._lock = threading.Lock()

    def alive(self) -> bool:
        return self._proc.poll() is None

    def frame_path(self, ticket: int) -> Path:
        return self._frames / f"{ticket}.arrow"

    def new_ticket(self) -> int:
        with self._lock:
            self._next += 1
            return self._next

    def submit_validation(
        self, ticket: int, suite_path: Path, params: dict, docs_dir: Path, defer_docs: bool
    ) -> None:
        """Queue `suite_path` on the frame written to `frame_path(ticket)`."""
        job = (str(suite_path), str(self.frame_path(ticket)), params, str(docs_dir), defer_docs)
        self._send(("validate", ticket, job))

    def build_docs(self, docs_dir: Path, *, wait: bool = True) -> None:
        """Render the data docs deferred for `docs_dir`; without `wait`, see wait_docs."""
        ticket = self.new_ticket()
        self._send(("docs", ticket, (str(docs_dir),)))
        if wait:
            self.result(ticket)
        else:
            self._docs_pending.append(ticket)

    def wait_docs(self) -> None:
        """Wait for the data docs asked for without waiting."""
        while self._docs_pending:
            self.result(self._docs_pending.pop(0))

    def abandon(self) -> None:
        """Skip the jobs still queued (a build failed): their frames go, and with no frame the
        worker skips a job; any results still to come are dropped."""
        self._abandoned_upto = self._next
        self._done.clear()
        self._docs_pending.clear()
        for frame in self._frames.glob("*.arrow"):
            frame.unlink(missing_ok=True)

    def ready(self, ticket: int) -> bool:
        self._drain(block=False)
        return ticket in self._done

    def result(self, ticket: int) -> list[CheckResult]:
        while ticket not in self._done:
            self._drain(block=True)
        ok, payload = self._done.pop(ticket)
        if not ok:  # the worker's state is unknown after an error: a fresh one for the next
            self.fail(f"validation could not run: {payload}")
        return payload  # type: ignore[return-value]

    def _send(self, message: tuple) -> None:
        try:
            self._send_end.send(message)
        except OSError as exc:
            self.fail(f"the validation process has stopped ({self._exit_status()}): {exc}")

    def _drain(self, block: bool) -> None:
        """Take in the answers that have come; with `block`, wait for one, but never longer
        than the deadline without an answer, and never on a process that has died."""
        limit = deadline_s() if block else 0.0
        waited_from = time.monotonic()
        while True:
            try:
                has = self._recv_end.poll(POLL_S if block else 0)
            except OSError as exc:
                self.fail(f"the validation process's pipe broke ({self._exit_status()}): {exc}")
            if not has:
                if not block:
                    return
                if not self.alive():
                    self.fail(f"the validation process stopped ({self._exit_status()})")
                if time.monotonic() - waited_from > limit:
                    self.fail(
                        f"validation did not finish: the validation process gave no answer for "
                        f"{limit:g} s ({DEADLINE_ENV}); it was stopped"
                    )
                continue
            try:
                ticket, ok, payload = self._recv_end.recv()
            except (EOFError, OSError) as exc:
                self.fail(f"the validation process stopped ({self._exit_status()}): {exc!r}")
            if ticket > self._abandoned_upto:
                self._done[ticket] = (ok, payload)
            block = False

    def _exit_status(self) -> str:
        code = self._proc.poll()
        if code is None:
            return "still running"
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"

    def fail(self, message: str):
        """Stop the process (killed and reaped, its pipes and frames gone), then raise."""
        self.stop()
        raise WorkerError(message)

    def stop(self) -> None:
        """Kill the process now and reap it; nothing of it is left behind."""
        if self._proc.poll() is None:
            self._proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(10)
        self._close_ends()

    def _close_ends(self) -> None:
        for end in (self._send_end, self._recv_end):
            with contextlib.suppress(OSError):
                end.close()
        shutil.rmtree(self._frames, ignore_errors=True)

    def close(self) -> None:
        if self.alive():
            with contextlib.suppress(OSError):
                self._send_end.send(None)
            try:
                self._proc.wait(60)  # data docs still being rendered
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._close_ends()


_worker: list[ValidationWorker] = []


def worker() -> ValidationWorker:
    """The process's validation worker, started (or restarted) when needed."""
    if _worker and not _worker[0].alive():
        _worker.pop().close()
    if not _worker:
        _worker.append(ValidationWorker())
    return _worker[0]


def render_docs_later(docs_dir: Path) -> None:
    """Have a running worker render the data docs deferred for `docs_dir` while the build is
    published (see wait_docs); nothing if there is no worker."""
    if _worker and _worker[0].alive():
        _worker[0].build_docs(docs_dir, wait=False)


def wait_docs() -> None:
    """Wait for data docs the worker is still rendering (none if there is no worker)."""
    if _worker and _worker[0].alive():
        _worker[0].wait_docs()


def _close() -> None:
    if _worker:
        _worker.pop().close()


# At exit, let the worker finish (data docs) and reap it, so that its CPU is counted too.
atexit.register(_close)


FRAME_BATCH_ROWS = 122_880  # DuckDB's row group: the raw cells' frame in twenty batches


def write_frame(con, sql: str, path: Path) -> None:
    """The suite's frame, from the staging database, as an Arrow IPC file for the worker.

    Streamed a batch at a time: the build never holds the whole frame (for the raw cells,
    some 250 MB at the moment the worker is reading its copy to validate it).
    """
    import pyarrow as pa

    # a cursor of its own: a check may have left a half-read result on the build's connection
    with (
        con.cursor() as cursor,
        cursor.sql(sql).to_arrow_reader(batch_size=FRAME_BATCH_ROWS) as reader,
        pa.OSFile(str(path), "wb") as sink,
        pa.ipc.new_file(sink, reader.schema) as out,
    ):
        for batch in reader:
            out.write_batch(batch)


def read_frame(path: Path):
    """The frame written by write_frame, as GX validates it (validation.as_frame).

    Read a batch at a time, each text column dictionary-encoded as it comes (what the
    categoricals are made of anyway) and each other column copied out of the batch's
    buffer: the worker never holds all the frame's plain strings (about 200 MB for the raw
    cells) beside everything else it holds.
    """
    import pyarrow as pa

    from pipeline.checks.expectations import as_frame

    with pa.OSFile(str(path)) as source:
        reader = pa.ipc.open_file(source)
        schema = pa.schema([_encoded(field) for field in reader.schema])
        batches = []
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            batches.append(
                pa.record_batch(
                    [
                        column.dictionary_encode()
                        if pa.types.is_dictionary(f.type)
                        else pa.concat_arrays([column])
                        for column, f in zip(batch.columns, schema, strict=True)
                    ],
                    schema=schema,
                )
            )
            del batch
    return as_frame(pa.Table.from_batches(batches, schema=schema).unify_dictionaries())


def _encoded(field):
    """A text field as the dictionary-encoded field it is read into; any other as it is."""
    import pyarrow as pa

    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        return field.with_type(pa.dictionary(pa.int32(), field.type))
    return field


def _serve(receive: Connection, send: Connection) -> None:
    """The worker's loop: import GX at once, then answer jobs in the order they come."""
    from pipeline.checks import expectations
    from pipeline.memory import give_back

    with contextlib.suppress(Exception):  # retried, and reported, with the first job
        expectations.import_gx()
    while True:
        try:
            message = receive.recv()
        except EOFError:
            return
        if message is None:
            return
        kind, ticket, job = message
        try:
            if kind == "validate":
                suite_path, frame_path, params, docs_dir, defer_docs = job
                if not Path(frame_path).exists():
                    # an abandoned build's frames are deleted, and the build drops this answer
                    # unread; any other build must not take a missing frame for a pass
                    send.send((ticket, False, f"the frame for {suite_path} is missing"))
                    continue
                docs = Path(docs_dir)
                if defer_docs:
                    expectations._deferred_docs.add(docs)
                else:
                    expectations._deferred_docs.discard(docs)
                frame = read_frame(Path(frame_path))
                Path(frame_path).unlink(missing_ok=True)
                suite = expectations.load_suite(Path(suite_path))
                payload = expectations.validator(docs).validate(suite, frame, params)
                del frame
                give_back()  # the frame's memory, before the next (the build's peak is both)
            else:  # "docs": render what was deferred for this directory
                (docs_dir,) = job
                docs = Path(docs_dir)
                expectations._deferred_docs.discard(docs)
                expectations.validator(docs).build_docs()
                payload = []
            send.send((ticket, True, payload))
        except Exception as exc:  # noqa: BLE001 (sent back, raised in the build)
            send.send((ticket, False, f"{type(exc).__name__}: {exc}"))


class Pending:
    """One suite's results, on their way from the worker."""

    def __init__(self, owner: ValidationWorker, ticket: int) -> None:
        self.owner, self.ticket = owner, ticket

    def ready(self) -> bool:
        return self.owner.ready(self.ticket)

    def result(self) -> list[CheckResult]:
        return self.owner.result(self.ticket)


def submit(con, suite, params: dict, docs_dir: Path, defer_docs: bool) -> Pending:
    """Hand `suite` and its frame, read from `con` now, to the worker."""
    owner = worker()
    ticket = owner.new_ticket()
    write_frame(con, suite.frame_sql, owner.frame_path(ticket))
    owner.submit_validation(ticket, suite.path, params, docs_dir, defer_docs)
    return Pending(owner, ticket)


if __name__ == "__main__":
    receive_fd, send_fd = int(sys.argv[1]), int(sys.argv[2])
    _serve(Connection(receive_fd, writable=False), Connection(send_fd, readable=False))
    # Everything is answered and written: skip tearing GX's objects down one by one (the
    # build waits for this process to end).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
