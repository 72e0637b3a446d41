"""The shared mechanisms every stage uses: errors and their exit statuses, the typed schema and
its field validators, YAML reading, atomic writes, the batch runner and the project's folders.

May import: nothing of the package but `generator` itself (the version). Everything else
imports from here.
"""
