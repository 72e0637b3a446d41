"""`r2r build`: the website and the handouts, gathered first and written second."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from generator.content.library import Library, broken_links, load_library
from generator.core.batch import BatchReport, Reporter
from generator.core.project import Project
from generator.outputs.documents import pdf_config, render_documents, stale_documents
from generator.outputs.fingerprints import Digests
from generator.outputs.handouts import handout_documents
from generator.outputs.pagecache import PageCache
from generator.outputs.site import SiteReport, render_site, write_site
from generator.outputs.state import OutputTree
from generator.outputs.versions import tool_digest

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build did; `exit_code` is 1 when any handout failed."""

    site: SiteReport | None = None
    handouts: BatchReport | None = None
    handouts_current: int = 0
    where: Path | None = None  # the folder of the outputs

    @property
    def exit_code(self) -> int:
        return self.handouts.exit_code if self.handouts else 0

    def summary(self) -> list[str]:
        """What `r2r build`, `r2r site` or `r2r handouts` did."""
        lines = []
        if self.site is not None:
            site = self.site
            lines.append(
                f"site: {site.files} files, {len(site.written)} written, "
                f"{len(site.removed)} removed"
            )
        if self.handouts is not None:
            lines += self.handouts.summary("handouts")
            lines[-1] += f", {self.handouts_current} up to date"
        elif self.handouts_current:
            lines.append(f"handouts: 0 made, 0 failed, {self.handouts_current} up to date")
        if self.where is not None:
            lines.append(f"outputs are in {self.where}")
        return lines


def page_cache(project: Project, *, read_only: bool = False) -> PageCache:
    """The project's cache of converted pages."""
    return PageCache(project.state_dir / "pages.json", tool_digest(), read_only=read_only)


def build(
    project: Project,
    *,
    site: bool = True,
    handouts: bool = True,
    jobs: int | None = None,
    reporter: Reporter | None = None,
) -> BuildReport:
    """Build the website and/or the handouts of `project` into its output folder.

    Only outputs whose inputs changed are made (see `generator.fingerprints`), and the result
    is always the same as a clean build's. Every input is validated and every stale page and
    handout rendered to HTML before the first file is written, so a settings, content or
    template error (`SettingsError`, `ContentError`) leaves the output folder as it was.
    """
    cache = page_cache(project)
    library = load_library(project, store=cache, jobs=jobs)
    for edition in library.editions:
        for problem in broken_links(edition.pages):
            log.warning("%s", problem)
    digests = Digests.of(library)
    environment = environment_of(library)
    site_tree, handout_tree = _tree(project, "site"), _tree(project, "handouts")

    generated = render_site(library, digests, site_tree, environment) if site else {}
    documents = handout_documents(library, digests, environment) if handouts else []
    stale = [doc.prepared() for doc in stale_documents(documents, handout_tree)]
    config = pdf_config(library, environment()) if stale else None

    report = BuildReport(handouts_current=len(documents) - len(stale), where=project.site_dir)
    if site:
        report.site = write_site(library, generated, site_tree)
    if handouts:
        if config is not None:
            report.handouts = render_documents(
                stale,
                handout_tree,
                config,
                base_url=library.settings.site.base_url,
                label="handouts",
                jobs=jobs,
                reporter=reporter,
            )
        handout_tree.finish()
    cache.save()
    return report


def environment_of(
    library: Library, *, keep_compiled: bool = True
) -> Callable[[], jinja2.Environment]:
    """A maker of the one Jinja environment, which imports Jinja only when first called."""

    @cache
    def environment() -> jinja2.Environment:
        from generator.render.environment import make_environment

        return make_environment(library, keep_compiled=keep_compiled)

    return environment


def _tree(project: Project, product: str) -> OutputTree:
    return OutputTree(project.site_dir, project.state_dir / f"{product}.json")
