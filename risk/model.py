"""The risk model as it is served: gradient-boosted trees as plain tables, scored in-process.

Training uses scikit-learn's GradientBoostingClassifier (risk/training.py). Serving does not call
its `predict_proba`: one row through scikit-learn costs a few hundred microseconds of input
checking and array set-up (and a histogram booster's predict starts OpenMP threads). So a
trained model is exported through the
estimator's public tree attributes (`estimators_[i, 0].tree_`) into JSON: feature, threshold,
children and leaf value per node. JSON rather than pickle because a model file comes from a
database row or a staff upload: loading it must not execute code, and must not depend on the
scikit-learn version that trained it. The test suite checks that the tables score every row
exactly as scikit-learn does.

Scoring walks every tree at once, one level a step, on flat numpy arrays (a leaf points to
itself, so a shallow branch waits for the deepest): a few numpy calls a level instead of a Python
loop per node. 41 µs a row instead of 165 for 250 trees of depth 5 (session 5); 36 µs for the
300 trees of depth 6 trained now (medians, this machine, `python -m bench.tree_walk`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = "onecode-gbt/1"


class ModelInvalid(ValueError):
    """The model text is not a model this code can score (corrupt, truncated, other format)."""


@dataclass(frozen=True)
class Tree:
    feature: tuple[int, ...]  # -1 at a leaf
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]


@dataclass(frozen=True)
class TreeModel:
    features: tuple[str, ...]
    base: float  # raw score (log-odds) before any tree
    rate: float  # learning rate
    trees: tuple[Tree, ...]
    _flat: _Flat = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_flat", _Flat(self.trees))

    def score(self, x: list[float]) -> float:
        """Probability that the scan is fraud."""
        # scikit-learn compares float32 features with its thresholds: round the same way.
        raw = self.base + self.rate * self._flat.leaf_sum(np.asarray(x, np.float32))
        if raw < -40:
            return 0.0
        return 1.0 / (1.0 + math.exp(-raw))

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "features": list(self.features),
                "base": self.base,
                "rate": self.rate,
                "trees": [[t.feature, t.threshold, t.left, t.right, t.value] for t in self.trees],
            },
            separators=(",", ":"),
        )


class _Flat:
    """Every tree's nodes in one set of arrays; `at` is each tree's current node (global
    index). A leaf's children are itself, and its feature 0, so stepping it changes nothing."""

    def __init__(self, trees: tuple[Tree, ...]) -> None:
        offsets, feature, threshold, left, right, value = [], [], [], [], [], []
        depth, start = 0, 0
        for t in trees:
            offsets.append(start)
            for i, f in enumerate(t.feature):
                leaf = f < 0
                feature.append(0 if leaf else f)
                threshold.append(math.inf if leaf else t.threshold[i])
                left.append(start + (i if leaf else t.left[i]))
                right.append(start + (i if leaf else t.right[i]))
                value.append(t.value[i])
            depth = max(depth, _depth(t))
            start += len(t.feature)
        self.start = np.array(offsets, np.intp)
        self.feature = np.array(feature, np.intp)
        self.threshold = np.array(threshold, np.float64)
        self.left = np.array(left, np.intp)
        self.right = np.array(right, np.intp)
        self.value = np.array(value, np.float64)
        self.depth = depth

    def leaf_sum(self, x: np.ndarray) -> float:
        at = self.start
        for _ in range(self.depth):
            at = np.where(x[self.feature[at]] <= self.threshold[at], self.left[at], self.right[at])
        return float(self.value[at].sum())


def _depth(t: Tree) -> int:
    """Levels below the root (children follow their parent, so one pass in order)."""
    below = [0] * len(t.feature)
    for i in range(len(t.feature) - 1, -1, -1):
        if t.feature[i] >= 0:
            below[i] = 1 + max(below[t.left[i]], below[t.right[i]])
    return below[0] if below else 0


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def from_json(text: str, *, expected_features: tuple[str, ...]) -> TreeModel:
    """Parse and check a model trained on `expected_features` or on the first of them; anything
    wrong is ModelInvalid, never another exception."""
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ModelInvalid(f"not a {FORMAT} model")
        features = tuple(doc["features"])
        # Features are only appended (risk/features.py), so a model trained before the newest
        # ones still scores today's rows: its trees index the features it knows.
        if not features or features != expected_features[: len(features)]:
            raise ModelInvalid("the model was trained on other features than these")
        trees = tuple(_tree(t, len(features)) for t in doc["trees"])
        model = TreeModel(features, float(doc["base"]), float(doc["rate"]), trees)
        model.score([0.0] * len(features))  # walks every tree once: no cycles, no bad index
        return model
    except ModelInvalid:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise ModelInvalid(f"unreadable model: {exc}") from None


def _tree(raw: Any, n_features: int) -> Tree:
    feature, threshold, left, right, value = raw
    tree = Tree(
        tuple(int(v) for v in feature),
        tuple(float(v) for v in threshold),
        tuple(int(v) for v in left),
        tuple(int(v) for v in right),
        tuple(float(v) for v in value),
    )
    n = len(tree.feature)
    if not n or any(len(col) != n for col in (tree.threshold, tree.left, tree.right, tree.value)):
        raise ModelInvalid("a tree's columns differ in length")
    for i, f in enumerate(tree.feature):
        if f >= n_features:
            raise ModelInvalid("a tree splits on a feature the model does not have")
        # Children come after their parent in scikit-learn's layout: this rules out cycles.
        if f >= 0 and not (i < tree.left[i] < n and i < tree.right[i] < n):
            raise ModelInvalid("a tree's children point outside it")
    return tree


def from_sklearn(estimator: Any, features: tuple[str, ...]) -> TreeModel:
    """Export a fitted binary GradientBoostingClassifier (log-loss) through its public trees."""
    trees = []
    for (regressor,) in estimator.estimators_:
        t = regressor.tree_
        trees.append(
            Tree(
                tuple(
                    int(f) if c != -1 else -1
                    for f, c in zip(t.feature, t.children_left, strict=True)
                ),
                tuple(float(v) for v in t.threshold),
                tuple(int(v) for v in t.children_left),
                tuple(int(v) for v in t.children_right),
                tuple(float(v) for v in t.value[:, 0, 0]),
            )
        )
    # The prior's log-odds: the raw score of any row less what the trees add to it.
    probe = [[0.0] * len(features)]
    partial = TreeModel(features, 0.0, float(estimator.learning_rate), tuple(trees))
    tree_sum = partial.rate * partial._flat.leaf_sum(np.asarray(probe[0], np.float32))
    base = float(estimator.decision_function(probe)[0]) - tree_sum
    return TreeModel(features, base, partial.rate, tuple(trees))
