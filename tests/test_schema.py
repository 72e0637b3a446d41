"""The typed schema loader: conversions, and every problem reported at once with its key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.core import validators
from generator.core.errors import Problem
from generator.core.schema import Invalid, load, spec


@dataclass(frozen=True)
class Inner:
    when: dt.date = spec(doc="A date.")
    size: Literal["A4", "Letter"] = spec("A4")


@dataclass(frozen=True)
class Outer:
    name: str = spec(check=validators.one_line)
    count: int = spec(0)
    ratio: float = spec(1.0)
    on: bool = spec(False)
    tags: tuple[str, ...] = spec(())
    inner: Inner | None = spec(None)
    email: str | None = spec(None, check=validators.email)

    def check(self):
        if self.count > 10 and not self.on:
            yield Problem("count", "more than 10 needs 'on'")


def problems(cls: type, data: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(Invalid) as caught:
        load(cls, data, **kwargs)
    return [str(p) for p in caught.value.problems]


def test_loads_every_supported_type():
    value = load(
        Outer,
        {
            "name": " Ann ",
            "count": 3,
            "ratio": 2,
            "on": True,
            "tags": ["a", "b"],
            "inner": {"when": dt.date(2026, 1, 31), "size": "letter"},
        },
    )
    assert value == Outer("Ann", 3, 2.0, True, ("a", "b"), Inner(dt.date(2026, 1, 31), "Letter"))


def test_reports_every_problem_at_once_with_its_key():
    found = problems(
        Outer,
        {
            "nme": "x",
            "count": "three",
            "on": "maybe",
            "tags": "a",
            "inner": {"when": "2026-13-01", "size": "A5"},
            "email": "not-an-email",
        },
    )
    assert found == [
        "nme: unknown key (did you mean 'name'?)",
        "name: is required but missing",
        "count: must be a whole number, not 'three'",
        "on: must be true or false, not 'maybe'",
        "tags: must be a list, not 'a'",
        "inner.when: must be a date written YYYY-MM-DD, like 2026-01-31 (got '2026-13-01')",
        "inner.size: must be one of: A4, Letter (got 'A5')",
        "email: is not an email address like name@example.org (got 'not-an-email')",
    ]


def test_cross_field_checks_run_after_the_fields_are_valid():
    assert problems(Outer, {"name": "x", "count": 11}) == ["count: more than 10 needs 'on'"]


def test_text_values_are_parsed_when_they_come_from_a_spreadsheet():
    row = {
        "name": "Ann",
        "count": "4",
        "ratio": "0.5",
        "on": "yes",
        "tags": "mon; wed fri",
        "inner": {"when": "2026-02-03", "size": "A4"},
        "email": "",
    }
    value = load(Outer, row, text_values=True)
    assert (value.count, value.ratio, value.on, value.tags, value.email) == (
        4,
        0.5,
        True,
        ("mon", "wed", "fri"),
        None,
    )
    assert value.inner == Inner(dt.date(2026, 2, 3))


def test_numbers_where_text_is_expected_get_a_hint():
    assert problems(Outer, {"name": 5550100}) == [
        "name: must be text, not 5550100 (put it in quotes)"
    ]


def test_required_text_may_not_be_empty_and_line_breaks_are_refused():
    assert problems(Outer, {"name": ""}) == ["name: is required but empty"]
    assert problems(Outer, {"name": "a\nb"}) == [
        "name: must be one line, without line breaks or control characters"
    ]


def test_a_datetime_is_not_a_date():
    found = problems(Inner, {"when": dt.datetime(2026, 1, 1, 10, 0)})
    assert found == [
        "when: must be a date without a time, like 2026-01-31 (got 2026-01-01 10:00:00)"
    ]


def test_not_a_mapping():
    assert problems(Outer, ["a"]) == ["must be a table of keys and values, not ['a']"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.dates(),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["name", "count", "tags", "inner", "when", "x"]), children, max_size=4
        )
    ),
    max_leaves=12,
)


@given(json_values, st.booleans())
def test_any_input_loads_or_raises_invalid(data, text_values):
    try:
        load(Outer, data, text_values=text_values)
    except Invalid as invalid:
        assert invalid.problems and all(isinstance(p, Problem) for p in invalid.problems)
