"""alt-profanity-check's offensive score, computed from its model's weights without scikit-learn.

The model is a TF-IDF vectoriser (word unigrams, lower case, English stop words, L2 norm) feeding a
linear SVM calibrated by five sigmoids (CalibratedClassifierCV, cv=5); the score is the mean of the five
calibrated probabilities. That is a dictionary lookup, a dot product and five logistic functions per
text, which pure Python does in microseconds, while importing scikit-learn to unpickle the model takes
about 0.7 s: most of a one-file lint with the tone policies on.

So the weights are extracted once, with scikit-learn, and kept as JSON in the lint cache folder, keyed by
the sha256 of the model's files; later runs read that file. tests/test_offensive.py proves the scores
equal the library's to 1e-9 on thousands of texts. A model whose shape is not the one above (a new
alt-profanity-check) is scored by the library itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from postops.repo.fsutil import write_atomic

FORMAT = 1
MODEL_FILES = ("vectorizer.joblib", "model.joblib")

Scorer = Callable[[Sequence[str]], list[float]]


class LinearModel:
    """TF-IDF + calibrated linear SVM, from plain numbers."""

    def __init__(self, weights: dict[str, Any]) -> None:
        self.token = re.compile(weights["token_pattern"])
        self.lowercase: bool = weights["lowercase"]
        # word -> (idf, coefficient of each of the calibrated SVMs)
        self.vocabulary: dict[str, list[float]] = weights["vocabulary"]
        self.intercepts: list[float] = weights["intercepts"]
        self.sigmoids: list[tuple[float, float]] = [(a, b) for a, b in weights["sigmoids"]]

    def __call__(self, texts: Sequence[str]) -> list[float]:
        return [self.score(text) for text in texts]

    def score(self, text: str) -> float:
        if self.lowercase:
            text = text.lower()
        counts = Counter(token for token in self.token.findall(text) if token in self.vocabulary)
        weighted = [(count * self.vocabulary[token][0], self.vocabulary[token]) for token, count in counts.items()]
        norm = math.sqrt(sum(w * w for w, _ in weighted))
        total = 0.0
        for k, (intercept, (a, b)) in enumerate(zip(self.intercepts, self.sigmoids, strict=True)):
            decision = sum((w / norm) * row[k + 1] for w, row in weighted) + intercept if norm else intercept
            total += 1.0 / (1.0 + math.exp(a * decision + b))
        return total / len(self.intercepts)


def model_folder() -> Path | None:
    """The folder of alt-profanity-check's model files, found without importing the package (its import
    loads scikit-learn)."""
    spec = importlib.util.find_spec("profanity_check")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if all((folder / name).is_file() for name in MODEL_FILES) else None


def load_scorer(cache_dir: Path | None) -> Scorer:
    """The fastest scorer available: cached weights, else weights extracted now (and cached), else the
    library's own predict_prob."""
    folder = model_folder()
    if folder is None:
        return _library_scorer()
    digest = hashlib.sha256()
    for name in MODEL_FILES:
        digest.update((folder / name).read_bytes())
    cached = cache_dir / "tone" / f"offensive-{FORMAT}-{digest.hexdigest()[:20]}.json" if cache_dir else None
    if cached is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            return LinearModel(json.loads(cached.read_text(encoding="utf-8")))
    weights = extract_weights()
    if weights is None:
        return _library_scorer()
    if cached is not None:
        with contextlib.suppress(OSError):
            write_atomic(cached, json.dumps(weights))
    return LinearModel(weights)


def extract_weights() -> dict[str, Any] | None:
    """The numbers the model computes with, or None when it is not the model this module knows."""
    from profanity_check.profanity_check import model, vectorizer  # noqa: PLC0415 - imports scikit-learn

    params = vectorizer.get_params()
    expected = {"analyzer": "word", "binary": False, "ngram_range": (1, 1), "norm": "l2", "preprocessor": None,
                "strip_accents": None, "sublinear_tf": False, "tokenizer": None, "use_idf": True,
                "input": "content"}
    if any(params.get(key) != value for key, value in expected.items()):
        return None
    calibrated = model.calibrated_classifiers_
    if (type(model).__name__ != "CalibratedClassifierCV" or list(model.classes_) != [0, 1]
            or any(c.method != "sigmoid" or len(c.calibrators) != 1 or c.estimator.coef_.shape[0] != 1
                   for c in calibrated)):
        return None
    stop_words = vectorizer.get_stop_words() or frozenset()
    if any(word in stop_words for word in vectorizer.vocabulary_):
        return None  # stop words are dropped before lookup: a vocabulary holding one would score differently
    idf = vectorizer.idf_
    coefs = [c.estimator.coef_[0] for c in calibrated]
    return {
        "format": FORMAT,
        "token_pattern": vectorizer.token_pattern,
        "lowercase": bool(vectorizer.lowercase),
        "vocabulary": {word: [float(idf[i]), *(float(coef[i]) for coef in coefs)]
                       for word, i in vectorizer.vocabulary_.items()},
        "intercepts": [float(c.estimator.intercept_[0]) for c in calibrated],
        "sigmoids": [[float(c.calibrators[0].a_), float(c.calibrators[0].b_)] for c in calibrated],
    }


def _library_scorer() -> Scorer:
    from profanity_check import predict_prob  # noqa: PLC0415 - imports scikit-learn

    return lambda texts: [float(p) for p in predict_prob(list(texts))]
