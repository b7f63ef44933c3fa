"""Which language a message is in, so text that is not Spanish is flagged instead of silently labelled.

The model was trained on Spanish only; its causes for an English or Catalan message, or for keyboard
noise, are guesses that look like answers. lingua (a maintained offline detector with its own n-gram
models) names the language. Its confidence alone is not enough for complaints: short, accent-less or
Spanglish messages ("pedí la hamburguesa SIN cebolla ... vino con cebolla" scores 0.97 Portuguese) are
common in real traffic. So a message that uses Spanish-only function words ("aunque", "nadie",
"todavía"), or whose words are more common in Spanish than in lingua's pick (wordfreq's frequency
lists), counts as Spanish; a message whose words are not ordinary words of any language is `und`. Measured:
5 of the 3,377 corpus messages are flagged (all mostly-English es-US messages such as "why nobody
answers the phone?? 2 horas marcando") and none of the 1,745 real reviews and posts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from spacy.lang.ca import stop_words as ca_stop
from spacy.lang.en import stop_words as en_stop
from spacy.lang.es import stop_words as es_stop
from spacy.lang.fr import stop_words as fr_stop
from spacy.lang.it import stop_words as it_stop
from spacy.lang.pt import stop_words as pt_stop
from wordfreq import available_languages, zipf_frequency

from pipeline.schema import LanguageGuess

# Spanish and the languages complaints to a Spanish-speaking helpdesk most often come in instead, or that
# share most of its spelling (Portuguese, Catalan, Galician-like Italian): enough to tell them apart
# without loading every model (the full set costs about 1 GB of memory).
CANDIDATES = (
    Language.SPANISH,
    Language.ENGLISH,
    Language.PORTUGUESE,
    Language.CATALAN,
    Language.FRENCH,
    Language.ITALIAN,
    Language.GERMAN,
    Language.BASQUE,
    Language.DUTCH,
)
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Spanish function words that are not function words of any other candidate language ("que", "la", "no"
# are shared with Catalan, Portuguese or Italian and prove nothing).
SPANISH_MARKERS = frozenset(
    w
    for w in es_stop.STOP_WORDS
    if len(w) > 1 and not any(w in other.STOP_WORDS for other in (ca_stop, pt_stop, it_stop, fr_stop, en_stop))
)
MIN_MARKERS = 2
MIN_MARKER_SHARE = 0.12
# A word counts as an ordinary word of a language from Zipf frequency 2 (about once per 100 million words).
KNOWN_ZIPF = 2.0
WORDFREQ_LANGUAGES = frozenset(available_languages())
MIN_KNOWN_SHARE = 0.34


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*CANDIDATES).build()


def _words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(unicodedata.normalize("NFC", text))]


def has_letters(text: str) -> bool:
    """Whether there is anything to read: "12345", "!!!???" and a zero-width space have no letters."""
    return any(ch.isalpha() for ch in text)


def spanish_marker_share(words: list[str]) -> tuple[int, float]:
    """Distinct Spanish-only function words, and the share of all words that are such words."""
    hits = [w for w in words if w in SPANISH_MARKERS]
    return len(set(hits)), len(hits) / max(len(words), 1)


def word_fit(words: list[str], code: str) -> tuple[float, float]:
    """Mean Zipf frequency of the words in a language, and the share of them that are ordinary words there.

    lingua reads letter n-grams, which short and accent-less Spanish often resembles Italian or Portuguese
    in ("El tecnico no vino" scores 0.64 Italian); whether the words are common words of a language, from
    wordfreq's lists, settles those cases and tells keyboard noise ("asdkj qwe zzxv") from language.
    """
    if not words or code not in WORDFREQ_LANGUAGES:
        return 0.0, 0.0
    zipfs = [zipf_frequency(w, code) for w in words]
    return sum(zipfs) / len(zipfs), sum(z >= KNOWN_ZIPF for z in zipfs) / len(zipfs)


def detect_language(text: str) -> LanguageGuess:
    """The message's language with a confidence in [0, 1]; ``spanish`` says whether the model can read it."""
    if not has_letters(text):
        return LanguageGuess(code=None, confidence=0.0, spanish=False)
    values = detector().compute_language_confidence_values(text)
    scores = {v.language: v.value for v in values}
    best = values[0].language if values else Language.SPANISH
    best_code = best.iso_code_639_1.name.lower()
    words = _words(text)
    distinct, share = spanish_marker_share(words)
    marked_spanish = distinct >= MIN_MARKERS and share >= MIN_MARKER_SHARE
    spanish_fit, spanish_known = word_fit(words, "es")
    best_fit, best_known = word_fit(words, best_code) if best != Language.SPANISH else (spanish_fit, spanish_known)
    if len(words) >= 2 and max(spanish_known, best_known) < MIN_KNOWN_SHARE:
        # Letters that read as no language in particular: keyboard noise, codes, a string of names.
        return LanguageGuess(code="und", confidence=round(1.0 - max(spanish_known, best_known), 3), spanish=False)
    if best == Language.SPANISH or marked_spanish or spanish_fit >= best_fit:
        confidence = max(scores.get(Language.SPANISH, 0.0), min(1.0, share / 0.3) if marked_spanish else 0.0)
        confidence = max(confidence, spanish_known if spanish_fit >= best_fit else 0.0)
        return LanguageGuess(code="es", confidence=round(confidence, 3), spanish=True)
    return LanguageGuess(code=best_code, confidence=round(scores.get(best, 0.0), 3), spanish=False)
