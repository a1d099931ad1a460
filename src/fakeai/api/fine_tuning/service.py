"""What OpenAI means by a fine-tuning job: create (checking model, files, method and hyperparameters),
list, retrieve, cancel, pause, resume, events and checkpoints. The run is a ``FineTuneRun`` job."""

from __future__ import annotations

import secrets
import time
from typing import Any

from fakeai.api.files.service import Files, public
from fakeai.api.fine_tuning.job import ACTIVE, KIND, FineTuneRun, checkpoints_kind, events_kind
from fakeai.api.metadata import check_metadata
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.metrics.exposition import Family
from fakeai.state import AppState
from fakeai.store import Page, ProjectStore, new_id
from fakeai.store.base import Json

ORGANIZATION = "org-fakeai"
METHODS = ("supervised", "dpo")
#: Each hyperparameter's type and bounds (a float's lower bound is exclusive, as the spec's).
_RANGES = {
    "n_epochs": (int, 1, 50),
    "batch_size": (int, 1, 256),
    "learning_rate_multiplier": (float, 0, None),
    "beta": (float, 0, 2),
}
LEGACY = ("batch_size", "learning_rate_multiplier", "n_epochs")


def not_found(job_id: str) -> NotFoundError:
    return NotFoundError(f"Could not find fine-tune: {job_id}", param="fine_tuning_job_id")


def check_hyperparameters(hyper: Any, method: str, param: str) -> dict[str, Any]:
    if hyper is None:
        return {}
    if not isinstance(hyper, dict):
        raise InvalidRequestError(f"Invalid '{param}': expected an object.", param=param)
    allowed = ("n_epochs", "batch_size", "learning_rate_multiplier") + (("beta",) if method == "dpo" else ())
    for key, value in hyper.items():
        if key not in allowed:
            raise InvalidRequestError(f"Unknown parameter: '{param}.{key}'.", param=f"{param}.{key}")
        kind, low, high = _RANGES[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        ok = value == "auto" or (
            number
            and (kind is float or isinstance(value, int))
            and (value > low if kind is float else value >= low)
            and (high is None or value <= high)
        )
        if not ok:
            bound = f"from {low} to {high}" if high is not None else f"above {low}"
            raise InvalidRequestError(
                f"Invalid '{param}.{key}': {value!r}; 'auto' or a number {bound}.",
                param=f"{param}.{key}",
                code="invalid_value",
            )
    return dict(hyper)


class FineTuning:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.files = Files(state.settings.max_file_bytes)
        self.progress: dict[str, tuple[int, int, float]] = {}
        state.jobs.on_resume(self.resume)
        state.metrics.add_source(self.families)

    def families(self) -> list[Family]:
        """Training progress of the running jobs for /metrics."""
        step = Family(
            "fakeai:fine_tuning_step", "gauge", "Training step reached, per running job.", ("job_id",)
        )
        steps = Family("fakeai:fine_tuning_total_steps", "gauge", "Steps of each running job.", ("job_id",))
        loss = Family(
            "fakeai:fine_tuning_train_loss", "gauge", "Latest training loss, per running job.", ("job_id",)
        )
        for job_id, (at, total, value) in sorted(self.progress.items()):
            step.add((job_id,), at)
            steps.add((job_id,), total)
            loss.add((job_id,), value)
        return [step, steps, loss]

    def _register(self, name: str, base: str) -> None:
        self.state.catalog.derive(name, base, ORGANIZATION)

    def _start(self, store: ProjectStore, job_id: str) -> None:
        run = FineTuneRun(self.state, store, job_id, self._register, self.progress)
        self.state.jobs.start(f"ft:{store.project}:{job_id}", run.run)

    async def resume(self) -> None:
        """At start-up: fine-tuned models serve again, unfinished runs continue."""
        for project, job in await self.state.store.scan(KIND):
            if job["status"] == "succeeded" and job.get("fine_tuned_model"):
                self._register(job["fine_tuned_model"], job["model"])
            elif job["status"] in ACTIVE:
                self._start(self.state.store.project(project), job["id"])

    async def _file(self, store: ProjectStore, file_id: Any, param: str) -> None:
        if not isinstance(file_id, str) or not file_id:
            raise InvalidRequestError(f"Missing required parameter: '{param}'.", param=param)
        try:
            file = await self.files.get(store, file_id)
        except NotFoundError:
            raise InvalidRequestError(
                f"Invalid file ID: {file_id}", param=param, code="invalid_file_id"
            ) from None
        if file["purpose"] != "fine-tune":
            raise InvalidRequestError(
                f"File {file_id} has purpose {file['purpose']!r}; training and validation files need purpose "
                "'fine-tune'.",
                param=param,
                code="invalid_file_purpose",
            )

    def _method(self, body: dict[str, Any]) -> dict[str, Any]:
        method = body.get("method")
        legacy = body.get("hyperparameters")
        if method is None:
            return {"type": "supervised", "supervised": {"hyperparameters":
                    check_hyperparameters(legacy, "supervised", "hyperparameters")}}  # fmt: skip
        kind = method.get("type") if isinstance(method, dict) else None
        if kind not in METHODS:
            raise InvalidRequestError(
                f"Invalid 'method.type': {kind!r}; supported here: {', '.join(METHODS)}.",
                param="method.type",
                code="invalid_value",
            )
        if legacy is not None:
            raise InvalidRequestError(
                "Pass hyperparameters in 'method', not also at the top level.", param="hyperparameters"
            )
        inner = method.get(kind) or {}
        hyper = check_hyperparameters(inner.get("hyperparameters"), kind, f"method.{kind}.hyperparameters")
        return {"type": kind, kind: {"hyperparameters": hyper}}

    async def create(self, store: ProjectStore, body: dict[str, Any]) -> Json:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise InvalidRequestError("Missing required parameter: 'model'.", param="model")
        card = self.state.catalog.resolve(model)
        if card.kind != "chat":
            raise InvalidRequestError(
                f"Model {model} is not available for fine-tuning.", param="model", code="model_not_available"
            )
        await self._file(store, body.get("training_file"), "training_file")
        if body.get("validation_file") is not None:
            await self._file(store, body["validation_file"], "validation_file")
        suffix = body.get("suffix")
        if suffix is not None and (not isinstance(suffix, str) or not 1 <= len(suffix) <= 64):
            raise InvalidRequestError(
                "Invalid 'suffix': 1 to 64 characters.", param="suffix", code="invalid_value"
            )
        seed = body.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise InvalidRequestError("Invalid type for 'seed': expected an integer.", param="seed")
        method = self._method(body)
        hyper = method[method["type"]]["hyperparameters"]
        job_id = new_id("ftjob-")
        job: Json = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": int(time.time()),
            "error": None,
            "fine_tuned_model": None,
            "finished_at": None,
            "hyperparameters": {key: hyper.get(key, "auto") for key in LEGACY},
            "model": card.id,
            "organization_id": ORGANIZATION,
            "result_files": [],
            "status": "validating_files",
            "trained_tokens": None,
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "integrations": None,
            "seed": seed if seed is not None else secrets.randbelow(2**31),
            "estimated_finish": None,
            "method": method,
            "metadata": check_metadata(body.get("metadata")),
            "user_provided_suffix": suffix,
            "_model_name": f"ft:{card.id}:{ORGANIZATION.removeprefix('org-')}:{suffix or ''}:{job_id[-8:]}",
        }  # fmt: skip
        await store.put(KIND, job)
        await FineTuneRun(self.state, store, job_id, self._register).event(
            f"Created fine-tuning job: {job_id}"
        )
        self._start(store, job_id)
        return view(job)

    async def _job(self, store: ProjectStore, job_id: str) -> Json:
        job = await store.get(KIND, job_id)
        if job is None:
            raise not_found(job_id)
        return job

    async def get(self, store: ProjectStore, job_id: str) -> Json:
        return view(await self._job(store, job_id))

    async def list(
        self, store: ProjectStore, *, after: str | None, limit: int, metadata: dict[str, str]
    ) -> Page:
        page = await store.list(KIND, after=after, limit=None if metadata else limit)
        jobs = [
            j for j in page.data if all((j.get("metadata") or {}).get(k) == v for k, v in metadata.items())
        ]
        if metadata:
            return Page([view(j) for j in jobs[:limit]], len(jobs) > limit)
        return Page([view(j) for j in jobs], page.has_more)

    async def cancel(self, store: ProjectStore, job_id: str) -> Json:
        job = await self._job(store, job_id)
        if job["status"] not in ACTIVE:
            raise InvalidRequestError(
                f"Job {job_id} is {job['status']} and cannot be cancelled.", param="fine_tuning_job_id"
            )
        done = await store.update(KIND, job_id, {"status": "cancelled", "finished_at": int(time.time()),
                                                 "estimated_finish": None})  # fmt: skip
        await FineTuneRun(self.state, store, job_id, self._register).event("Fine-tuning job cancelled")
        return view(done or job)

    async def pause(self, store: ProjectStore, job_id: str, paused: bool) -> Json:
        job = await self._job(store, job_id)
        if job["status"] != "running" or bool(job.get("_paused")) == paused:
            state = "paused" if job.get("_paused") else job["status"]
            raise InvalidRequestError(
                f"Job {job_id} is {state}: only a {'running' if paused else 'paused'} job can be "
                f"{'paused' if paused else 'resumed'}.",
                param="fine_tuning_job_id",
            )
        done = await store.update(KIND, job_id, {"_paused": paused})
        message = "Fine-tuning job paused" if paused else "Fine-tuning job resumed"
        await FineTuneRun(self.state, store, job_id, self._register).event(message)
        return view(done or job)

    async def events(self, store: ProjectStore, job_id: str, *, after: str | None, limit: int) -> Page:
        await self._job(store, job_id)
        return await store.list(events_kind(job_id), after=after, limit=limit, order="desc")

    async def checkpoints(self, store: ProjectStore, job_id: str, *, after: str | None, limit: int) -> Page:
        await self._job(store, job_id)
        return await store.list(checkpoints_kind(job_id), after=after, limit=limit, order="desc")


def view(job: Json) -> Json:
    """The public job (a paused job still reads ``running``: the spec has no ``paused`` status)."""
    return public(job)
