"""Outcomes: did a family turn around after entry, the ground for a results claim. The
outcome plan (plan), progress checks (progress, check, explain) and continuous employment.

Each check is a pure function of parsed facts and named thresholds; it reads no file,
clock or database, and explains its answer as the eligibility trace does.
"""
