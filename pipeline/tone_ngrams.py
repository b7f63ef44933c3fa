"""How upset, from the letters and words of a complaint: a TF-IDF ridge fitted on negative complaints only.

The blend's TF-IDF regression (the scorer's "lexical" input) is fitted on every train text, so most of what
it learns is the line between a complaint and a thank-you. Ordering complaints needs what sets one complaint
apart from another, so this regression sees only texts labelled negative. Character n-grams catch what a word
vocabulary splits or misses: "!!!", "NUNCA", "vergüenza" written without its accent, "indignadísima", a
misspelt insult; word pairs catch "otra vez", "nunca más", "tomadura de pelo". Alone, on the dev texts
labelled negative, it orders them better than the regression head (bench/README.md, "How upset").

Stored as plain arrays (vocabularies, idf, weights) inside intensity.npz and rebuilt into scikit-learn
vectorizers on first use, so a model folder never needs pickle for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

# Case is kept for the characters (shouting is a signal) and dropped for the words; both dampen repeats
# (sublinear tf), so one long rant does not outweigh its own vocabulary.
CHAR_NGRAMS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (2, 5), "lowercase": False, "sublinear_tf": True}
WORD_NGRAMS: dict[str, Any] = {"ngram_range": (1, 2), "strip_accents": "unicode", "sublinear_tf": True}
MIN_DF = 2  # an n-gram seen in one training text is that text's, not a sign of anger
ALPHA = 1.0  # ridge penalty; 0.5 to 2 measured alike on dev


def _vectorizer(settings: dict[str, Any], terms: np.ndarray, idf: np.ndarray) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**settings, vocabulary={str(term): i for i, term in enumerate(terms)})
    vectorizer.idf_ = idf
    return vectorizer


def _terms(vectorizer: TfidfVectorizer) -> np.ndarray:
    vocabulary = vectorizer.vocabulary_
    return np.array(sorted(vocabulary, key=vocabulary.__getitem__))


@dataclass(frozen=True)
class ToneNgrams:
    """A ridge regression from character and word n-grams onto sentiment_score, over complaints only."""

    char_terms: np.ndarray
    char_idf: np.ndarray
    word_terms: np.ndarray
    word_idf: np.ndarray
    weights: np.ndarray  # over the character columns, then the word columns
    intercept: float

    @classmethod
    def fit(cls, texts: Sequence[str], scores: np.ndarray, alpha: float = ALPHA) -> ToneNgrams:
        """Fitted on ``texts`` labelled negative with their ``scores``; needs a few dozen to mean anything."""
        from sklearn.linear_model import Ridge

        char = TfidfVectorizer(**CHAR_NGRAMS, min_df=MIN_DF)
        word = TfidfVectorizer(**WORD_NGRAMS, min_df=MIN_DF)
        table = hstack([char.fit_transform(texts), word.fit_transform(texts)]).tocsr()
        ridge = Ridge(alpha=alpha).fit(table, np.asarray(scores, dtype=np.float64))
        return cls(
            char_terms=_terms(char),
            char_idf=char.idf_.astype(np.float32),
            word_terms=_terms(word),
            word_idf=word.idf_.astype(np.float32),
            weights=ridge.coef_.astype(np.float32),
            intercept=float(ridge.intercept_),
        )

    @classmethod
    def empty(cls) -> ToneNgrams:
        """Estimates 0 for every text: what scorer files written before this regression existed carry."""
        nothing = np.zeros(0, dtype=np.float32)
        return cls(np.array([], dtype=str), nothing, np.array([], dtype=str), nothing, nothing, 0.0)

    @cached_property
    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        return (
            _vectorizer(CHAR_NGRAMS, self.char_terms, self.char_idf),
            _vectorizer(WORD_NGRAMS, self.word_terms, self.word_idf),
        )

    def estimate(self, texts: Sequence[str]) -> np.ndarray:
        """The regression's sentiment_score for each text."""
        if not len(self.weights):
            return np.full(len(texts), self.intercept, dtype=np.float64)
        char, word = self._vectorizers
        table = hstack([char.transform(texts), word.transform(texts)]).tocsr()
        return np.asarray(table @ self.weights, dtype=np.float64).reshape(-1) + self.intercept

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}char_terms": self.char_terms,
            f"{prefix}char_idf": self.char_idf,
            f"{prefix}word_terms": self.word_terms,
            f"{prefix}word_idf": self.word_idf,
            f"{prefix}weights": self.weights,
            f"{prefix}intercept": np.array(self.intercept),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> ToneNgrams:
        return cls(
            char_terms=np.asarray(arrays[f"{prefix}char_terms"]),
            char_idf=np.asarray(arrays[f"{prefix}char_idf"], dtype=np.float32),
            word_terms=np.asarray(arrays[f"{prefix}word_terms"]),
            word_idf=np.asarray(arrays[f"{prefix}word_idf"], dtype=np.float32),
            weights=np.asarray(arrays[f"{prefix}weights"], dtype=np.float32),
            intercept=float(arrays[f"{prefix}intercept"]),
        )
