"""Benchmarks of the rules engine against a hand-written baseline (see benchmarks/engine.py)."""
