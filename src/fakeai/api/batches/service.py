"""What OpenAI means by a batch: create (checking the file and endpoint), retrieve, list, cancel; the
work itself is a ``BatchJob`` in the app's ``Jobs``, resumed from the store after a restart."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

from fakeai.api.batches.job import ACTIVE, KIND, PARSE_ON_LOOP_BYTES, BatchJob
from fakeai.api.batches.lines import Line
from fakeai.api.batches.targets import LEDGER_KINDS, TARGETS, LineRunner
from fakeai.api.files.service import Files, expiry, public
from fakeai.api.metadata import check_metadata
from fakeai.errors import FakeAIError, InvalidRequestError, NotFoundError
from fakeai.metrics.exposition import Family
from fakeai.security.identity import Identity
from fakeai.state import AppState
from fakeai.store import Page, ProjectStore, new_id
from fakeai.store.base import Json

COMPLETION_WINDOWS = ("24h",)


async def enqueued_tokens(state: AppState, model: str, lines: list[Line]) -> int:
    """The batch's input tokens, as the batch queue counts them: each line's request body in tokens of the
    model's tokenizer (its JSON included: a bound on the prompts, without decoding each request); on a
    thread for a large file."""
    try:
        tokenizer = state.catalog.resolve(model).tokenizer
    except FakeAIError:  # an unknown model under --strict-models: its lines fail one by one when run
        return 0
    encode = (await state.tokenizers.load(tokenizer)).encode_ordinary

    def count() -> int:
        return sum(len(encode(line.body.decode())) for line in lines)

    if sum(len(line.body) for line in lines) > PARSE_ON_LOOP_BYTES:
        return await asyncio.to_thread(count)
    return count()


def not_found(batch_id: str) -> NotFoundError:
    return NotFoundError(f"No such batch: {batch_id}", param="batch_id")


class Batches:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.files = Files(state.settings.max_file_bytes)
        self._runners: dict[str, LineRunner] = {}
        self._active: dict[str, BatchJob] = {}
        self.outcomes = {"completed": 0, "failed": 0}
        state.jobs.on_resume(self.resume)
        state.metrics.add_source(self.families)

    def families(self) -> list[Family]:
        """Batch progress for /metrics: lines run by outcome, batches running and their lines to go."""
        lines = Family("fakeai:batch_requests_total", "counter", "Batch lines run, by outcome.", ("outcome",))
        for outcome, count in self.outcomes.items():
            lines.add((outcome,), count)
        jobs = list(self._active.values())
        left = sum(max(0, j.counts["total"] - j.counts["completed"] - j.counts["failed"]) for j in jobs)
        return [
            lines,
            Family("fakeai:batches_running", "gauge", "Batches being validated or run.").add((), len(jobs)),
            Family("fakeai:batch_requests_pending", "gauge", "Lines of running batches not yet run.").add(
                (), left
            ),
        ]

    def _runner(self, endpoint: str) -> LineRunner:
        if endpoint not in self._runners:
            self._runners[endpoint] = TARGETS[endpoint](self.state)
        return self._runners[endpoint]

    async def create(
        self,
        store: ProjectStore,
        *,
        input_file_id: str,
        endpoint: str,
        completion_window: str,
        metadata: dict[str, str] | None,
        output_expires_after: dict[str, Any] | None,
        api_key_id: str | None = None,
    ) -> Json:
        """``api_key_id``: the creator's key, kept (unpublished) so its lines are billed to it."""
        if endpoint not in TARGETS:
            supported = ", ".join(TARGETS)
            raise InvalidRequestError(
                f"Invalid value for 'endpoint': {endpoint!r}. Supported endpoints: {supported}.",
                param="endpoint",
                code="invalid_value",
            )
        if completion_window not in COMPLETION_WINDOWS:
            raise InvalidRequestError(
                f"Invalid value for 'completion_window': {completion_window!r}. Supported: '24h'.",
                param="completion_window",
                code="invalid_value",
            )
        check_metadata(metadata)
        created = int(time.time())
        if output_expires_after is not None:
            expiry(output_expires_after, created, "batch_output")
        try:
            file = await self.files.get(store, input_file_id)
        except NotFoundError:
            raise NotFoundError(f"No such File object: {input_file_id}", param="input_file_id") from None
        if file["purpose"] != "batch":
            raise InvalidRequestError(
                f"The file {input_file_id} has purpose {file['purpose']!r}; a batch's input file needs "
                "purpose 'batch'.",
                param="input_file_id",
                code="invalid_file_purpose",
            )
        settings = self.state.settings
        window = settings.batch_window_s / settings.time_scale  # simulated seconds -> wall seconds
        batch: Json = {
            "id": new_id("batch_"),
            "object": "batch",
            "endpoint": endpoint,
            "input_file_id": input_file_id,
            "completion_window": completion_window,
            "status": "validating",
            "created_at": created,
            "expires_at": created + max(1, round(window)),
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": metadata,
            "_output_expires_after": output_expires_after,
            "_api_key_id": api_key_id,
        }
        await store.put(KIND, batch)
        self._start(store, batch["id"], endpoint)
        return public(batch)

    def _start(self, store: ProjectStore, batch_id: str, endpoint: str) -> None:
        settings = self.state.settings
        job = BatchJob(
            store,
            batch_id,
            self._runner(endpoint),
            self.files,
            settings.batch_concurrency,
            self.outcomes,
            functools.partial(self._bill, endpoint),
            functools.partial(self._enqueue, batch_id),
        )

        async def run() -> None:
            self._active[batch_id] = job
            try:
                await job.run()
            finally:
                self._active.pop(batch_id, None)
                if self.state.limiter is not None:  # ended (or the server is stopping): out of the queue
                    self.state.limiter.dequeue(batch_id)

        self.state.jobs.start(f"batch:{store.project}:{batch_id}", run)

    async def _enqueue(
        self, batch_id: str, identity: Identity, model: str, lines: list[Line], check: bool
    ) -> dict[str, Any] | None:
        """Hold the batch's input tokens in its creator's batch queue for ``model`` (OpenAI's batch queue
        limit); OpenAI's ``token_limit_exceeded`` BatchError when they do not fit."""
        limiter = self.state.limiter
        if limiter is None:
            return None
        limits = limiter.limits_of(identity)
        if limits is None or limits.batch_queue_tokens is None:
            return None  # asked before counting: counting tokenizes every line
        tokens = await enqueued_tokens(self.state, model, lines)
        limit = limiter.enqueue(batch_id, identity, model, tokens, check)
        if limit is None:
            return None
        return {
            "code": "token_limit_exceeded",
            "message": f"Enqueued token limit reached for {model} in organization {identity.project}. Limit: "
            f"{limit:,} enqueued tokens. Please try again once some in_progress batches have been completed.",
            "param": None,
            "line": None,
        }

    def _bill(self, endpoint: str, identity: Identity, body: dict[str, Any]) -> None:
        """A finished line's usage in the ledger, as batch usage (the organization usage and costs API),
        under the batch creator's project and API key; priced at the batch discount (metrics/usage.py)."""
        kind = LEDGER_KINDS.get(endpoint)
        usage = body.get("usage") or {}
        if kind is None or not usage:
            return
        model = body.get("model") or "unknown"
        prompt = usage.get("prompt_tokens", usage.get("input_tokens", 0)) or 0
        if kind == "embeddings":
            self.state.usage.record(
                kind, identity.project, identity.key_id, model, batch=True, input_tokens=prompt
            )
            return
        details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
        self.state.usage.record(
            kind,
            identity.project,
            identity.key_id,
            model,
            batch=True,
            input_tokens=prompt,
            input_cached_tokens=details.get("cached_tokens", 0) or 0,
            output_tokens=usage.get("completion_tokens", usage.get("output_tokens", 0)) or 0,
            input_audio_tokens=details.get("audio_tokens", 0) or 0,
        )

    async def resume(self) -> None:
        """At start-up: every unfinished batch of every project runs again from what was stored."""
        for project, batch in await self.state.store.scan(KIND):
            if batch["status"] in ACTIVE and batch["endpoint"] in TARGETS:
                self._start(self.state.store.project(project), batch["id"], batch["endpoint"])

    async def get(self, store: ProjectStore, batch_id: str) -> Json:
        batch = await store.get(KIND, batch_id)
        if batch is None:
            raise not_found(batch_id)
        return public(batch)

    async def list(self, store: ProjectStore, *, after: str | None, limit: int) -> Page:
        page = await store.list(KIND, after=after, limit=limit, order="desc")
        return Page([public(batch) for batch in page.data], page.has_more)

    async def cancel(self, store: ProjectStore, batch_id: str) -> Json:
        batch = await store.get(KIND, batch_id)
        if batch is None:
            raise not_found(batch_id)
        if batch["status"] not in ("validating", "in_progress", "cancelling"):
            raise InvalidRequestError(
                f"Cannot cancel a batch with status {batch['status']!r}.",
                param="batch_id",
                code="batch_not_cancellable",
            )
        if batch["status"] != "cancelling":
            batch = await store.update(
                KIND, batch_id, {"status": "cancelling", "cancelling_at": int(time.time())}
            )
            assert batch is not None
        job = self._active.get(batch_id)
        if job is not None:
            job.cancel()
        else:
            self._start(store, batch_id, batch["endpoint"])
        return public(batch)
