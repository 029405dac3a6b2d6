"""The ruleset lifecycle for policy officers: the publication register, tests in their own
format with coverage, the semantic diff, impact analysis and lint."""
