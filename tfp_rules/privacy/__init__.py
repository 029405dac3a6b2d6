"""The privacy lifecycle (issue 18): what the council's privacy notice promises, kept by code.

One module per idea, each a library call over the `Store` (the `tfp` commands and the admin
API are thin faces of them): `subject` (subject access: everything held about a family or a
person, as one document), `pseudonyms` (keyed hashes for the research extract), `coarsening`
(age bands and months), `suppression` (small cells in published tables), `research` (the
extract for the national evaluation and its five-year destruction), `retention` (periods by
record type, applied with tombstones), `erasure` (erasure and restriction of a family),
`datakeys` (the keys that seal personal data at rest; the store does the sealing) and
`private_files` (secrets kept in owner-only files).
"""
