"""The products written to the output folder: the website (pages, search index, sitemap, link
check), the handouts, the patients' plans and calendars, and the build state that makes
rebuilds exact (fingerprints, the page cache, the tool's versions). Also the commands that
drive them: build, check, new-patient and the live preview.

May import: `generator.core`, `generator.content`, `generator.patients`, `generator.render`.
"""
