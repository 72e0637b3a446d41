"""The injury-site catalogue: `content/injury-sites.yaml`, by key.

Each site has a patient-friendly name, a risk tier (which picks the protocol when a plan says
`protocol: auto`) and, where a source gives one, the typical time to return to sport. A site
that is not in the catalogue is an error, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.content.protocols import Tier
from generator.core import validators
from generator.core.errors import ContentError, Problem
from generator.core.schema import spec
from generator.core.yamlio import load_yaml_file

Region = Literal["foot", "ankle", "lower-leg", "thigh", "hip", "pelvis"]
# The red flags a plan lists, as the signs a runner notices. Deep groin or front-of-hip pain
# belongs on a plan for the hip, thigh or pelvis, never on a foot's.
SIGNS = ("lingering", "walking", "limp", "tenderness", "swelling", "groin")
_GROIN_REGIONS = {"hip", "thigh", "pelvis"}


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
    region: Region | None = spec(
        None,
        doc="foot, ankle, lower-leg, thigh, hip or pelvis: which red flags its plans list "
        "(without it, all of them).",
    )

    @property
    def signs(self) -> tuple[str, ...]:
        """The red-flag signs a plan for this site lists (see `SIGNS`)."""
        groin = self.region is None or self.region in _GROIN_REGIONS
        return tuple(sign for sign in SIGNS if sign != "groin" or groin)


Catalogue = dict[str, InjurySite]  # the file: the sites, by key


def load_injury_sites(
    path: Path, *, name: str = "content/injury-sites.yaml"
) -> dict[str, InjurySite]:
    """The catalogue, by key; raise `ContentError` listing every problem."""
    if not path.exists() and not path.is_symlink():
        raise ContentError([Problem(name, "is missing: the injury sites must be listed")])
    sites = load_yaml_file(Catalogue, path, name=name, folder=path.parent)
    problems = [
        Problem(f"{name}: {key}", message) for key in sites if (message := validators.slug(key))
    ]
    if problems:
        raise ContentError(problems)
    return sites
