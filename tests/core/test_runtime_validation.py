"""Direct-mode flows validate their parameters with a validator built once per flow (flows/runtime.py),
giving what Prefect's own `validate_parameters` gives: coercion, errors, and its own path for
parameters it treats specially."""

from __future__ import annotations

from datetime import datetime

import pytest
from prefect.exceptions import ParameterTypeError
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows import runtime


@runtime.flow(name="validation-probe")
def probe(limit: int, at: datetime | None = None, options: dict | None = None,
          delays: list[float] | None = None) -> tuple:
    return limit, at, options, delays


@pytest.fixture(autouse=True)
def direct(monkeypatch):
    """No Prefect API, even when an earlier test of the session configured one (a test harness)."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert not runtime.orchestrated()
        yield


def test_parameters_are_coerced_as_prefect_does_on_every_call():
    assert probe(limit="2") == (2, None, None, None)
    assert probe(limit="3", at="2026-10-01T07:00:00", delays=["1.5", 2]) == (
        3, datetime(2026, 10, 1, 7), None, [1.5, 2.0])
    for limit, at in ((4, None), ("5", "2026-10-02T07:00:00")):
        params = {"limit": limit, "at": at}
        assert probe._validated(params) == probe.validate_parameters(params)
    assert "_konbini_validator" in probe.__dict__  # built once, kept on the flow


def test_a_bad_parameter_fails_as_prefect_fails():
    with pytest.raises(ParameterTypeError):
        probe(limit="many")


def test_a_dict_parameter_takes_prefects_own_path(monkeypatch):
    calls = []
    original = runtime.Flow.validate_parameters

    def spy(self, parameters):
        calls.append(parameters)
        return original(self, parameters)

    monkeypatch.setattr(runtime.Flow, "validate_parameters", spy)
    assert probe(limit=1, options={"a": 1}) == (1, None, {"a": 1}, None)
    assert len(calls) == 1
    assert probe(limit=1) == (1, None, None, None)
    assert len(calls) == 1  # plain parameters: the cached validator
