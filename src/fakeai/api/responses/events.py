"""A response's stream, one engine step at a time (``StepFrames``, driven like chat's streams by
``api/generation.step_events`` or ``api/serving.PushedStream``): typed events with ``sequence_number``
from 0, in the spec's order per item (added, content part added, deltas, done events, item done), then
``response.completed`` (or ``response.incomplete``) in ``tail``.

Deltas of text and arguments come from byte templates made once per item; only the rare events go
through a dict and the JSON encoder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from fakeai.api.generation import Run
from fakeai.api.responses.output import Layout, Segment
from fakeai.content.logprobs import LogprobSampler

_encode = msgspec.json.encode

_BUILT_IN = ("web_search_call", "file_search_call")

#: (status, output items) -> the response object at that point.
Snapshot = Callable[[str, list[dict[str, Any]]], dict[str, Any]]


class ResponseFrames:
    def __init__(
        self,
        run: Run,
        layout: Layout,
        snapshot: Snapshot,
        sampler: LogprobSampler | None,
        finished: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.run = run
        self.finished = finished  # called with the final response object
        self.layout = layout
        self.snapshot = snapshot
        self.sampler = sampler
        self.sequence = 0
        self.position = 0  # tokens of the sequence already turned into events
        self.segment = 0  # index of the first segment not yet done
        self.opened = False  # whether ``segments[segment]`` had its opening events
        self.summary_sent = 0
        self.logprobs: list[Any] = []
        self.items: list[dict[str, Any]] = []  # the items done so far, in output order
        self.head_sent = False
        #: A background response announced itself (created, queued) already: the head is in_progress only.
        self.announced = False
        self._delta: tuple[bytes, bytes] | None = None  # what surrounds a delta of the open segment

    # -- framing ---------------------------------------------------------------------------------------
    def event(self, kind: str, **fields: Any) -> bytes:
        number = self.sequence
        self.sequence = number + 1
        payload = _encode({"type": kind, **fields, "sequence_number": number})
        return b"event: " + kind.encode() + b"\ndata: " + payload + b"\n\n"

    def head(self) -> bytes:
        """``response.created`` and ``response.in_progress``: sent before the first token."""
        if self.head_sent:
            return b""
        self.head_sent = True
        created = (
            b""
            if self.announced
            else self.event("response.created", response=self.snapshot("in_progress", []))
        )
        return created + self.event("response.in_progress", response=self.snapshot("in_progress", []))

    def step(self) -> bytes:
        news = self.run.news()
        if not news and self.head_sent:
            return b""
        frames = [self.head()]
        for _, _, stop, finished in news:
            self._advance(stop, finished, frames)
        return b"".join(frames)

    def tail(self) -> bytes:
        status = self.status
        kind = "response.completed" if status == "completed" else "response.incomplete"
        body = self.snapshot(status, self.items)
        if self.finished is not None:
            self.finished(body)
        return self.event(kind, response=body)

    @property
    def status(self) -> str:
        return "incomplete" if self.layout.completion.finish_reason == "length" else "completed"

    # -- items -----------------------------------------------------------------------------------------
    def _advance(self, stop: int, finished: bool, frames: list[bytes]) -> None:
        segments = self.layout.segments
        while self.segment < len(segments):
            segment = segments[self.segment]
            if not finished and (
                stop < segment.start
                or stop == segment.start < segment.end
                or stop == segment.start == segment.end == 0
            ):
                break  # nothing of this item yet
            if not self.opened:
                frames.append(self._open(segment))
                self.opened = True
            self._deltas(segment, max(self.position, segment.start), min(stop, segment.end), frames)
            if stop < segment.end and not finished:
                break
            frames.append(self._close(segment, min(stop, segment.end)))
            self.segment += 1
            self.opened = False
            self._delta = None
        self.position = stop

    def _index(self, segment: Segment) -> int:
        return self.layout.segments.index(segment)

    def _open(self, segment: Segment) -> bytes:
        index = self._index(segment)
        kind, id = segment.kind, segment.id
        item = self.layout.item(segment, "in_progress", segment.start)
        if kind == "message" or kind == "refusal":
            item["content"] = []
        elif kind in _BUILT_IN:
            item["status"] = "in_progress"
        frames = [self.event("response.output_item.added", output_index=index, item=item)]
        where = {"item_id": id, "output_index": index}
        if kind == "reasoning":
            if self.layout.show_reasoning:
                part = {"type": "reasoning_text", "text": ""}
                frames.append(self.event("response.content_part.added", **where, content_index=0, part=part))
            if self.layout.summary:
                part = {"type": "summary_text", "text": ""}
                frames.append(
                    self.event("response.reasoning_summary_part.added", **where, summary_index=0, part=part)
                )
        elif kind in _BUILT_IN:
            frames.append(self.event(f"response.{kind}.in_progress", **where))
            frames.append(self.event(f"response.{kind}.searching", **where))
        elif kind in ("message", "refusal"):
            part = self.layout.part(segment, "")
            part.pop("annotations", None) if kind == "refusal" else part.update(annotations=[])
            frames.append(self.event("response.content_part.added", **where, content_index=0, part=part))
        return b"".join(frames)

    def _template(self, kind: str, segment: Segment, content: bool) -> tuple[bytes, bytes]:
        if self._delta is None:
            head = b"event: " + kind.encode() + b'\ndata: {"type":"' + kind.encode() + b'","item_id":"'
            head += segment.id.encode() + b'","output_index":' + str(self._index(segment)).encode()
            self._delta = (
                head + (b',"content_index":0,"delta":' if content else b',"delta":'),
                b',"sequence_number":',
            )
        return self._delta

    def _deltas(self, segment: Segment, start: int, stop: int, frames: list[bytes]) -> None:
        if stop <= start and segment.kind != "reasoning":
            return
        kind, layout = segment.kind, self.layout
        if kind == "reasoning":
            if layout.show_reasoning:
                prefix, middle = self._template("response.reasoning_text.delta", segment, True)
                for piece in layout.completion.reasoning[start:stop]:
                    frames.append(self._delta_frame(prefix, piece, middle, b""))
            through = layout.summary_through(stop)
            if through > self.summary_sent:
                where = {"item_id": segment.id, "output_index": self._index(segment), "summary_index": 0}
                for piece in layout.summary[self.summary_sent : through]:
                    frames.append(self.event("response.reasoning_summary_text.delta", **where, delta=piece))
                self.summary_sent = through
            return
        reasoned = len(layout.completion.reasoning)
        pieces = layout.completion.pieces
        if kind == "function_call":
            call = layout.completion.calls[segment.call]
            start = max(start, reasoned + call.start + call.name_tokens)  # name tokens send nothing
            prefix, middle = self._template("response.function_call_arguments.delta", segment, False)
            for piece in pieces[start - reasoned : stop - reasoned]:
                frames.append(self._delta_frame(prefix, piece, middle, b""))
            return
        if kind == "refusal":
            prefix, middle = self._template("response.refusal.delta", segment, True)
            for piece in pieces[start - reasoned : stop - reasoned]:
                frames.append(self._delta_frame(prefix, piece, middle, b""))
            return
        prefix, middle = self._template("response.output_text.delta", segment, True)
        sampler = self.sampler
        if sampler is None:  # the hot path: two concatenations and one encode per token
            number = self.sequence
            tail = b',"logprobs":[]' + middle
            for piece in pieces[start - reasoned : stop - reasoned]:
                frames.append(prefix + _encode(piece) + tail + str(number).encode() + b"}\n\n")
                number += 1
            self.sequence = number
            return
        for piece in pieces[start - reasoned : stop - reasoned]:
            entry = sampler.token(piece)
            self.logprobs.append(entry)
            frames.append(self._delta_frame(prefix, piece, middle, b',"logprobs":[' + _encode(entry) + b"]"))

    def _delta_frame(self, prefix: bytes, piece: str, middle: bytes, logprobs: bytes) -> bytes:
        number = self.sequence
        self.sequence = number + 1
        return prefix + _encode(piece) + logprobs + middle + str(number).encode() + b"}\n\n"

    def _close(self, segment: Segment, stop: int) -> bytes:
        index, kind, layout = self._index(segment), segment.kind, self.layout
        cut = stop < segment.end or (self.status == "incomplete" and segment is layout.segments[-1])
        status = "incomplete" if cut else "completed"
        item = layout.item(segment, status, stop, self.logprobs)
        where = {"item_id": segment.id, "output_index": index}
        frames = []
        if kind == "reasoning":
            if layout.summary:
                self._deltas(segment, stop, stop, frames)
                rest = layout.summary[self.summary_sent :]
                for piece in rest:
                    frames.append(
                        self.event(
                            "response.reasoning_summary_text.delta", **where, summary_index=0, delta=piece
                        )
                    )
                text = "".join(layout.summary)
                frames.append(
                    self.event("response.reasoning_summary_text.done", **where, summary_index=0, text=text)
                )
                part = {"type": "summary_text", "text": text}
                frames.append(
                    self.event("response.reasoning_summary_part.done", **where, summary_index=0, part=part)
                )
            if layout.show_reasoning:
                (part,) = item["content"] or [{"type": "reasoning_text", "text": ""}]
                frames.append(
                    self.event("response.reasoning_text.done", **where, content_index=0, text=part["text"])
                )
                frames.append(self.event("response.content_part.done", **where, content_index=0, part=part))
        elif kind in _BUILT_IN:
            frames.append(self.event(f"response.{kind}.completed", **where))
        elif kind == "function_call":
            frames.append(
                self.event(
                    "response.function_call_arguments.done",
                    **where,
                    name=item["name"],
                    arguments=item["arguments"],
                )
            )
        else:
            (part,) = item["content"]
            if kind == "refusal":
                frames.append(
                    self.event("response.refusal.done", **where, content_index=0, refusal=part["refusal"])
                )
            else:
                for number, annotation in enumerate(part["annotations"]):
                    frames.append(
                        self.event(
                            "response.output_text.annotation.added",
                            **where,
                            content_index=0,
                            annotation_index=number,
                            annotation=annotation,
                        )
                    )
                frames.append(
                    self.event(
                        "response.output_text.done",
                        **where,
                        content_index=0,
                        text=part["text"],
                        logprobs=part["logprobs"],
                    )
                )
            frames.append(self.event("response.content_part.done", **where, content_index=0, part=part))
        frames.append(self.event("response.output_item.done", output_index=index, item=item))
        self.items.append(item)
        return b"".join(frames)
