"""What a transcription says and when: words with timestamps, sentence segments, and the SRT and WebVTT
renderings of them.

Audio that FakeAI spoke carries its text (content/speech.py); other audio gets seeded prose sized to its
duration (about 2.5 words per second, a conversational pace). Word times follow the same layout the speech
synthesizer uses, scaled to the audio's real duration, so timestamps are monotonic and end at the end.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from fakeai.content import speech

WORDS_PER_SECOND = 2.5
#: Whisper cuts segments at sentence ends, and at 30 s windows at the latest.
SEGMENT_MAX_SECONDS = 30.0
_SENTENCE_END = re.compile(r"[.!?]$")
_PUNCTUATION = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True, slots=True)
class Word:
    word: str  # without surrounding punctuation, as OpenAI's word timestamps
    start: float  # seconds
    end: float


@dataclass(frozen=True, slots=True)
class Segment:
    index: int
    start: float
    end: float
    text: str


def seeded_text(seconds: float, sentences: list[str], seed: int) -> str:
    """Prose of about ``WORDS_PER_SECOND`` words per second of audio, whole sentences, drawn with ``seed``."""
    rng = random.Random(seed)
    wanted = max(1, round(seconds * WORDS_PER_SECOND))
    words: list[str] = []
    while len(words) < wanted:
        words.extend(rng.choice(sentences).split())
    text = " ".join(words[:wanted])
    return text if _SENTENCE_END.search(text) else text.rstrip(",;:") + "."


def words(text: str, duration: float) -> list[Word]:
    """Each word's time span: the synthesizer's layout at speed 1, scaled to ``duration`` seconds."""
    layout = speech.timeline(text, 1.0, 0)
    scale = duration / layout.seconds if layout.seconds else 0.0
    out = []
    for raw, start, end in layout.words:
        word = _PUNCTUATION.sub("", raw) or raw
        if word:
            out.append(Word(word, round(start * scale, 3), round(end * scale, 3)))
    return out


def segments(text: str, duration: float) -> list[Segment]:
    """Sentences (at most ``SEGMENT_MAX_SECONDS`` each) with their spans; the text keeps Whisper's leading
    space."""
    layout = speech.timeline(text, 1.0, 0)
    scale = duration / layout.seconds if layout.seconds else 0.0
    found: list[Segment] = []
    current: list[str] = []
    start = 0.0
    for raw, begin, end in layout.words:
        if not current:
            start = begin * scale
        current.append(raw)
        if _SENTENCE_END.search(raw) or end * scale - start >= SEGMENT_MAX_SECONDS:
            found.append(Segment(len(found), round(start, 3), round(end * scale, 3), " " + " ".join(current)))
            current = []
    if current:
        found.append(Segment(len(found), round(start, 3), round(duration, 3), " " + " ".join(current)))
    return found


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(parts: list[Segment]) -> str:
    return "".join(
        f"{s.index + 1}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text.strip()}\n\n" for s in parts
    )


def vtt(parts: list[Segment]) -> str:
    cues = "".join(f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text.strip()}\n\n" for s in parts)
    return "WEBVTT\n\n" + cues
