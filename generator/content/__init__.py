"""The clinic's inputs, read and validated as one library: settings (`site.toml`), the topic
pages through the one Markdown pipeline, their readable text and reading grade, the run/walk
protocols, the injury sites, the interface text and the pictures.

May import: `generator.core`.
"""
