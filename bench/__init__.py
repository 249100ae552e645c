"""Load and latency benchmarks, run by hand (``python bench/vote_load.py --help``); not tests."""
