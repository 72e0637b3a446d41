"""The CLI contract: instant help, lazy WeasyPrint, --strict, --out and the exit statuses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    return result.stdout.strip()


def test_help_does_not_import_weasyprint():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom generator.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "print(r.exit_code, 'weasyprint' in sys.modules, 'Exit status' in r.output)"
    )
    assert run_python(code) == "0 False True"


@pytest.mark.slow
def test_an_html_only_build_does_not_import_weasyprint(scratch):
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom generator.cli import main\n"
        f"r = CliRunner().invoke(main, ['--project', {str(scratch.root)!r}, 'site'])\n"
        "print(r.exit_code, 'weasyprint' in sys.modules)"
    )
    assert run_python(code) == "0 False"


def test_commands_document_their_exit_statuses(scratch):
    for command in ("build", "handouts"):
        result = scratch.cli(command, "--help")
        assert result.exit_code == 0
        assert "Exit status: 0 done; 1 some handouts failed" in result.output
    site = scratch.cli("site", "--help")
    assert "Exit status: 0 done; 2 settings or content error" in site.output


def test_strict_turns_warnings_into_exit_1(scratch):
    scratch.page("linker", "---\ntitle: Linker\n---\n[gone](gone.md)\n")
    relaxed = scratch.cli("site")
    assert relaxed.exit_code == 0
    assert (
        "warning: content/linker.md: links to 'gone.html', but there is no page 'gone.md'"
        in relaxed.output
    )
    strict = scratch.cli("site", "--strict")
    assert strict.exit_code == 1
    assert "error: 1 warning(s), and --strict makes warnings fail" in strict.output


def test_out_chooses_the_output_root(scratch, tmp_path):
    result = scratch.cli("site", "--out", str(tmp_path / "elsewhere"), "--quiet")
    assert result.exit_code == 0 and result.output == ""
    assert (tmp_path / "elsewhere" / "site" / "index.html").is_file()
    assert not (scratch.root / "output").exists()


def test_an_unknown_option_is_a_usage_error(scratch):
    assert scratch.cli("build", "--colour").exit_code == 2
