"""The injury-site catalogue: `content/injury-sites.yaml`, by key.

Each site has a patient-friendly name, a risk tier (which picks the protocol when a plan says
`protocol: auto`) and, where a source gives one, the typical time to return to sport. A site
that is not in the catalogue is an error, never a guess. The names a patient reads are given
per language in the one file, `name: {en: ..., es: ...}` (a plain string is the default
language's), and every language of the site must be given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generator.content.protocols import Tier
from generator.core import validators
from generator.core.errors import ContentError, Problem
from generator.core.schema import Text, spec, untranslated
from generator.core.yamlio import load_yaml_file

Region = Literal["foot", "ankle", "lower-leg", "thigh", "hip", "pelvis"]
# The red flags a plan lists, as the signs a runner notices. Deep groin or front-of-hip pain
# belongs on a plan for the hip, thigh or pelvis, never on a foot's.
SIGNS = ("lingering", "walking", "limp", "tenderness", "swelling", "groin")
_GROIN_REGIONS = {"hip", "thigh", "pelvis"}


def _days(value: int) -> str | None:
    return None if 1 <= value <= 730 else "must be between 1 and 730 days"


def _one_line(value: Text) -> str | None:
    return next(filter(None, map(validators.one_line, value.by_language.values())), None)


@dataclass(frozen=True)
class SiteSpec:
    """One site as the catalogue file gives it."""

    name: Text = spec(
        doc="What patients call it, e.g. 'the inner edge of the shin bone'.", check=_one_line
    )
    medical_name: Text = spec(doc="The clinical name, e.g. 'posteromedial tibia'.", check=_one_line)
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


@dataclass(frozen=True)
class InjurySite:
    """One site where runners get bone stress injuries, its names in one language."""

    name: str
    medical_name: str
    tier: Tier
    return_days: int | None = None
    source: str = ""
    region: Region | None = None
    language: str = ""
    # The same site in each language of the site, by language (this one included).
    translations: Mapping[str, InjurySite] = field(default_factory=dict, compare=False, repr=False)

    @property
    def signs(self) -> tuple[str, ...]:
        """The red-flag signs a plan for this site lists (see `SIGNS`)."""
        groin = self.region is None or self.region in _GROIN_REGIONS
        return tuple(sign for sign in SIGNS if sign != "groin" or groin)

    def in_language(self, language: str) -> InjurySite:
        """The site with its names in `language`, one of the site's languages."""
        return self if language == self.language else self.translations[language]


Catalogue = dict[str, SiteSpec]  # the file: the sites, by key


def load_injury_sites(
    path: Path, *, languages: Sequence[str], name: str = "content/injury-sites.yaml"
) -> dict[str, InjurySite]:
    """The catalogue, by key, in the first of `languages` (the site's, each reachable with
    `in_language`); raise `ContentError` listing every problem."""
    if not path.exists() and not path.is_symlink():
        raise ContentError([Problem(name, "is missing: the injury sites must be listed")])
    specs = load_yaml_file(Catalogue, path, name=name, folder=path.parent)
    problems = [
        Problem(f"{name}: {key}", message) for key in specs if (message := validators.slug(key))
    ]
    problems += [problem.within(name) for problem in untranslated(specs, languages)]
    if problems:
        raise ContentError(problems)
    return {key: _site(spec_, languages) for key, spec_ in specs.items()}


def _site(spec_: SiteSpec, languages: Sequence[str]) -> InjurySite:
    translations: dict[str, InjurySite] = {}  # shared by the site in every language
    for language in languages:
        translations[language] = InjurySite(
            spec_.name.get(language, languages[0]) or "",
            spec_.medical_name.get(language, languages[0]) or "",
            spec_.tier,
            spec_.return_days,
            spec_.source,
            spec_.region,
            language,
            translations,
        )
    return translations[languages[0]]
