"""The catalogue's settings cases (cases/settings.yaml), each through the real CLI."""

from __future__ import annotations

import pytest

from .catalogue import Case, load_cases, run_case


@pytest.mark.parametrize("case", [c.param() for c in load_cases("settings")])
def test_settings_case(case: Case, tmp_path):
    run_case(case, tmp_path)
