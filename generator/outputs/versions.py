"""Versions of the libraries whose output ends up in ours, found without importing them.

Every output's fingerprint includes the versions of what made it (the Markdown converter,
the sanitiser, WeasyPrint). Importing those libraries, or `importlib.metadata`, only to ask
would cost a no-change rebuild a large part of its time, so the version is read from the
`<name>-<version>.dist-info` folder installed beside the package.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import cache
from pathlib import Path


@cache
def package_version(distribution: str, module: str | None = None) -> str:
    """The installed version of `distribution` (whose import name is `module`)."""
    spec = importlib.util.find_spec(module or distribution)
    if spec is None or not spec.origin:
        return "missing"
    package = spec.submodule_search_locations is not None
    folder = os.path.dirname(os.path.dirname(spec.origin) if package else spec.origin)
    prefix = distribution.lower().replace("-", "_") + "-"
    for entry in os.listdir(folder):
        if entry.lower().startswith(prefix) and entry.endswith(".dist-info"):
            return entry[len(prefix) : -len(".dist-info")]
    from importlib import metadata

    return metadata.version(distribution)


# The libraries whose output ends up in ours, as (distribution, import name).
_RENDERERS = (
    ("Markdown", "markdown"),
    ("nh3", "nh3"),
    ("Jinja2", "jinja2"),
    ("weasyprint", "weasyprint"),
    ("pydyf", "pydyf"),
    ("segno", "segno"),
)


@cache
def tool_digest() -> str:
    """What makes our outputs: this package's own code and the renderers' versions.

    Part of every output's fingerprint, so that changing the tool (even without a new
    version number) remakes what it would make differently.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for source in sorted(package.rglob("*.py")):
        name = source.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    for distribution, module in _RENDERERS:
        digest.update(f"{distribution}={package_version(distribution, module)}\0".encode())
    return digest.hexdigest()
