"""Sessions, durations and red flags in words, in a language (from its interface text).

Used by the templates (as filters), the calendar file and the email, so that a session reads
the same everywhere: "4 × (run 30 sec, walk 4½ min)".
"""

from __future__ import annotations

from generator.content.injury_sites import InjurySite
from generator.content.protocols import Stage
from generator.content.strings import PlanText, ProtocolText

_FRACTIONS = {0.25: "¼", 0.5: "½", 0.75: "¾"}


def minutes_text(minutes: float, words: ProtocolText) -> str:
    """A duration: "30 sec" under a minute, else "4 min", "4½ min"."""
    if minutes < 1:
        return words.seconds.format(n=round(minutes * 60))
    whole, part = divmod(minutes, 1)
    amount = f"{int(whole)}{_FRACTIONS[part]}" if part in _FRACTIONS else f"{minutes:g}"
    return words.minutes.format(n=amount)


def session_text(stage: Stage, words: ProtocolText) -> str:
    """What a session of `stage` consists of, e.g. "4 × (run 1 min, walk 4 min)"."""
    if stage.recovery:
        return words.recovery
    activities = words.activities
    parts = ", ".join(
        f"{activities[s.activity]} {minutes_text(s.minutes, words)}" for s in stage.segments
    )
    if stage.repeats > 1:
        return words.repeat.format(n=stage.repeats, parts=parts)
    return parts[:1].upper() + parts[1:]


def red_flag_signs(site: InjurySite, words: PlanText) -> list[str]:
    """The red flags a plan for `site` lists, in words ("a limp", ...)."""
    return [words.signs[sign] for sign in site.signs]
