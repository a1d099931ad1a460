"""The legacy completions' ``logprobs``: four parallel lists, with the prompt first under ``echo``."""

from __future__ import annotations

from fakeai.content.logprobs import LogprobSampler, TokenBytes, TokenLogprob, prompt_pieces


def legacy(entries: list[TokenLogprob], offset: int, first_is_null: bool = False) -> dict[str, object]:
    """OpenAI's legacy ``logprobs`` object for consecutive tokens whose text starts at ``offset``.

    ``text_offset`` counts characters of the choice's ``text`` (which starts with the prompt under
    ``echo``), as vLLM does. ``top_logprobs`` maps each alternative, plus the chosen token if it is not
    among them, to its logprob: up to ``logprobs + 1`` keys, as OpenAI documents. With ``first_is_null`` the
    first token has no logprob and no alternatives (the first prompt token: nothing precedes it), which is
    what OpenAI and vLLM return, although the spec and the SDK's types say numbers.
    """
    tokens: list[str] = []
    token_logprobs: list[float | None] = []
    top_logprobs: list[dict[str, float] | None] = []
    text_offset: list[int] = []
    for entry in entries:
        tokens.append(entry.token)
        token_logprobs.append(entry.logprob)
        top = {alt.token: alt.logprob for alt in entry.top_logprobs}
        top.setdefault(entry.token, entry.logprob)
        top_logprobs.append(top)
        text_offset.append(offset)
        offset += len(entry.token)
    if first_is_null and entries:
        token_logprobs[0] = None
        top_logprobs[0] = None
    return {
        "tokens": tokens,
        "token_logprobs": token_logprobs,
        "top_logprobs": top_logprobs,
        "text_offset": text_offset,
    }


class CompletionLogprobs:
    """Logprobs of every sequence of one request; sequence ``k`` answers prompt ``k // best_of``.

    A prompt's own logprobs (``echo``) are drawn once per prompt, from ``prompt_samplers[p]``, so every
    choice of one prompt reports the same numbers for it, as a real model would.
    """

    def __init__(
        self,
        samplers: list[LogprobSampler],
        prompt_samplers: list[LogprobSampler],
        prompts: list[tuple[str, list[int]]],
        encoding: TokenBytes,
        best_of: int,
    ) -> None:
        self._samplers = samplers
        self._prompt_samplers = prompt_samplers
        self._prompts_text = prompts
        self._encoding = encoding
        self._best_of = best_of
        self._prompts: dict[int, list[TokenLogprob]] = {}

    def _prompt(self, k: int) -> list[TokenLogprob]:
        p = k // self._best_of
        entries = self._prompts.get(p)
        if entries is None:
            sampler = self._prompt_samplers[p]
            text, ids = self._prompts_text[p]
            # A null prompt is the end-of-text token, whose placeholder id no vocabulary decodes.
            pieces = prompt_pieces(self._encoding, ids) if min(ids, default=0) >= 0 else [text]
            entries = self._prompts[p] = [sampler.prompt_token(piece) for piece in pieces]
        return entries

    def choice(self, k: int, pieces: list[str], echo: bool) -> dict[str, object]:
        """The whole ``logprobs`` object of sequence ``k`` (non-streaming)."""
        entries = self._prompt(k) if echo else []
        entries = entries + [self._samplers[k].token(piece) for piece in pieces]
        return legacy(entries, 0, first_is_null=echo)

    def frame(self, k: int, pieces: list[str], with_prompt: bool, offset: int) -> dict[str, object] | None:
        """The ``logprobs`` of one streamed frame of sequence ``k`` whose text starts at ``offset``."""
        entries = self._prompt(k) if with_prompt else []
        entries = entries + [self._samplers[k].token(piece) for piece in pieces]
        if not entries:
            return None
        return legacy(entries, offset, first_is_null=with_prompt)
