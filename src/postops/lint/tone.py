"""Tone facts: how offensive a text reads, its sentiment and its language.

The models ship inside optional PyPI packages (the `tone` extra) and run locally: nothing is downloaded
and no text leaves the machine. The libraries are slow to import and their models big to load, so this
module imports none of them at import time; each is loaded on first use, once per process, and only when
a policy asks for the fact it provides.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postops.errors import ConfigError

TONE_FACTS: frozenset[str] = frozenset({"offensive", "sentiment", "language"})
TONE_EXTRA_HINT = "pip install 'postops[tone]'"

# Lingua's answer only counts when the best language beats the runner-up by this relative distance.
# Measured on short posts: 0.1 leaves almost no wrong answers while still naming one-line posts; higher
# values mostly turn right answers into None.
LANGUAGE_MIN_RELATIVE_DISTANCE = 0.1
# Below this many letters ("ok", "lol", "zzzz") any language guess is noise.
LANGUAGE_MIN_LETTERS = 5

# Handles, hashtags and links are names, not language: "@amnistia" or "#COP28" would only pull the
# guess towards whichever language their letters happen to resemble.
_NOT_LANGUAGE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+(?:@[\w.-]+)?")


@dataclass(frozen=True)
class _Library:
    module: str  # what find_spec looks for
    package: str  # what pip installs


_LIBRARIES: dict[str, _Library] = {
    "offensive": _Library("profanity_check", "alt-profanity-check"),
    "sentiment": _Library("vaderSentiment", "vaderSentiment"),
    "language": _Library("lingua", "lingua-language-detector"),
}


class ToneUnavailable(ConfigError):
    """A policy refers to a tone fact whose library is not installed."""


def _unavailable(facts: Iterable[str], reason: str = "not installed") -> ToneUnavailable:
    facts = sorted(facts)
    packages = ", ".join(dict.fromkeys(_LIBRARIES[f].package for f in facts))
    names = ", ".join(f"'{f}'" for f in facts)
    noun, verb = ("fact", "needs") if len(facts) == 1 else ("facts", "need")
    return ToneUnavailable(
        f"the {noun} {names} {verb} {packages} ({reason}); install the tone extra: {TONE_EXTRA_HINT}")


def check_available(facts: Iterable[str]) -> None:
    """Raise ToneUnavailable if a library needed for one of `facts` is missing.

    Facts that are not tone facts are ignored, so callers can pass every fact a policy mentions. Only
    looks for the packages: importing them here would cost the load time this module exists to avoid.
    """
    missing = [f for f in set(facts) & TONE_FACTS
               if importlib.util.find_spec(_LIBRARIES[f].module) is None]
    if missing:
        raise _unavailable(missing)


def tone_facts(texts: Sequence[str], wanted: Iterable[str]) -> list[dict[str, float | str | None]]:
    """One dict per text, in order, holding only the `wanted` facts.

    offensive: probability 0..1 that the text is offensive (alt-profanity-check), three decimals.
    sentiment: VADER compound score -1..1, three decimals.
    language: ISO 639-1 code such as "en", or None when the text is too short or ambiguous to tell.
    """
    wanted = set(wanted)
    unknown = wanted - TONE_FACTS
    if unknown:
        raise ValueError(f"not tone facts: {', '.join(sorted(unknown))}")
    results: list[dict[str, float | str | None]] = [{} for _ in texts]
    if not texts:
        return results
    for fact in sorted(wanted):
        for result, value in zip(results, _COMPUTE[fact](texts), strict=True):
            result[fact] = value
    return results


def preload(facts: Iterable[str]) -> None:
    """Load the models for `facts` now: worker processes forked afterwards share them instead of each
    loading its own."""
    for fact in sorted(set(facts) & TONE_FACTS):
        _COMPUTE[fact](["preload"])


# Loaded on first use and kept for the life of the process.
_predict_prob: Callable[[Sequence[str]], Any] | None = None
_model_cache: Path | None = None
_analyzer: Any = None
_detector: Any = None


def use_model_cache(folder: Path | None) -> None:
    """Where derived model data may be kept between runs (the offensive model's weights), or None."""
    global _model_cache
    _model_cache = folder


def _load(fact: str) -> Any:
    try:
        if fact == "offensive":
            from postops.lint.offensive import load_scorer  # noqa: PLC0415 - numbers only: no scikit-learn

            return load_scorer(_model_cache)
        if fact == "sentiment":
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: PLC0415 - when asked
            return SentimentIntensityAnalyzer()
        from lingua import LanguageDetectorBuilder  # noqa: PLC0415 - loads its models: only when asked
        # All languages, high accuracy: low-accuracy mode and a shortlist of languages both answered
        # confidently wrong on short posts (see docs/tone.md for the measurements).
        return (LanguageDetectorBuilder.from_all_languages()
                .with_minimum_relative_distance(LANGUAGE_MIN_RELATIVE_DISTANCE)
                .build())
    except ImportError as error:
        # Present but broken (say a scikit-learn the model was not pickled with) is as unusable as absent.
        raise _unavailable([fact], reason=f"cannot be imported: {error}") from error


def _offensive(texts: Sequence[str]) -> list[float]:
    global _predict_prob
    if _predict_prob is None:
        _predict_prob = _load("offensive")
    return [round(float(p), 3) for p in _predict_prob(list(texts))]


def _sentiment(texts: Sequence[str]) -> list[float]:
    global _analyzer
    if _analyzer is None:
        _analyzer = _load("sentiment")
    # VADER was built for social media: it reads emoji, capitals and "!!!", so it gets the raw text.
    return [round(float(_analyzer.polarity_scores(text)["compound"]), 3) for text in texts]


def _language(texts: Sequence[str]) -> list[str | None]:
    global _detector
    if _detector is None:
        _detector = _load("language")
    cleaned = [" ".join(_NOT_LANGUAGE.sub(" ", text).split()) for text in texts]
    languages: list[str | None] = [None] * len(texts)
    worth_asking = [i for i, text in enumerate(cleaned)
                    if sum(ch.isalpha() for ch in text) >= LANGUAGE_MIN_LETTERS]
    detected = _detector.detect_languages_in_parallel_of([cleaned[i] for i in worth_asking])
    for i, language in zip(worth_asking, detected, strict=True):
        if language is not None:
            languages[i] = language.iso_code_639_1.name.lower()
    return languages


_COMPUTE: dict[str, Callable[[Sequence[str]], Sequence[float | str | None]]] = {
    "offensive": _offensive,
    "sentiment": _sentiment,
    "language": _language,
}
