"""newapi's benchmark suite: `nox -s bench` (or `python -m bench --help` from the repo root).

Every figure is the median of several runs after a warm-up, next to a baseline measured
in the same invocation, in alternating order (these machines are noisy). The results go
to the terminal and to BENCHMARKS.md.
"""
