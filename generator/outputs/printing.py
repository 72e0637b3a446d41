"""`r2r plans --print`: one PDF for the printer holding every plan of the batch.

Each plan starts on a right-hand (odd) page: a plan with an odd number of pages is followed by
a blank page, so printing on both sides never puts two patients on one sheet. The file is
private, beside the plans.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import pypdf

from generator.core.atomic import write_atomic


def print_file_name(as_of: dt.date) -> str:
    """The name of the batch's printer file, by the date the plans were made on."""
    return f"print-{as_of.isoformat()}.pdf"


def printer_pdf(plans: Sequence[Path]) -> bytes:
    """The plans, one after another, each starting on an odd page."""
    writer = pypdf.PdfWriter()
    for path in plans:
        reader = pypdf.PdfReader(path)
        writer.append(reader, import_outline=False)
        if len(reader.pages) % 2:
            last = reader.pages[-1].mediabox
            writer.add_blank_page(width=float(last.width), height=float(last.height))
    writer.add_metadata({"/Title": "Plans to print", "/Producer": "return2run"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def write_printer_pdf(plans: Sequence[Path], target: Path, *, root: Path) -> Path:
    """Write the printer file of `plans` to `target` (owner-only), atomically, through no
    link below `root`."""
    write_atomic(target, printer_pdf(plans), private=True, root=root)
    return target
