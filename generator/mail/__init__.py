"""Emailing plans: composing the message, talking to the SMTP server, the ledger of what was
sent, and the delivery that sends each plan version once.

May import: every other subpackage; only `generator.cli` imports it.
"""
