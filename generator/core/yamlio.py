"""Reading YAML written by people: strict about duplicates, literal about yes/no/on/off.

PyYAML follows YAML 1.1, where the keys and values `on`, `off`, `yes`, `no` are booleans: a
patient file's `clearance: {on: 2026-11-18}` would lose its key. Our loader resolves only
`true`/`false` as booleans (as YAML 1.2 does) and reports a key given twice instead of
silently keeping the last one. Anchors and aliases (`&name`, `*name`) are refused: a few lines
of them expand to billions of values or to a value that contains itself, and none of our
files needs them. It uses libyaml's C parser when available (about 9x faster).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from generator.core.errors import ContentError, Problem, R2RError
from generator.core.files import Unreadable, read_text
from generator.core.schema import Invalid, load

T = TypeVar("T")
MAX_DATA_BYTES = 1_000_000  # a protocol, the injury sites, interface text: a few kB each

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Refused(yaml.constructor.ConstructorError):
    """One of our own refusals; `private` is its message without anything from the file."""

    def __init__(self, message: str, mark: Any, private: str | None = None) -> None:
        super().__init__(None, None, message, mark)
        self.private = private or message


class _Loader(_Base):  # type: ignore[misc]
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Without aliases every node is constructed once; a node met again came from an alias.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _Refused(
                "anchors and aliases (& and *) are not supported: write each value out in full",
                node.start_mark,
            )
        return super().construct_object(node, deep=deep)


# Replace the YAML 1.1 boolean resolver (y/yes/on/...) with YAML 1.2's true/false.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise _Refused("a key must be a plain word or number", key_node.start_mark)
        if key in mapping:
            raise _Refused(
                f"the key '{key}' is given twice", key_node.start_mark, "a key is given twice"
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    # An impossible date such as 2026-13-01 stays text, so the schema can say which key is wrong.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class YamlProblem(Exception):
    """The text is not valid YAML; `problem` says where (line and column) and what."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def parse_yaml(text: str, *, first_line: int = 1, private: bool = False) -> Any:
    """Parse one YAML document; raise `YamlProblem` naming the line of the first error.

    `first_line` is the line of the file where `text` starts, so that the reported line
    numbers match what the author sees in the file (front matter starts on line 2). With
    `private` (a patient file), a message never repeats what the file holds: the quoted keys,
    tags and tokens that YAML's messages name are left out.
    """
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + first_line}" if mark else ""
        what = error.problem or error.context or "not valid YAML"
        if error.context and what.startswith("but "):  # "but found another document"
            what = f"{error.context}, {what}"
        if private:
            what = error.private if isinstance(error, _Refused) else _unquoted(what)
        raise YamlProblem(Problem(where, f"YAML: {what}")) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as error:
        what = "not valid YAML" if private else str(error)
        raise YamlProblem(Problem("", f"YAML: {what}")) from None


# A quoted key, tag or token of the file; YAML's own punctuation (',' or ']') is one character.
_QUOTED = re.compile(r"""\s*(?:'[^'\s][^']*[^'\s]'|"[^"\s][^"]*[^"\s]"|\([^)]*\))""")


def _unquoted(message: str) -> str:
    """A YAML message without what it quotes from the file (a key, a tag, a character)."""
    return " ".join(_QUOTED.sub("", message).split()) or "not valid YAML"


def load_yaml_file(
    cls: type[T],
    path: Path,
    *,
    name: str,
    folder: Path,
    limit: int = MAX_DATA_BYTES,
    error: type[R2RError] = ContentError,
    shape: Callable[[Any], Any] = lambda data: data,
) -> T:
    """Read `path` (see `generator.core.files`), parse it as YAML and load it as `cls`.

    Every problem (unreadable, not YAML, not the schema) raises `error`, each located inside
    `name`, the file as messages name it. `shape` adapts the parsed data to the schema first.
    """
    try:
        return load(cls, shape(parse_yaml(read_text(path, folder=folder, limit=limit))))
    except Unreadable as unreadable:
        raise error([unreadable.problem.within(name)]) from None
    except YamlProblem as problem:
        raise error([problem.problem.within(name)]) from None
    except Invalid as invalid:
        raise error(problem.within(name) for problem in invalid.problems) from None
