"""The catalogue of bad inputs: cases read from `cases/*.yaml`, run through the real CLI.

Each case changes a scratch project (the real templates, protocols and injury sites, two pages:
see tests/conftest.py), runs one `r2r` command, and checks what a user would see and what is
left on disk. README.md in this folder describes the format. Every case also checks that the
command ended through our own error handling: no Python traceback, no unhandled exception.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pypdf
import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.core.yamlio import parse_yaml

from ..conftest import REPO, make_scratch
from ..mailserver import LONG_LINE, Inbox, free_port, recipients, running

CASES_DIR = Path(__file__).parent / "cases"
AS_OF = "2026-11-23"


@dataclass
class Case:
    """One bad input, the command run on it, and the behaviour it must get."""

    category: str
    name: str
    tries: str
    spec: dict[str, Any]
    base_patient: dict[str, Any] = field(default_factory=dict)

    @property
    def marks(self) -> list[Any]:
        marks = [pytest.mark.slow] if self.spec.get("slow") else []
        if self.spec.get("xfail"):
            marks.append(pytest.mark.xfail(strict=True, reason=self.spec["xfail"]))
        return marks

    def param(self) -> Any:
        return pytest.param(self, id=self.name, marks=self.marks)


def load_cases(category: str) -> list[Case]:
    """Every case of `cases/<category>.yaml`, with the file's defaults and field tables applied."""
    # Read as the tool reads YAML: `on:` is a key, not the boolean it is in YAML 1.1.
    data = parse_yaml((CASES_DIR / f"{category}.yaml").read_text(encoding="utf-8"))
    defaults = data.get("defaults", {})
    base = data.get("base_patient", {})
    cases = [
        Case(category, c["name"], c["tries"], {**defaults, **c}, base)
        for c in data.get("cases", [])
    ]
    for entry in data.get("fields", []):
        cases += list(_field_cases(category, entry, defaults, base))
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), f"{category}: case names must be unique"
    return cases


def _field_cases(
    category: str, entry: dict[str, Any], defaults: dict[str, Any], base: dict[str, Any]
) -> Iterator[Case]:
    """A field set to a wrong value, in a YAML file and (unless `csv: false`) in a CSV row."""
    formats = ["yaml", "csv"] if entry.get("csv", True) else ["yaml"]
    for form in formats:
        location = {"yaml": "patients/case.yaml", "csv": "patients/case.csv: row 2"}[form]
        key = entry["field"] if form == "yaml" else entry.get("column", _column(entry["field"]))
        message = entry["error"] if form == "yaml" else entry.get("csv_error", entry["error"])
        value = _value(entry.get(f"{form}_value", entry.get("value")))
        patient = {"set": entry.get("set") or {entry["field"]: value}, "as": form}
        if entry.get("unset"):
            patient = {"unset": [entry["field"]], "as": form}
        spec = {
            **defaults,
            "patient": patient,
            "run": ["check", f"patients/case.{form}", "--as-of", AS_OF],
            "errors": [f"{location}: {key}: {message}"],
        }
        if form == "csv" and "csv_line" in entry:
            spec["errors"] = [f"patients/case.csv: {entry['csv_line']}"]
        if isinstance(value, str) and len(value.strip()) >= 4:
            spec["output_lacks"] = [value.strip()]  # a patient's value never reaches a log
        yield Case(category, f"field-{entry['name']}-in-{form}", entry["tries"], spec, base)


def _value(value: Any) -> Any:
    """A field value from a case; `{repeat: P, times: 300}` stands for a long text."""
    if isinstance(value, dict) and set(value) == {"repeat", "times"}:
        return str(value["repeat"]) * int(value["times"])
    return value


def _column(dotted: str) -> str:
    """A field as a CSV file names it: `plan.run_days[2]` -> `plan_run_days[2]`."""
    return dotted.replace(".", "_")


# --- building the input -----------------------------------------------------------------------


def write_file(path: Path, spec: Any) -> None:
    """Write a file from its case spec: text, or a mapping for bytes, BOMs and repeats."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(spec, str):
        path.write_bytes(spec.encode("utf-8"))
        return
    encoding = spec.get("encoding", "utf-8")
    data = spec.get("text", "").encode(encoding)
    if "repeat" in spec:
        data += spec["repeat"].encode(encoding) * int(spec["times"])
    if "rows" in spec:
        rows = spec["rows"]
        indent = rows.get("indent", "")
        data += "".join(
            rows["template"].format(n=n, indent=indent * n) for n in range(rows["count"])
        ).encode(encoding)
    data += spec.get("then", "").encode(encoding)
    if spec.get("bom"):
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def patient_data(base: dict[str, Any], patient: dict[str, Any]) -> dict[str, Any]:
    """The base patient with the case's `set` (dotted keys, `[n]` for list items) and `unset`."""
    data = copy.deepcopy(base)
    for dotted, value in patient.get("set", {}).items():
        *parents, last = _path(dotted)
        target = data
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(part, str) else target[part]
        target[last] = value
    for dotted in patient.get("unset", []):
        *parents, last = _path(dotted)
        target = data
        for part in parents:
            target = target[part]
        del target[last]
    return data


def _path(dotted: str) -> list[str | int]:
    """`checkins[1].stage` -> ["checkins", 0, "stage"] (list items are numbered from 1)."""
    return [
        int(index) - 1 if index else name
        for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", dotted)
    ]


def patient_text(data: dict[str, Any], form: str) -> str:
    """A patient as a YAML file, or as a CSV export with a header row."""
    if form == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{k}": _cell(v) for k, v in value.items()})
        else:
            flat[key] = _cell(value)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([list(flat), list(flat.values())])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "" if value is None else str(value)


def prepare(case: Case, root: Path, places: dict[str, str]) -> None:
    """Apply the case's input to the scratch project in `root`."""
    spec = case.spec
    for name in spec.get("remove", []):
        target = root / name
        if target.is_dir():
            import shutil

            shutil.rmtree(target)
        else:
            target.unlink()
    for name, pairs in spec.get("replace", {}).items():
        text = (root / name).read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, f"{case.name}: {old!r} is not in {name}"
            text = text.replace(old, fill(new, places))
        (root / name).write_text(text, encoding="utf-8")
    for name, text in spec.get("append", {}).items():
        with (root / name).open("a", encoding="utf-8") as handle:
            handle.write(fill(text, places))
    for name, content in spec.get("files", {}).items():
        write_file(root / name, fill(content, places) if isinstance(content, str) else content)
    for name, target in spec.get("link", {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(fill(target, places))
    for name in spec.get("fifo", []):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / name)
    for name in spec.get("folders", []):
        (root / name).mkdir(parents=True, exist_ok=True)
    if "patient" in spec:
        form = spec["patient"].get("as", "yaml")
        text = patient_text(patient_data(case.base_patient, spec["patient"]), form)
        write_file(root / spec["patient"].get("file", f"patients/case.{form}"), text)


def fill(text: Any, places: dict[str, str]) -> Any:
    """Replace {root}, {server}, ... in case text; other braces are left alone."""
    if not isinstance(text, str):
        return text
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


# --- servers that must never be reached (or that deliver) -----------------------------------------


class _Recording(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recording.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: Any) -> None:
        pass


# --- running and checking -----------------------------------------------------------------------


@dataclass
class Outcome:
    """What a command printed and how it ended."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def errors(self) -> list[str]:
        return [
            line.removeprefix("error: ")
            for line in self.stderr.splitlines()
            if line.startswith("error: ")
        ]


def run_cli(
    root: Path, args: list[str], *, subprocess_: bool = False, timeout: float = 120
) -> Outcome:
    """Run `r2r --project ROOT ARGS` in `root`, in this process or as a real process."""
    if subprocess_:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-m", "generator", "--project", str(root), *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)
    previous = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, ["--project", str(root), *args])
    finally:
        os.chdir(previous)
    return Outcome(result.exit_code, result.stdout, result.stderr, result.exception)


def run_case(case: Case, tmp_path: Path) -> Outcome:
    """Build the case's project, run its command, and check every expectation it states."""
    scratch = make_scratch(tmp_path / "project")
    root = scratch.root
    dead_port = str(free_port())
    places = {"root": str(root), "tmp": str(tmp_path), "dead_port": dead_port}
    spec = case.spec
    httpd = None
    if spec.get("server"):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recording)
        _Recording.requests = []
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        places["server"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    inbox = Inbox(**{k: fill(v, SMTP_PLACES) for k, v in spec.get("smtp", {}).items()})
    with contextlib.ExitStack() as stack:
        smtp = "smtp" in spec
        places["smtp_port"] = str(stack.enter_context(running(inbox))) if smtp else dead_port
        try:
            prepare(case, root, places)
            args = [fill(a, places) for a in spec["run"]]
            outcome = run_cli(root, args, subprocess_=bool(spec.get("subprocess")))
        finally:
            if httpd is not None:
                httpd.shutdown()
    check_outcome(case, outcome, root, places)
    if httpd is not None:
        assert _Recording.requests == [], f"the build fetched {_Recording.requests}"
    if "delivered" in spec:  # to these envelope recipients, and each message says so
        assert sorted(inbox.recipients()) == sorted(spec["delivered"]), outcome.output
        assert inbox.header_recipients() == inbox.envelopes, inbox.header_recipients()
    return outcome


# Placeholders of an `smtp:` misbehaviour: what a hostile mail server could reply.
SMTP_PLACES = {
    "long_line": LONG_LINE,
    "escapes": "\x1b]0;owned\x07\x1b[2J\x1b[31m",
}


def check_outcome(case: Case, outcome: Outcome, root: Path, places: dict[str, str]) -> None:
    spec = case.spec
    shown = f"{case.name}: exit {outcome.exit_code}\n{outcome.output}"
    assert "Traceback" not in outcome.output, shown
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), (
        f"{shown}\nunhandled: {outcome.exception!r}"
    )
    assert outcome.exit_code == spec["exit"], shown
    errors = outcome.errors
    if "errors" in spec:
        expected = [fill(line, places) for line in spec["errors"]]
        assert sorted(errors) == sorted(expected), shown
    if "errors_like" in spec:
        patterns = [fill(p, places) for p in spec["errors_like"]]
        for pattern in patterns:
            assert any(pattern in line for line in errors), f"{pattern!r} not in\n{shown}"
        assert len(errors) == len(patterns), shown
    if "errors" not in spec and "errors_like" not in spec:
        assert errors == [], shown
    for text in spec.get("output_has", []):
        assert fill(text, places) in outcome.output, f"{text!r} not in\n{shown}"
    for text in spec.get("output_lacks", []):
        assert str(text) not in outcome.output, f"{text!r} leaked into\n{shown}"
    for pattern in spec.get("written", []):
        assert list(root.glob(fill(pattern, places))), f"{pattern} was not written\n{shown}"
    for pattern in spec.get("not_written", []):
        found = list(root.glob(fill(pattern, places)))
        assert not found, f"{found} should not exist\n{shown}"
    for name, texts in spec.get("contains", {}).items():
        data = (root / name).read_text(encoding="utf-8")
        for text in texts:
            assert fill(text, places) in data, f"{text!r} not in {name}"
    for name, texts in spec.get("lacks", {}).items():
        data = (root / name).read_text(encoding="utf-8")
        for text in texts:
            assert fill(text, places) not in data, f"{text!r} in {name}"
    for name, addresses in spec.get("recipients", {}).items():
        assert recipients((root / name).read_bytes()) == addresses, f"{name} goes elsewhere"
    for name in spec.get("safe_html", []):
        assert_safe_content(root / name)
    for name, texts in spec.get("pdf_text", {}).items():
        text = pdf_text(root / name)
        for expected in texts:
            assert expected in text, f"{expected!r} not in the text of {name}:\n{text}"
    for pattern in spec.get("clean_pdfs", []):
        paths = sorted(root.glob(pattern))
        assert paths, f"no PDF matches {pattern}"
        for path in paths:
            assert_clean_pdf(path, root)


# --- what published files may hold --------------------------------------------------------------

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "style",
    "link",
    "meta",
    "base",
    "svg",
    "math",
    "template",
    "noscript",
    "video",
    "audio",
    "source",
    "track",
    "portal",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "srcset",
    "xlink:href",
    "background",
    "cite",
    "longdesc",
}
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:", "#", "data:image/")


class _Content(HTMLParser):
    """The elements inside a page's `<div class="content">` (the converted Markdown)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.elements.append((tag, dict(attrs)))
            if tag == "div":
                self.depth += 1
        elif tag == "div" and ("class", "content") in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth -= 1


def assert_safe_content(path: Path) -> None:
    """The converted content of a published page runs nothing and loads nothing from outside."""
    parser = _Content()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.elements, f"{path} has no content"
    for tag, attrs in parser.elements:
        assert tag not in FORBIDDEN_TAGS, f"{path}: <{tag}> was published"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{path}: <{tag} {name}> was published"
            assert name not in ("style", "rel", "srcdoc", "formaction"), f"{path}: {name}="
            if name in URL_ATTRIBUTES and value:
                # As a browser reads it: tabs and line breaks removed, leading blanks ignored.
                squeezed = re.sub(r"^[\x00-\x20]+|[\t\n\r]", "", value).lower()
                relative = not re.match(r"[a-z][a-z0-9+.-]*:", squeezed)
                assert relative or squeezed.startswith(SAFE_SCHEMES), (
                    f"{path}: <{tag} {name}={value!r}> was published"
                )


def pdf_text(path: Path) -> str:
    """The text of a PDF, with runs of white space made single spaces."""
    pages = pypdf.PdfReader(path).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def assert_clean_pdf(path: Path, root: Path) -> None:
    """A PDF parses, embeds no file, links to no local file and names no local path."""
    reader = pypdf.PdfReader(path)
    catalog = reader.trailer["/Root"]
    names = catalog.get("/Names", {})
    assert "/EmbeddedFiles" not in names, f"{path} embeds a file"
    for page in reader.pages:
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object().get("/A", {})
            uri = str(action.get("/URI", ""))
            assert not uri.startswith("file:") and str(root) not in uri, f"{path} links to {uri}"
            assert annotation.get_object().get("/Subtype") != "/FileAttachment", path
    for key, value in (reader.metadata or {}).items():
        assert str(root) not in str(value), f"{path} metadata {key} names a local path"
