"""Outcomes: did a family turn around after entry, and may the council claim its results
payment. Outcome plans (plan), progress checks (progress) and continuous employment."""
