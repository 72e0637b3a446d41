"""Turning data into documents: the one Jinja environment with its filters, sessions and dates
in words, and the one PDF writer (WeasyPrint, prepared once per worker process).

May import: `generator.core`, `generator.content`, `generator.patients`.
"""
