"""The injury-site catalogue: `content/injury-sites.yaml`, by key.

Each site has a patient-friendly name, a risk tier (which picks the protocol when a plan says
`protocol: auto`) and, where a source gives one, the typical time to return to sport. A site
that is not in the catalogue is an error, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.content.protocols import Tier
from generator.core import validators
from generator.core.errors import ContentError, Problem
from generator.core.schema import Invalid, load, spec
from generator.core.yamlio import YamlProblem, parse_yaml


def _days(value: int) -> str | None:
    return None if 1 <= value <= 730 else "must be between 1 and 730 days"


@dataclass(frozen=True)
class InjurySite:
    """One site where runners get bone stress injuries."""

    name: str = spec(
        doc="What patients call it, e.g. 'the inner edge of the shin bone'.",
        check=validators.one_line,
    )
    medical_name: str = spec(
        doc="The clinical name, e.g. 'posteromedial tibia'.", check=validators.one_line
    )
    tier: Tier = spec(doc="low or high risk of complications.")
    return_days: int | None = spec(
        None, doc="Typical days to return to sport, if published.", check=_days
    )
    source: str = spec("", doc="Where the tier and the return time come from.")


@dataclass(frozen=True)
class _Catalogue:
    sites: dict[str, InjurySite] = spec(doc="The sites, by key.")


def load_injury_sites(
    path: Path, *, name: str = "content/injury-sites.yaml"
) -> dict[str, InjurySite]:
    """The catalogue, by key; raise `ContentError` listing every problem."""
    try:
        data = parse_yaml(path.read_text(encoding="utf-8-sig"))
        catalogue = load(_Catalogue, {"sites": data})
    except FileNotFoundError:
        raise ContentError([Problem(name, "is missing: the injury sites must be listed")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError([Problem(name, f"cannot be read: {error}")]) from None
    except YamlProblem as error:
        raise ContentError([error.problem.within(name)]) from None
    except Invalid as invalid:  # keys are reported as in the file, without our wrapper
        raise ContentError(_unwrapped(p).within(name) for p in invalid.problems) from None
    problems = [
        Problem(f"{name}: {key}", message)
        for key in catalogue.sites
        if (message := validators.slug(key))
    ]
    if problems:
        raise ContentError(problems)
    return catalogue.sites


def _unwrapped(problem: Problem) -> Problem:
    """A problem of the `sites` wrapper, located as the file has it (`foot.tier`, or the file)."""
    return Problem(problem.where.removeprefix("sites").removeprefix("."), problem.message)
