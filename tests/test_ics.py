"""The calendar file's text: escaped and folded exactly as the icalendar library writes it."""

from __future__ import annotations

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.outputs.calendar import _folded, _text

_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400
) | st.sampled_from(["a\\b;c,d\ne", "x" * 73 + "\\,", "x" * 72 + "é" * 5, "½×" * 60, "^" * 200])


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_a_text_property_is_written_as_icalendar_writes_it(text):
    event = icalendar.Event()
    event.add("description", text)
    ours = "BEGIN:VEVENT\r\n" + _folded(f"DESCRIPTION:{_text(text)}") + "END:VEVENT\r\n"
    assert ours.encode() == event.to_ical()


@settings(max_examples=100, deadline=None)
@given(_texts)
def test_folded_lines_fit_in_75_octets_and_unfold_to_the_line(text):
    folded = _folded(f"DESCRIPTION:{_text(text)}")
    assert folded.endswith("\r\n")
    assert all(len(line.encode()) <= 75 for line in folded[:-2].split("\r\n"))
    assert folded[:-2].replace("\r\n ", "") == f"DESCRIPTION:{_text(text)}"
