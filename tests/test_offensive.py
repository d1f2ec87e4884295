"""The offensive score from the model's weights is alt-profanity-check's own score, without scikit-learn."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("profanity_check")

from postops.lint.offensive import LinearModel, extract_weights, load_scorer

PHRASES = ["Our new report on energy security is out today: https://example.org/r/1 #energy",
           "Eat dirt, losers", "What a STUPID idea!!!", "Thank you to everyone who came 🙏",
           "Nuestro nuevo informe ya está disponible", "shut up and read it", "", "   ", "a", "I I I",
           "f*** this", "Ça va très bien, merci", "@someone you absolute idiot", "idiot idiot idiot idiot",
           "The quick brown fox jumps over the lazy dog", "don't won't can't shouldn't", "🔥🔥🔥", "x" * 500]


def sample_texts(count: int) -> list[str]:
    """Real-looking posts, and random mixtures of the model's own vocabulary (offensive words included),
    stop words, unknown words, case, punctuation and non-ASCII text."""
    from profanity_check.profanity_check import vectorizer

    rng = random.Random(20261201)
    vocabulary = sorted(vectorizer.vocabulary_)
    extra = ["the", "and", "of", "zzqx", "naïve", "Ünïcödé", "ДОБРО", "日本語", "123", "a1b2", "__", "--", "!!!",
             "https://example.org/a?b=c", "#tag", "@user"]
    texts = list(PHRASES)
    while len(texts) < count:
        words = [rng.choice(vocabulary) if rng.random() < 0.7 else rng.choice(extra)
                 for _ in range(rng.randint(1, 60))]
        words = [w.upper() if rng.random() < 0.1 else w.title() if rng.random() < 0.1 else w for w in words]
        texts.append(rng.choice([" ", "  ", ", ", ".\n"]).join(words))
    return texts


@pytest.fixture(scope="module")
def weights() -> dict[str, object]:
    extracted = extract_weights()
    assert extracted is not None, "alt-profanity-check's model no longer has the shape postops reads"
    return extracted


def test_scores_equal_the_librarys_on_thousands_of_texts(weights: dict[str, object]) -> None:
    from profanity_check import predict_prob

    texts = sample_texts(6000)
    expected = [float(p) for p in predict_prob(texts)]
    ours = LinearModel(weights)(texts)
    worst = max(abs(a - b) for a, b in zip(ours, expected, strict=True))
    assert worst < 1e-9
    # the sample covers the whole scale, not only clean text
    assert min(expected) < 0.05 and max(expected) > 0.95
    assert sum(p > 0.5 for p in expected) > 50


def test_weights_survive_json_exactly(weights: dict[str, object]) -> None:
    texts = sample_texts(500)
    assert LinearModel(json.loads(json.dumps(weights)))(texts) == LinearModel(weights)(texts)


def test_cached_weights_are_used_without_importing_scikit_learn(tmp_path: Path) -> None:
    first = load_scorer(tmp_path)
    files = list((tmp_path / "tone").iterdir())
    assert len(files) == 1 and files[0].name.startswith("offensive-")
    probe = ("import sys, json; from pathlib import Path; from postops.lint.offensive import load_scorer; "
             f"s = load_scorer(Path({str(tmp_path)!r})); "
             "print(json.dumps([s(sys.argv[1:]), 'sklearn' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe, *PHRASES[:5]], capture_output=True, text=True, check=True)
    scores, imported = json.loads(done.stdout)
    assert not imported
    assert scores == first(PHRASES[:5])


def test_a_damaged_weights_file_is_extracted_again(tmp_path: Path) -> None:
    load_scorer(tmp_path)
    (cached,) = (tmp_path / "tone").iterdir()
    cached.write_text('{"vocabulary": ')
    assert load_scorer(tmp_path)(["Eat dirt, losers"])[0] > 0.5
    assert json.loads(cached.read_text())["format"] == 1


def test_without_a_cache_folder_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_scorer(None)(["Eat dirt, losers"])[0] > 0.5
    assert list(tmp_path.iterdir()) == []
