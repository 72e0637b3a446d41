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
from typing import Any

import yaml

from generator.core.errors import Problem

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Without aliases every node is constructed once; a node met again came from an alias.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None,
                None,
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
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word or number", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key '{key}' is given twice", key_node.start_mark
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


def parse_yaml(text: str, *, first_line: int = 1) -> Any:
    """Parse one YAML document; raise `YamlProblem` naming the line of the first error.

    `first_line` is the line of the file where `text` starts, so that the reported line
    numbers match what the author sees in the file (front matter starts on line 2).
    """
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + first_line}" if mark else ""
        what = error.problem or error.context or "not valid YAML"
        if error.context and what.startswith("but "):  # "but found another document"
            what = f"{error.context}, {what}"
        raise YamlProblem(Problem(where, f"YAML: {what}")) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as error:
        raise YamlProblem(Problem("", f"YAML: {error}")) from None
