"""Keeping the privacy notice's promises (issue 18): retention by record type, subject access
(`subject`: everything held about a family or a person, as one document), erasure and
restriction, the pseudonymised research extract, and encryption at rest. Each module is a
library call over the `Store`; the `tfp` commands and the admin API are thin faces of them.
"""
