"""Load, soak and fault runs against a deployment started for them (docs/benchmarks.md)."""

# Locust users of each kind in the population (loadtests/population.py), unless
# ONECODE_LOAD_WEIGHTS says otherwise.
DEFAULT_WEIGHTS = "consumer=100,wool=2,guide=5,store=4,dealer=1"
