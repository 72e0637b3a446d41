"""YAML as people write it: yes/no/on/off stay words, duplicate keys and bad dates are reported."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.core.yamlio import YamlProblem, parse_yaml


def test_only_true_and_false_are_booleans():
    data = parse_yaml("clearance: {by: Dr Lee, on: 2026-11-18}\nlanguage: no\nsure: yes\nok: true")
    assert data == {
        "clearance": {"by": "Dr Lee", "on": dt.date(2026, 11, 18)},
        "language": "no",
        "sure": "yes",
        "ok": True,
    }


def test_an_impossible_date_stays_text_for_the_schema_to_report():
    assert parse_yaml("reviewed: 2026-13-01") == {"reviewed": "2026-13-01"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2", "line 3: YAML: the key 'a' is given twice"),
        ("a: [1", "line 3: YAML: did not find expected ',' or ']'"),
        ("? [a]\n: 1", "line 2: YAML: a key must be a plain word or number"),
    ],
)
def test_errors_name_the_line_in_the_file(text, message):
    with pytest.raises(YamlProblem) as caught:
        parse_yaml(text, first_line=2)
    assert str(caught.value) == message


@given(st.text(max_size=80))
def test_any_text_parses_or_raises_our_error(text):
    try:
        parse_yaml(text)
    except YamlProblem as error:
        assert str(error)
