"""The privacy lifecycle (issue 18): what the council's privacy notice promises, kept by code.

One module per idea: `pseudonyms` (keyed hashes for the research extract), `coarsening`
(age bands and months), `suppression` (small cells in published tables), `research` (the
extract for the national evaluation and its five-year destruction).
"""
