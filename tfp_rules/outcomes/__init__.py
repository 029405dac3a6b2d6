"""Outcome checks: what a family achieved after entry, the ground for a results claim.

Each check is a pure function of parsed facts and named thresholds; it reads no file,
clock or database, and explains its answer as the eligibility trace does.
"""
