"""Pictures the website and the PDFs publish: `content/images/` and the clinic's logo.

A picture is recognised by its content, never by its name alone: PNG, JPEG, GIF or WebP
bytes under a name that says so (a server picks the type by the name, and an `.html` file
that starts like a PNG still runs as a page), or an SVG picture. Anything else is refused.

An SVG file is a document that a browser opened on it runs as the site's own page, so it is
parsed with defusedxml (no DTD, entity or external reference is ever processed) and checked
against an allow-list of SVG elements and attributes: no processing instruction, no other
namespace (XHTML inside SVG navigates and fetches), no `style` element, no reference but
`#id`, no CSS escape or function that could name another file. What is published, on the
site and in the PDFs, is the copy re-serialised from the checked tree, never the original
bytes: whatever the check did not understand is not there to be obeyed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import defusedxml
from defusedxml.ElementTree import DefusedXMLParser

from generator.core.errors import Problem
from generator.core.files import Unreadable, read_bytes

MAX_PICTURE_BYTES = 20_000_000
SVG = "http://www.w3.org/2000/svg"
_XLINK = "{http://www.w3.org/1999/xlink}"
_XML = "{http://www.w3.org/XML/1998/namespace}"

# The raster formats, by the bytes they start with, and the names they may be published under.
_RASTER: tuple[tuple[str, re.Pattern[bytes], tuple[str, ...]], ...] = (
    ("PNG", re.compile(rb"\x89PNG\r\n\x1a\n"), (".png",)),
    ("JPEG", re.compile(rb"\xff\xd8\xff"), (".jpg", ".jpeg")),
    ("GIF", re.compile(rb"GIF8[79]a"), (".gif",)),
    ("WebP", re.compile(rb"RIFF....WEBP", re.DOTALL), (".webp",)),
)
PICTURE_SUFFIXES = (".svg", *(suffix for _, _, suffixes in _RASTER for suffix in suffixes))

# Shapes, text, gradients, clipping, masks, markers and simple filters. Not here, because
# opened on its own they run, navigate or fetch: script, style, a, image, use of another file,
# foreignObject, feImage, animation (`set` can write a `javascript:` link), font-face.
_ELEMENTS = frozenset(
    """svg g defs title desc symbol use path rect circle ellipse line polyline polygon text tspan
    textPath linearGradient radialGradient stop clipPath mask pattern marker filter feBlend
    feColorMatrix feComponentTransfer feComposite feDropShadow feFlood feFuncA feFuncB feFuncG
    feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset switch""".split()
)
# Geometry, presentation and accessibility; each value is checked as CSS would read it.
_PROPERTIES = frozenset(
    """clip-path clip-rule color display dominant-baseline fill fill-opacity fill-rule filter
    flood-color flood-opacity font-family font-size font-style font-variant font-weight
    letter-spacing marker-end marker-mid marker-start mask opacity overflow paint-order
    shape-rendering stop-color stop-opacity stroke stroke-dasharray stroke-dashoffset
    stroke-linecap stroke-linejoin stroke-miterlimit stroke-opacity stroke-width text-anchor
    text-decoration text-rendering transform vector-effect visibility word-spacing
    writing-mode""".split()
)
_ATTRIBUTES = (
    _PROPERTIES
    | frozenset(
        """id class width height x y x1 y1 x2 y2 cx cy r rx ry fx fy fr d points pathLength viewBox
    preserveAspectRatio version baseProfile dx dy rotate textLength lengthAdjust startOffset
    offset gradientUnits gradientTransform spreadMethod clipPathUnits maskUnits
    maskContentUnits patternUnits patternContentUnits patternTransform markerUnits markerWidth
    markerHeight refX refY orient filterUnits primitiveUnits in in2 result stdDeviation mode
    operator k1 k2 k3 k4 values type tableValues slope intercept amplitude exponent radius
    flood-color flood-opacity role aria-label aria-labelledby aria-describedby aria-hidden
    focusable lang tabindex href""".split()
    )
    | {f"{_XML}space", f"{_XML}lang", f"{_XLINK}href"}
)
# Attributes that are plain text, never read as CSS.
_TEXT = frozenset(
    {"id", "class", "role", "lang", "version", "baseProfile", f"{_XML}lang", f"{_XML}space"}
)
# CSS functions a value may call: colours and transforms (url() only as url(#id), removed first).
_FUNCTIONS = frozenset("rgb rgba hsl hsla matrix translate scale rotate skewx skewy".split())
_CALL = re.compile(r"([a-z-]*)\s*\(", re.IGNORECASE)
_LOCAL_URL = re.compile(r"""url\(\s*(['"]?)#[\w.:-]+\1\s*\)""", re.IGNORECASE)
_LOCAL_HREF = re.compile(r"#[\w.:-]+")
_SHOWN = 40  # characters of a name shown in a message


class PictureProblem(Exception):
    """Why a file cannot be published as a picture."""


def read_picture(path: Path, *, folder: Path, label: str = "") -> bytes:
    """The bytes to publish for the picture `path` (inside `folder`): raster bytes as they
    are, an SVG picture as its checked copy. `Unreadable` says why it cannot be published."""
    data = read_bytes(path, folder=folder, limit=MAX_PICTURE_BYTES, label=label)
    try:
        return publishable(data, path.suffix.lower())
    except PictureProblem as problem:
        raise Unreadable(Problem("", str(problem))) from None


def picture_problems(folder: Path, name: str) -> Iterator[Problem]:
    """Every file under `folder` (named `name/...` in messages) that is not a picture that
    may be published; hidden files are never published and left alone."""
    if not folder.is_dir():
        return
    label = f"{name}/"
    for path in sorted(folder.rglob("*")):
        if path.name.startswith(".") or path.is_dir():
            continue
        try:
            read_picture(path, folder=folder, label=label)
        except Unreadable as unreadable:
            yield unreadable.problem.within(f"{name}/{path.relative_to(folder).as_posix()}")


def publishable(data: bytes, suffix: str) -> bytes:
    """What to publish for a picture's bytes under a name ending in `suffix`."""
    for kind, magic, suffixes in _RASTER:
        if magic.match(data):
            if suffix not in suffixes:
                raise PictureProblem(
                    f"is a {kind} picture, but its name does not end in {' or '.join(suffixes)}; "
                    "rename it"
                )
            return data
    if suffix != ".svg":
        raise PictureProblem(
            "is not a picture (PNG, JPEG, GIF, WebP or SVG); only pictures are published"
        )
    return clean_svg(data)


def clean_svg(data: bytes) -> bytes:
    """The checked, re-serialised copy of an SVG picture; `PictureProblem` if it has anything
    the allow-list does not know."""
    root = _parse_svg(data)
    for element in root.iter():
        _check_element(element)
    return _serialised(root)


class _Tree(ElementTree.TreeBuilder):
    """A tree builder that notices processing instructions anywhere (the default drops them
    before and after the root unseen, where `<?xml-stylesheet?>` still loads a stylesheet)."""

    instructions = 0

    def pi(self, target: str, text: str | None = None) -> ElementTree.Element:
        self.instructions += 1
        return super().pi(target, text)


def _parse_svg(data: bytes) -> ElementTree.Element:
    tree = _Tree()
    try:
        parser = DefusedXMLParser(target=tree, forbid_dtd=True)
        parser.feed(data)
        root: ElementTree.Element = parser.close()
    except defusedxml.DefusedXmlException:
        raise PictureProblem(_active("a document type or entities (<!DOCTYPE>)")) from None
    except ElementTree.ParseError:
        raise PictureProblem("is not a valid SVG picture") from None
    if tree.instructions:
        raise PictureProblem(_active("a processing instruction (<?...?>)"))
    if root.tag != f"{{{SVG}}}svg":
        raise PictureProblem("is not an SVG picture: its outermost element must be <svg>")
    return root


def _check_element(element: ElementTree.Element) -> None:
    namespace, _, local = str(element.tag).rpartition("}")
    if namespace != "{" + SVG:
        raise PictureProblem(_active(f"an element that is not SVG (<{_shown(local)}>)"))
    if local not in _ELEMENTS:
        raise PictureProblem(_active(f"the element <{_shown(local)}>"))
    for key, value in element.attrib.items():
        if key not in _ATTRIBUTES and key != "style":
            raise PictureProblem(_active(f"the attribute {_shown(_local(key))}= on <{local}>"))
        if not _safe_value(key, value):
            raise PictureProblem(_active(f"the value of {_shown(_local(key))}= on <{local}>"))


def _safe_value(key: str, value: str) -> bool:
    """Whether an attribute's value refers to nothing outside the picture."""
    if key in ("href", f"{_XLINK}href"):
        return bool(_LOCAL_HREF.fullmatch(value.strip()))
    if key in _TEXT or key.startswith("aria-"):
        return True
    if key == "style":
        return all(_safe_declaration(part) for part in value.split(";") if part.strip())
    return _safe_css(value)


def _safe_css(value: str) -> bool:
    """Whether a value, read as a browser's CSS parser reads a presentation attribute, calls
    only colour and transform functions and `url(#id)`: a backslash escape could spell
    `url(` or `@import` past any check, so there is none."""
    if "\\" in value or "@" in value:
        return False
    calls = {name.lower() for name in _CALL.findall(_LOCAL_URL.sub("", value))}
    return calls <= _FUNCTIONS


def _safe_declaration(declaration: str) -> bool:
    name, colon, value = declaration.partition(":")
    return bool(colon) and name.strip().lower() in _PROPERTIES and _safe_css(value)


def _serialised(root: ElementTree.Element) -> bytes:
    """The tree written out afresh: one namespace, `href` for `xlink:href`, no comments."""
    for element in root.iter():
        element.tag = str(element.tag).rpartition("}")[2]
        element.attrib = {
            _local(key).removeprefix("xlink:"): v for key, v in element.attrib.items()
        }
    root.attrib = {"xmlns": SVG, **root.attrib}
    data: bytes = ElementTree.tostring(root, encoding="utf-8")
    return data + b"\n"


def _active(what: str) -> str:
    return (
        f"is an SVG picture with {what}, which could run a script or load another file; "
        "save it without, or as a PNG"
    )


def _local(key: str) -> str:
    return key.replace(_XLINK, "xlink:").replace(_XML, "xml:")


def _shown(name: str) -> str:
    return name if len(name) <= _SHOWN else name[:_SHOWN] + "..."
