"""The baseline: a plain loop of WeasyPrint over the same plan HTML, done the way its docs advise.

One process, one FontConfiguration, the stylesheets parsed once, each document written to a
file. Usage: python plain_loop.py HTML_DIR OUT_DIR BASE_URL
"""

from __future__ import annotations

import sys
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration


def main() -> None:
    source, out, base_url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    out.mkdir(parents=True, exist_ok=True)
    fonts = FontConfiguration()
    sheets = [
        CSS(string=css.read_text(), base_url=css.with_suffix(".url").read_text(), font_config=fonts)
        for css in sorted(source.glob("style-*.css"))
    ]
    for page in sorted(source.glob("*.html")):
        pdf = HTML(string=page.read_text(), base_url=base_url).write_pdf(
            stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1"
        )
        (out / f"{page.stem}.pdf").write_bytes(pdf)


if __name__ == "__main__":
    main()
