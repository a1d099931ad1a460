"""Fuzz the stored families' operations from OpenAI's spec (files, uploads, batches, vector stores,
fine-tuning): whatever a client sends, never a 5xx, and every error has OpenAI's four-key body."""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings

from fakeai import Settings, create_app
from tests.contract.spec import read_document

STORED = r"^/(files|uploads|batches|vector_stores|fine_tuning/jobs)(/.*)?$"


def test_no_input_makes_the_stored_families_fail() -> None:
    schema = schemathesis.openapi.from_dict(read_document())
    schema.app = create_app(Settings(ttft_ms=0, itl_ms=0))
    schema = schema.include(path_regex=STORED)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    statuses: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            statuses[response.status_code] += 1
            assert response.status_code < 500, (case.method, case.path, case.body, response.text[:500])
            if response.status_code >= 400:
                assert set(response.json()["error"]) == {"message", "type", "param", "code"}

        check()
    assert statuses[200] > 0 and statuses[400] > 0 and statuses[404] > 0, statuses
