"""One fine-tuning run, simulated: validating_files -> queued -> running (steps with a falling loss,
a checkpoint per epoch) -> succeeded, registering the ``ft:`` model. Progress (the step reached, events,
checkpoints) is stored as it goes: after a restart the run continues from its last stored step.

Durations are simulated seconds (``--fine-tuning-s`` for the training itself, whatever the size), so
``--time-scale`` shortens them and a small job succeeds in seconds at the defaults.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fakeai.api.files.service import Files
from fakeai.api.fine_tuning.training import TrainingFileError, loss_at, read_dataset, resolve, total_steps
from fakeai.state import AppState
from fakeai.store import ProjectStore, new_id
from fakeai.store.base import Json

KIND = "fine_tuning.job"
ACTIVE = ("validating_files", "queued", "running")
#: Simulated seconds spent validating and queued before training starts.
VALIDATE_S = 0.5
QUEUE_S = 0.5
#: Metrics events per run, at most (steps are grouped beyond).
MAX_METRIC_EVENTS = 50
#: Checkpoints kept, as OpenAI keeps the last three epochs.
KEPT_CHECKPOINTS = 3


def events_kind(job_id: str) -> str:
    return f"fine_tuning.event:{job_id}"


def checkpoints_kind(job_id: str) -> str:
    return f"fine_tuning.checkpoint:{job_id}"


class FineTuneRun:
    def __init__(
        self,
        state: AppState,
        store: ProjectStore,
        job_id: str,
        on_model: Any,
        progress: dict[str, tuple[int, int, float]] | None = None,
    ) -> None:
        self.state = state
        #: The app's running jobs: id -> (step, total steps, training loss), for /metrics.
        self.progress = progress if progress is not None else {}
        self.store = store
        self.job_id = job_id
        self.files = Files(state.settings.max_file_bytes)
        self.on_model = on_model  # called with (fine-tuned model id, base model) on success

    async def sleep(self, simulated_s: float) -> None:
        await asyncio.sleep(simulated_s / self.state.settings.time_scale)

    async def event(self, message: str, level: str = "info", data: dict[str, Any] | None = None) -> None:
        event: Json = {
            "id": new_id("ftevent-"),
            "object": "fine_tuning.job.event",
            "created_at": int(time.time()),
            "level": level,
            "message": message,
            "type": "metrics" if data else "message",
        }
        if data:
            event["data"] = data
        await self.store.put(events_kind(self.job_id), event)

    async def current(self) -> Json | None:
        return await self.store.get(KIND, self.job_id)

    async def set(self, **changes: Any) -> Json | None:
        return await self.store.update(KIND, self.job_id, changes)

    async def run(self) -> None:
        job = await self.current()
        if job is None or job["status"] not in ACTIVE:
            return
        if job["status"] == "validating_files":
            if not await self._validate(job):
                return
            await self.sleep(VALIDATE_S)
            if (job := await self.current()) is None or job["status"] != "validating_files":
                return  # cancelled meanwhile
            await self.event("Files validated, moving job to queued state")
            job = await self.set(status="queued")
        if job is not None and job["status"] == "queued":
            await self.sleep(QUEUE_S)
            if (job := await self.current()) is None or job["status"] != "queued":
                return
            await self.event("Fine-tuning job started")
            job = await self.set(status="running", estimated_finish=int(time.time() + self._left(job)))
        if job is not None and job["status"] == "running":
            await self._train(job)

    def _left(self, job: Json) -> float:
        steps = job["_total_steps"]
        return (
            (steps - job["_step"])
            * self.state.settings.fine_tuning_s
            / steps
            / self.state.settings.time_scale
        )

    async def _validate(self, job: Json) -> bool:
        method = job["method"]["type"]
        try:
            data, _ = await self.files.content(self.store, job["training_file"])
            card = self.state.catalog.resolve(job["model"])
            encoding = await self.state.tokenizers.load(card.tokenizer)
            dataset = await asyncio.to_thread(read_dataset, data, method, encoding)
        except (TrainingFileError, Exception) as exc:  # a missing file, too: the job fails, as OpenAI's
            message = (
                str(exc) if isinstance(exc, TrainingFileError) else "The training file could not be read."
            )
            current = await self.current()
            if current is None or current["status"] != "validating_files":
                return False  # cancelled meanwhile
            await self.event(f"Training file validation failed: {message}", "error")
            await self.set(
                status="failed",
                finished_at=int(time.time()),
                error={"code": "invalid_training_file", "message": message, "param": "training_file"},
            )
            return False
        hyper = resolve(job["method"][method].get("hyperparameters") or {}, method, dataset.examples)
        method_obj = {"type": method, method: {"hyperparameters": hyper}}
        steps = total_steps(dataset.examples, hyper)
        changes: dict[str, Any] = {
            "method": method_obj,
            "_total_steps": steps,
            "_step": 0,
            "_examples": dataset.examples,
            "_tokens": dataset.tokens * hyper["n_epochs"],
        }
        if method == "supervised":  # the legacy field mirrors the supervised method's
            changes["hyperparameters"] = {
                k: hyper[k] for k in ("batch_size", "learning_rate_multiplier", "n_epochs")
            }
        await self.set(**changes)
        return True

    async def _train(self, job: Json) -> None:
        steps = job["_total_steps"]
        per_epoch = steps // job["method"][job["method"]["type"]]["hyperparameters"]["n_epochs"]
        every = max(1, steps // MAX_METRIC_EVENTS)
        step_s = self.state.settings.fine_tuning_s / steps
        step = job["_step"]
        while step < steps:
            await self.sleep(step_s)
            job = await self.current()
            if job is None or job["status"] != "running":
                self.progress.pop(self.job_id, None)
                return  # cancelled meanwhile
            if job.get("_paused"):
                continue  # no progress while paused; polled each step time
            step += 1
            loss, accuracy = loss_at(step, steps, job["seed"])
            if step % every == 0 or step == steps:
                data = {
                    "step": step,
                    "train_loss": loss,
                    "train_mean_token_accuracy": accuracy,
                    "total_steps": steps,
                }
                await self.event(f"Step {step}/{steps}: training loss={loss:.4f}", data=data)
            if per_epoch and step % per_epoch == 0:
                await self._checkpoint(job, step, loss, accuracy)
            await self.set(_step=step, _loss=loss)
            self.progress[self.job_id] = (step, steps, loss)
        self.progress.pop(self.job_id, None)
        await self._succeed(job)

    async def _checkpoint(self, job: Json, step: int, loss: float, accuracy: float) -> None:
        checkpoint = {
            "id": new_id("ftckpt_"),
            "object": "fine_tuning.job.checkpoint",
            "created_at": int(time.time()),
            "fine_tuning_job_id": self.job_id,
            "fine_tuned_model_checkpoint": f"{job['_model_name']}:ckpt-step-{step}",
            "step_number": step,
            "metrics": {"step": step, "train_loss": loss, "train_mean_token_accuracy": accuracy,
                        "full_valid_loss": loss * 1.05, "full_valid_mean_token_accuracy": accuracy * 0.98},
        }  # fmt: skip
        kind = checkpoints_kind(self.job_id)
        await self.store.put(kind, checkpoint)
        old = (await self.store.list(kind, limit=None, order="desc")).data[KEPT_CHECKPOINTS:]
        for stale in old:
            await self.store.delete(kind, stale["id"])

    async def _succeed(self, job: Json) -> None:
        steps = job["_total_steps"]
        rows = ["step,train_loss,train_accuracy"]
        rows += [",".join(map(str, (s, *loss_at(s, steps, job["seed"])))) for s in range(1, steps + 1)]
        results = await self.files.create(
            self.store,
            filename="step_metrics.csv",
            data=("\n".join(rows) + "\n").encode(),
            purpose="fine-tune-results",
            mime="text/csv",
            validate=False,
        )
        name = job["_model_name"]
        self.on_model(name, job["model"])
        await self.event(f"New fine-tuned model created: {name}")
        await self.set(
            status="succeeded",
            fine_tuned_model=name,
            finished_at=int(time.time()),
            trained_tokens=job["_tokens"],
            result_files=[results["id"]],
            estimated_finish=None,
        )
        await self.event("The job has successfully completed")
