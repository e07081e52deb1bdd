"""qgraph's scale-and-speed benchmarks (``python -m benchmarks --help``); results and how they were made in RESULTS.md.

Not part of the test run: the default sizes take minutes and need a Neo4j server (``benchmarks/run`` starts one).
"""
