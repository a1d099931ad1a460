"""Running one batch: validate its file, run every line on the engine at background priority, write the
output and error files. Every finished line is stored as it finishes, so a restart (sqlite) resumes with
the lines still to do and loses none that were done.

Statuses: validating -> (failed | in_progress) -> finalizing -> completed; ``cancelling`` -> cancelled
and the completion window -> expired keep the lines done so far and list the rest in the error file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from fakeai.api.batches.lines import Line, model_of, output_line, parse
from fakeai.api.batches.targets import LineRunner
from fakeai.api.files.service import Files
from fakeai.errors import FakeAIError, NotFoundError, ServerError
from fakeai.security.identity import Identity
from fakeai.store import ProjectStore
from fakeai.store.base import Json

log = logging.getLogger("fakeai.batches")

KIND = "batch"
ACTIVE = ("validating", "in_progress", "finalizing", "cancelling")
#: Batch objects are rewritten at most this often while lines finish (lines themselves: each at once).
PROGRESS_EVERY_S = 0.25
#: Files larger than this are parsed on a thread.
PARSE_ON_LOOP_BYTES = 256 * 1024


def line_kind(batch_id: str) -> str:
    """The collection of a batch's finished lines: id = the input line number."""
    return f"batch.line:{batch_id}"


def _usage(total: Json, body: dict[str, Any]) -> None:
    usage = body.get("usage") or {}
    prompt = usage.get("prompt_tokens", usage.get("input_tokens", 0)) or 0
    output = usage.get("completion_tokens", usage.get("output_tokens", 0)) or 0
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    reasoning = (usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}).get(
        "reasoning_tokens", 0
    )
    total["input_tokens"] += prompt
    total["output_tokens"] += output
    total["total_tokens"] += prompt + output
    total["input_tokens_details"]["cached_tokens"] += details.get("cached_tokens", 0) or 0
    total["output_tokens_details"]["reasoning_tokens"] += reasoning or 0


def empty_usage() -> Json:
    return {
        "input_tokens": 0,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 0,
    }


class BatchJob:
    """Drives one stored batch to a final status; ``cancel`` asks it to stop (-> cancelled)."""

    def __init__(
        self,
        store: ProjectStore,
        batch_id: str,
        runner: LineRunner,
        files: Files,
        concurrency: int,
        outcomes: dict[str, int] | None = None,
        bill: Callable[[Identity, dict[str, Any]], None] | None = None,
        enqueue: Callable[[Identity, str, list[Line], bool], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> None:
        self.store = store
        self.outcomes = outcomes if outcomes is not None else {}  # the app's lines run, by outcome
        self.bill = bill  # (creator, response body): the line's usage into the app's ledger
        # (creator, model, lines, check): hold the lines' tokens in the creator's batch queue; the
        # BatchError when they do not fit (checked while validating only)
        self.enqueue = enqueue
        self.identity = Identity(project=store.project)  # the batch's creator, as its lines' caller
        self.batch_id = batch_id
        self.runner = runner
        self.files = files
        self.concurrency = concurrency
        self.cancelled = asyncio.Event()
        self.counts = {"total": 0, "completed": 0, "failed": 0}
        self.usage = empty_usage()
        self._saved_at = 0.0

    def cancel(self) -> None:
        self.cancelled.set()

    async def _set(self, **changes: Any) -> Json:
        batch = await self.store.update(KIND, self.batch_id, changes)
        if batch is None:
            raise NotFoundError(f"No such batch: {self.batch_id}")
        return batch

    async def run(self) -> None:
        batch = await self.store.get(KIND, self.batch_id)
        if batch is None or batch["status"] not in ACTIVE:
            return
        self.identity = Identity(project=self.store.project, key_id=batch.get("_api_key_id"))
        lines = await self._lines(batch)
        if lines is None:
            return  # failed validation
        model = model_of(lines)
        if self.enqueue is not None and model is not None:
            refused = await self.enqueue(self.identity, model, lines, batch["status"] == "validating")
            if refused is not None:
                await self._set(
                    status="failed", failed_at=int(time.time()), errors={"object": "list", "data": [refused]}
                )
                return
        batch = await self.store.get(KIND, self.batch_id)  # a cancel may have come while validating
        if batch is None:
            return
        if batch["status"] == "validating":
            named = {"model": model} if model else {}
            batch = await self._set(
                status="in_progress", in_progress_at=int(time.time()), request_counts=self.counts, **named
            )
        done = await self._restore()
        if batch["status"] == "cancelling" or self.cancelled.is_set():
            outcome = "cancelled"
        elif batch["status"] == "in_progress":
            outcome = await self._execute([line for line in lines if str(line.number) not in done], batch)
        else:
            outcome = "completed"  # finalizing when the server stopped: every line is done
        await self._finish(lines, outcome)

    async def _lines(self, batch: Json) -> list[Line] | None:
        try:
            data, _ = await self.files.content(self.store, batch["input_file_id"])
        except NotFoundError:
            data = None
        if data is None:
            errors = [{"code": "file_not_found", "message": "The input file was deleted.", "param": None,
                       "line": None}]  # fmt: skip
            lines: list[Line] = []
        elif len(data) > PARSE_ON_LOOP_BYTES:
            lines, errors = await asyncio.to_thread(parse, data, batch["endpoint"])
        else:
            lines, errors = parse(data, batch["endpoint"])
        if errors:
            if batch["status"] == "validating":
                await self._set(
                    status="failed", failed_at=int(time.time()), errors={"object": "list", "data": errors}
                )
                return None
            lines = []  # the file changed under a running batch: finish with what is done
        self.counts["total"] = len(lines)
        return lines

    async def _restore(self) -> set[str]:
        """The lines finished before a restart: their ids, counts and usage."""
        page = await self.store.list(line_kind(self.batch_id), limit=None, order="asc")
        for record in page.data:
            self.counts["completed" if record["ok"] else "failed"] += 1
            body = (record["line"].get("response") or {}).get("body") or {}
            if record["ok"]:
                _usage(self.usage, body)
        return {record["id"] for record in page.data}

    async def _execute(self, todo: list[Line], batch: Json) -> str:
        """Run the lines with ``concurrency`` in flight; the outcome: completed, cancelled or expired."""
        queue = iter(todo)

        async def worker() -> None:
            for line in queue:
                await self._run_line(line)

        workers = [asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, len(todo)) or 1)]
        stop = asyncio.ensure_future(self.cancelled.wait())
        everything = asyncio.gather(*workers)
        timeout = max(0.0, batch["expires_at"] - time.time())
        try:
            finished, _ = await asyncio.wait(
                [everything, stop], timeout=timeout, return_when="FIRST_COMPLETED"
            )
        finally:
            stop.cancel()
            if not everything.done():
                everything.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await everything
        if everything in finished:
            everything.result()  # a bug in a line's handling surfaces here
            return "completed"
        return "cancelled" if self.cancelled.is_set() else "expired"

    async def _run_line(self, line: Line) -> None:
        request_id = "req_" + secrets.token_hex(16)
        try:
            body = await self.runner(line.body, request_id, self.identity)
            record = output_line(line.custom_id, request_id, 200, body)
            ok = True
        except FakeAIError as exc:
            record = output_line(line.custom_id, request_id, exc.status, exc.body())
            ok = False
        except Exception:  # a defect answering one line must not strand the batch
            log.exception("batch %s line %d failed", self.batch_id, line.number)
            error = ServerError("The server had an error while processing your request.")
            record = output_line(line.custom_id, request_id, error.status, error.body())
            ok = False
        await self.store.put(line_kind(self.batch_id), {"id": str(line.number), "ok": ok, "line": record})
        outcome = "completed" if ok else "failed"
        self.counts[outcome] += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if ok:
            _usage(self.usage, body)
            if self.bill is not None:
                self.bill(self.identity, body)
        now = time.monotonic()
        if now - self._saved_at >= PROGRESS_EVERY_S:
            self._saved_at = now
            await self._set(request_counts=self.counts, usage=self.usage)

    async def _finish(self, lines: list[Line], outcome: str) -> None:
        now = int(time.time())
        batch = await self._set(
            status="cancelling" if outcome == "cancelled" else "finalizing",
            **({"finalizing_at": now} if outcome != "cancelled" else {}),
            request_counts=self.counts,
            usage=self.usage,
        )
        page = await self.store.list(line_kind(self.batch_id), limit=None, order="asc")
        records = sorted(page.data, key=lambda r: int(r["id"]))
        done = {r["id"] for r in records}
        output = [r["line"] for r in records if r["ok"]]
        errors = [r["line"] for r in records if not r["ok"]]
        if outcome != "completed":
            code = "batch_cancelled" if outcome == "cancelled" else "batch_expired"
            message = (
                "This request was not executed because the batch was cancelled."
                if outcome == "cancelled"
                else "This request could not be executed before the completion window expired."
            )
            for line in lines:
                if str(line.number) not in done:
                    errors.append(
                        output_line(line.custom_id, "", 0, None, {"code": code, "message": message})
                    )
        changes: dict[str, Any] = {}
        expires_after = batch.get("_output_expires_after")
        for key, items in (("output_file_id", output), ("error_file_id", errors)):
            if items:
                file = await self.files.create(
                    self.store,
                    filename=f"{self.batch_id}_{'output' if key == 'output_file_id' else 'error'}.jsonl",
                    data=b"".join(msgspec.json.encode(item) + b"\n" for item in items),
                    purpose="batch_output",
                    mime="application/jsonl",
                    expires_after=expires_after,
                    validate=False,
                )
                changes[key] = file["id"]
        final = {"completed": "completed", "cancelled": "cancelled", "expired": "expired"}[outcome]
        await self._set(
            status=final, **{f"{final}_at": int(time.time())}, request_counts=self.counts, **changes
        )
        await self.store.drop(line_kind(self.batch_id))
