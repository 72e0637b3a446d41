"""Where a project's inputs live and where its outputs go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SETTINGS_FILE = "site.toml"


@dataclass(frozen=True)
class Project:
    """A return2run project: the folder holding `site.toml`, and the output root."""

    root: Path
    out: Path

    @classmethod
    def at(cls, root: Path | str = ".", out: Path | str | None = None) -> Project:
        """The project in `root`; outputs under `out` (default: `root/output`)."""
        base = Path(root).resolve()
        target = Path(out).resolve() if out is not None else base / "output"
        return cls(root=base, out=target)

    @property
    def settings_file(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def images_dir(self) -> Path:
        """Pictures used by content pages, published under `images/`."""
        return self.content_dir / "images"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def static_dir(self) -> Path:
        """CSS, scripts, pictures and fonts, published under `assets/`."""
        return self.templates_dir / "static"

    @property
    def site_dir(self) -> Path:
        """The public website (and its handouts)."""
        return self.out / "site"

    @property
    def plans_dir(self) -> Path:
        """Private: one folder of plan files per patient."""
        return self.out / "plans"

    @property
    def outbox_dir(self) -> Path:
        """Private: email messages written by a dry run."""
        return self.out / "outbox"

    @property
    def state_dir(self) -> Path:
        """What each output was made from, so unchanged outputs are not remade."""
        return self.out / ".r2r"
