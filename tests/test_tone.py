from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from postops.errors import ConfigError
from postops.lint import tone
from postops.lint.tone import TONE_EXTRA_HINT, TONE_FACTS, ToneUnavailable, check_available, tone_facts

SRC = str(Path(tone.__file__).resolve().parents[2])
HEAVY = ("profanity_check", "vaderSentiment", "lingua", "sklearn")

INSULTS = ["Suck it, @amnesty", "Eat dirt, losers"]
CLEAN = "Our new report on energy security is out today"
POSITIVE = "We are thrilled to welcome our new fellows! Great news."
NEGATIVE = "Terrible, tragic loss of life. We condemn this awful attack."
SPANISH = "Nuestro nuevo informe sobre seguridad energética ya está disponible"


def run_python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, *flags, "-c", code], env=env, capture_output=True, text=True,
                          check=False, timeout=120)


def loaded_after(code: str) -> list[str]:
    """Which heavy libraries are in sys.modules after running `code` in a fresh interpreter."""
    probe = f"import sys, json\n{code}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    proc = run_python(probe)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_module_loads_no_library():
    assert loaded_after("import postops.lint.tone") == []


def test_checking_availability_loads_no_library():
    assert loaded_after("import postops.lint.tone as t; t.check_available(t.TONE_FACTS)") == []


def test_only_the_wanted_library_is_loaded():
    code = "import postops.lint.tone as t; r = t.tone_facts(['Great news!'], {'sentiment'}); assert r[0]['sentiment'] > 0"
    assert loaded_after(code) == ["vaderSentiment"]


def test_offensive_scores_insults_high_and_announcements_low():
    *insults, clean = tone_facts([*INSULTS, CLEAN], {"offensive"})
    for text, result in zip(INSULTS, insults, strict=True):
        assert result["offensive"] > 0.5, text
    assert clean["offensive"] < 0.5
    assert all(0 <= r["offensive"] <= 1 for r in [*insults, clean])


def test_offensive_scores_the_whole_batch_in_one_call(monkeypatch):
    tone_facts(["warm up"], {"offensive"})
    calls = []
    real = tone._predict_prob

    def counting(texts):
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(tone, "_predict_prob", counting)
    tone_facts([CLEAN] * 50, {"offensive"})
    assert calls == [50]


def test_sentiment_tells_good_news_from_bad():
    positive, negative, neutral = tone_facts([POSITIVE, NEGATIVE, "The meeting is at 10:00."], {"sentiment"})
    assert positive["sentiment"] > 0.5
    assert negative["sentiment"] < -0.5
    assert -0.2 < neutral["sentiment"] < 0.2


@pytest.mark.xdist_group("language")
def test_language_names_english_and_spanish_and_gives_up_on_noise(language_model):
    results = tone_facts([CLEAN, SPANISH, "xq zzv 123", "zzzz", "🎉🎉🎉", ""], {"language"})
    assert [r["language"] for r in results] == ["en", "es", None, None, None, None]


@pytest.mark.xdist_group("language")
def test_language_ignores_links_handles_and_hashtags(language_model):
    # Left in, the English-looking link and tags outvote three Spanish words, and the Spanish handles
    # outvote three English ones.
    texts = [("Lee nuestro informe https://www.example.org/report-energy-security-download "
              "@ThinkTankNews #EnergySecurity"),
             "Our talk with @gobiernodeespana @ministeriodesalud @presidenciaES"]
    assert [r["language"] for r in tone_facts(texts, {"language"})] == ["es", "en"]


@pytest.mark.xdist_group("language")
def test_batch_keeps_order_and_matches_one_by_one(language_model):
    texts = [INSULTS[1], POSITIVE, SPANISH, NEGATIVE, CLEAN]
    batch = tone_facts(texts, TONE_FACTS)
    assert batch == [tone_facts([text], TONE_FACTS)[0] for text in texts]
    assert tone_facts(texts[::-1], TONE_FACTS) == batch[::-1]
    assert len({r["sentiment"] for r in batch}) == len(texts)  # distinct values, so order is really tested


def test_results_hold_only_the_wanted_facts():
    assert tone_facts([CLEAN, POSITIVE], {"sentiment"})[0].keys() == {"sentiment"}
    assert tone_facts([CLEAN], set()) == [{}]
    assert tone_facts([], TONE_FACTS) == []


def test_unknown_fact_is_a_programming_error():
    with pytest.raises(ValueError, match="mood"):
        tone_facts([CLEAN], {"sentiment", "mood"})


def test_check_available_passes_when_installed_and_ignores_other_facts():
    check_available({"offensive", "sentiment", "language", "words", "mentions"})


def test_check_available_names_missing_package_and_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "lingua", None)  # how Python spells "cannot be imported"
    check_available({"offensive", "sentiment"})
    with pytest.raises(ToneUnavailable) as raised:
        check_available({"sentiment", "language"})
    message = str(raised.value)
    assert "'language'" in message and "lingua-language-detector" in message
    assert "sentiment" not in message
    assert TONE_EXTRA_HINT in message
    assert isinstance(raised.value, ConfigError)


def test_without_the_extra_every_tone_fact_is_reported():
    # -S leaves out site-packages: a Python where the tone extra was never installed.
    code = ("import postops.lint.tone as t\n"
            "try:\n"
            "    t.check_available(['language', 'offensive', 'sentiment'])\n"
            "except t.ToneUnavailable as e:\n"
            "    print(e)\n")
    proc = run_python(code, "-S")
    assert proc.returncode == 0, proc.stderr
    message = proc.stdout
    for name in ["'language'", "'offensive'", "'sentiment'",
                 "lingua-language-detector", "alt-profanity-check", "vaderSentiment"]:
        assert name in message
    assert "pip install 'postops[tone]'" in message


def test_a_library_that_fails_to_import_is_reported_not_raised(monkeypatch):
    monkeypatch.setitem(sys.modules, "profanity_check", None)
    monkeypatch.setattr(tone, "_predict_prob", None)
    with pytest.raises(ToneUnavailable, match=r"'offensive'.*alt-profanity-check.*postops\[tone\]"):
        tone_facts([CLEAN], {"offensive"})
