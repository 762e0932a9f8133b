"""Hand-written equivalents of library calls, kept only where a benchmark target needs them.

Each module here states the library call it equals, has a test of that equality and a row in
``benchmarks/`` that shows the target it keeps (docs/architecture.md).
"""
