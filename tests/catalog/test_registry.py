"""The bundled catalog: every provider, the right vocabulary per family, aliases, unknown ids."""

from __future__ import annotations

import msgspec
import pytest

from fakeai.catalog import Catalog, ModelCard
from fakeai.errors import ModelNotFoundError


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.bundled()


@pytest.mark.parametrize(
    ("model", "tokenizer"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("o3", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-instruct", "cl100k_base"),
        ("openai/gpt-oss-120b", "o200k_harmony"),
        ("meta-llama/Llama-3.1-8B-Instruct", "llama3"),
    ],
)
def test_each_family_counts_with_its_own_vocabulary(catalog: Catalog, model: str, tokenizer: str) -> None:
    assert catalog.get(model).tokenizer == tokenizer


def test_cards_are_sane(catalog: Catalog) -> None:
    cards = catalog.list()
    assert len(cards) >= 50
    for card in cards:
        assert 0 < card.max_output_tokens <= card.context_window, card.id
        assert card.pricing.input >= 0 and card.pricing.output >= 0, card.id
    reasoning = {c.id for c in cards if "reasoning" in c.capabilities}
    assert {"o3", "deepseek-ai/DeepSeek-R1"} <= reasoning
    assert catalog.get("deepseek-ai/DeepSeek-R1").reasoning == "deepseek"


def test_aliases_resolve_to_their_card(catalog: Catalog) -> None:
    card = catalog.get("gpt-4o")
    for alias in card.aliases:
        assert catalog.get(alias) is card
    assert all(alias not in {c.id for c in catalog.list()} for alias in card.aliases)


def test_unknown_ids_are_created_once_with_the_defaults() -> None:
    catalog = Catalog.bundled()
    card = catalog.resolve("acme/new")
    assert catalog.resolve("acme/new") is card
    assert (card.provider, card.kind, card.tokenizer) == ("custom", "chat", "o200k_base")
    assert catalog.list()[-1] is card


def test_strict_and_lookups_never_create() -> None:
    strict = Catalog.bundled(strict=True)
    with pytest.raises(ModelNotFoundError):
        strict.resolve("acme/new")
    lenient = Catalog.bundled()
    with pytest.raises(ModelNotFoundError):
        lenient.get("acme/new")
    with pytest.raises(ModelNotFoundError):
        lenient.resolve("")


def test_bad_cards_are_refused_at_load(catalog: Catalog) -> None:
    card = msgspec.to_builtins(catalog.get("gpt-4o"))
    with pytest.raises(msgspec.ValidationError, match="tokenizer"):
        msgspec.convert({**card, "tokenizer": "p50k_base"}, ModelCard)
    with pytest.raises(msgspec.ValidationError, match="max_output_tokens"):
        msgspec.convert({**card, "max_output_tokens": card["context_window"] + 1}, ModelCard)
    with pytest.raises(ValueError, match="duplicate"):
        Catalog([catalog.get("gpt-4o"), catalog.get("gpt-4o")], catalog._defaults)


def test_hybrid_reasoning_models_are_marked(catalog: Catalog) -> None:
    assert catalog.get("Qwen/Qwen3-8B").hybrid and not catalog.get("o3").hybrid
    assert all(c.reasoning is not None for c in catalog.list() if c.hybrid)
