"""Patients: the typed model of a patient file, the YAML and CSV readers, and the schedule (a
pure function of a patient and their protocol).

May import: `generator.core`, `generator.content`.
"""
