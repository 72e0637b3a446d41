"""`r2r build`: the website and the handouts, gathered first and written second."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .batch import BatchReport, Reporter
from .handouts import handout_documents, pdf_config, pdf_inputs, publish_documents
from .library import broken_links, load_library
from .outputs import OutputTree
from .project import Project
from .site import SiteReport, render_site, write_site
from .templating import make_environment

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build did; `exit_code` is 1 when any handout failed."""

    site: SiteReport | None = None
    handouts: BatchReport | None = None

    @property
    def exit_code(self) -> int:
        return self.handouts.exit_code if self.handouts else 0


def build(project: Project, *, site: bool = True, handouts: bool = True, jobs: int | None = None,
          reporter: Reporter | None = None) -> BuildReport:
    """Build the website and/or the handouts of `project` into its output folder.

    Every input is validated and every page and handout rendered to HTML before the first
    file is written, so a settings, content or template error (raised as `SettingsError` or
    `ContentError`) leaves the output folder as it was.
    """
    library = load_library(project)
    for problem in broken_links(library.pages):
        log.warning("%s", problem)
    env = make_environment(library)
    generated = render_site(library, env) if site else {}
    documents = handout_documents(library, env) if handouts else []
    config = pdf_config(library, env) if handouts else None

    report = BuildReport()
    if site:
        report.site = write_site(library, generated, _tree(project, "site"))
    if config is not None:
        tree = _tree(project, "handouts")
        report.handouts = publish_documents(
            documents, tree, config, pdf_inputs(library, config),
            base_url=library.settings.site.base_url, label="handouts", jobs=jobs,
            reporter=reporter)
        tree.finish()
    return report


def _tree(project: Project, product: str) -> OutputTree:
    return OutputTree(project.site_dir, project.state_dir / f"{product}.json")
