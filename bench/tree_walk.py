"""Why the served model is not scikit-learn's `predict_proba`: one row scored both ways.

A model of training's size (risk.training.PARAMS) on synthetic rows; prints the median and 99th
percentile of `TreeModel.score` (the level-by-level walk on flat arrays) and the median of
`predict_proba` on one row, and the largest difference between their scores.

    .venv/bin/python -m bench.tree_walk
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from risk.features import FEATURES
from risk.model import from_sklearn
from risk.training import PARAMS


def _percentiles(ns: list[int]) -> tuple[float, float]:
    ns.sort()
    return ns[len(ns) // 2] / 1000, ns[int(len(ns) * 0.99)] / 1000


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, len(FEATURES)))
    y = x[:, 3] + x[:, 7] * x[:, 2] > 0.5
    fitted = GradientBoostingClassifier(random_state=0, **PARAMS).fit(x, y)
    model = from_sklearn(fitted, FEATURES)
    rows = [list(r) for r in x[:2000]]
    walk = []
    for r in rows:
        t = time.perf_counter_ns()
        model.score(r)
        walk.append(time.perf_counter_ns() - t)
    sk = []
    for r in x[:500]:
        one = r.reshape(1, -1)
        t = time.perf_counter_ns()
        fitted.predict_proba(one)
        sk.append(time.perf_counter_ns() - t)
    expected = fitted.predict_proba(x[:2000])[:, 1]
    diff = max(abs(model.score(r) - p) for r, p in zip(rows, expected, strict=True))
    (w50, w99), (s50, _) = _percentiles(walk), _percentiles(sk)
    print(f"trees {len(model.trees)}, depth {PARAMS['max_depth']}")
    print(f"level walk: p50 {w50:.1f} µs, p99 {w99:.1f} µs")
    print(f"predict_proba, one row: p50 {s50:.1f} µs")
    print(f"largest difference in score: {diff:.1e}")


if __name__ == "__main__":
    main()
