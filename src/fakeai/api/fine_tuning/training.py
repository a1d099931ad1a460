"""The training file as OpenAI checks it, and the numbers a run is made of (epochs, batch size, steps,
billable tokens, a falling loss).

Supervised lines are ``{"messages": [...]}`` with system/developer/user/assistant/tool roles and at least
one assistant message; DPO lines are ``{"input": {"messages": [...]}, "preferred_output": [...],
"non_preferred_output": [...]}``. At least ``MIN_EXAMPLES`` lines.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import msgspec

from fakeai.engine.tokenizer import Encoding

MIN_EXAMPLES = 10
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
#: Tokens each message costs beyond its content (the chat format's role and separators).
MESSAGE_OVERHEAD = 4


class TrainingFileError(Exception):
    """The file cannot train: the job fails at ``validating_files`` with this message."""


@dataclass(frozen=True, slots=True)
class Dataset:
    examples: int
    tokens: int  # tokens of one pass over the file (one epoch)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _messages(messages: Any, number: int, where: str, need_assistant: bool) -> list[str]:
    if not isinstance(messages, list) or not messages:
        raise TrainingFileError(f"Line {number}: '{where}' must be a non-empty array of messages.")
    texts = []
    assistant = False
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise TrainingFileError(
                f"Line {number}: {where}[{index}] has role {role!r}; expected one of {', '.join(ROLES)}."
            )
        assistant = assistant or role == "assistant"
        if message.get("content") is None and not message.get("tool_calls") and role != "assistant":
            raise TrainingFileError(f"Line {number}: {where}[{index}] has no content.")
        texts.append(_text(message.get("content")))
    if need_assistant and not assistant:
        raise TrainingFileError(f"Line {number}: the example has no assistant message to learn from.")
    return texts


def read_dataset(data: bytes, method: str, encoding: Encoding) -> Dataset:
    """Validate the file and count its tokens (CPU work: call on a thread)."""
    examples = 0
    tokens = 0
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            raise TrainingFileError(f"Line {number} is not valid JSON.") from None
        if not isinstance(line, dict):
            raise TrainingFileError(f"Line {number} is not a JSON object.")
        if method == "dpo":
            texts = _messages((line.get("input") or {}).get("messages"), number, "input.messages", False)
            for key in ("preferred_output", "non_preferred_output"):
                texts += _messages(line.get(key), number, key, True)
        else:
            texts = _messages(line.get("messages"), number, "messages", True)
        examples += 1
        tokens += sum(len(encoding.encode_ordinary(text)) + MESSAGE_OVERHEAD for text in texts)
    if examples < MIN_EXAMPLES:
        raise TrainingFileError(
            f"Training file has {examples} example(s), but must have at least {MIN_EXAMPLES} examples."
        )
    return Dataset(examples, tokens)


def resolve(hyper: dict[str, Any], method: str, examples: int) -> dict[str, Any]:
    """``auto`` hyperparameters as OpenAI picks them, others as given."""
    resolved = dict(hyper)
    if resolved.get("n_epochs", "auto") == "auto":
        resolved["n_epochs"] = 3 if examples >= 100 else max(3, min(10, math.ceil(300 / examples)))
    if resolved.get("batch_size", "auto") == "auto":
        resolved["batch_size"] = max(1, min(256, round(examples * 0.002)))
    if resolved.get("learning_rate_multiplier", "auto") == "auto":
        resolved["learning_rate_multiplier"] = 1.8 if examples < 1000 else 0.8
    if method == "dpo" and resolved.get("beta", "auto") == "auto":
        resolved["beta"] = 0.1
    return resolved


def total_steps(examples: int, hyper: dict[str, Any]) -> int:
    return math.ceil(examples / hyper["batch_size"]) * hyper["n_epochs"]


def loss_at(step: int, steps: int, seed: int) -> tuple[float, float]:
    """Training loss and mean token accuracy after ``step`` of ``steps``: an exponential fall from ~2.5
    towards ~0.3 with seeded noise, accuracy rising as the loss falls."""
    rng = random.Random(seed * 1_000_003 + step)
    progress = step / max(steps, 1)
    loss = 0.3 + 2.2 * math.exp(-4.0 * progress) + rng.uniform(-0.05, 0.05) * (1 - progress)
    accuracy = min(0.99, max(0.0, 1.0 - loss / 3.0 + rng.uniform(-0.01, 0.01)))
    return round(max(loss, 0.01), 4), round(accuracy, 4)
