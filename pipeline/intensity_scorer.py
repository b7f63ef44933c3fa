"""How upset, among complaints: a linear scorer over the head, two text regressions, risk and cues of anger.

The regression head gets the level of a complaint about right (MAE 0.11 on the corpus test split) but
orders negative complaints only moderately (Spearman 0.59): a short CPU fine-tuning teaches the encoder
"negative" much better than "how negative". What sets a furious customer apart from a mildly annoyed one
(insults, "estafa", shouted words, exclamation marks, a threat to leave, sue or post) is what text
regressions, the risk heads and a few counts see, so the scorer stacks them on the head's output:

- a ridge regression from the folder's TF-IDF features (lexical.joblib) onto sentiment_score, fitted on
  train (the "lexical" input);
- a ridge regression from character and word n-grams, fitted on the train texts labelled negative only
  (pipeline/tone_ngrams.py, the "negative_ngrams" input): the input that orders complaints best on its own;
- a standardised ridge regression over `FEATURES`, fitted on the dev texts labelled negative, because
  ordering complaints is the job; it scores the texts the classifier labels negative, and every other
  text keeps the head's score.

Both are plain arrays in ``intensity.npz`` (no pickle), fitted by pipeline/intensity_tuning.py. Folders
without the file keep the score their config.json names (head, mapping or polarity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import spmatrix

from pipeline.folding import fold
from pipeline.inference import Probabilities
from pipeline.intensity import polarity
from pipeline.taxonomy import TONE_WORDS
from pipeline.tone_ngrams import ToneNgrams


def _whole_words(alternatives: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern of whole words; each match of any alternative counts once."""
    return re.compile(r"\b(" + "|".join(alternatives) + r")\b")


# Words of anger and of calm (`tone:` in pipeline/taxonomy.yaml), counted on case- and accent-folded text.
_ANGER = _whole_words(TONE_WORDS.anger)
_CALM = _whole_words(TONE_WORDS.calm)
_SHOUTED = re.compile(r"\b[A-ZÁÉÍÓÚÜÑ]{3,}\b")

# Every input the scorer weighs, in this order.
FEATURES: tuple[str, ...] = (
    "head",  # the regression head's output
    "lexical",  # the TF-IDF ridge regression's estimate
    "polarity",  # P(positive) - P(negative)
    "p_negative",
    "p_positive",
    "churn",  # risk probabilities
    "legal",
    "public",
    "causes",  # number of causes detected
    "exclamations",  # log(1 + count) of "!" and "¡"
    "capital_share",  # share of letters in upper case
    "shouted_words",  # log(1 + words of 3+ capitals)
    "anger_words",
    "calm_words",
    "words",  # log(1 + words)
    "questions",  # log(1 + "?" and "¿")
    "negative_ngrams",  # the n-gram regression fitted on complaints only (pipeline/tone_ngrams.py)
)
# Scorer files written before the n-gram regression existed name every input but the last.
_BEFORE_NGRAMS = FEATURES[:-1]


HEAD = FEATURES.index("head")  # the column every text not labelled negative keeps


def surface_features(texts: list[str]) -> dict[str, np.ndarray]:
    """Counts a reader notices before the words: "!", capitals, anger and calm words, length, questions."""
    rows = []
    for text in texts:
        letters = [c for c in text if c.isalpha()]
        folded = fold(text)
        rows.append(
            (
                np.log1p(text.count("!") + text.count("¡")),
                min(0.5, sum(c.isupper() for c in letters) / max(1, len(letters))),
                np.log1p(len(_SHOUTED.findall(text))),
                np.log1p(len(_ANGER.findall(folded))),
                np.log1p(len(_CALM.findall(folded))),
                np.log1p(len(text.split())),
                np.log1p(text.count("?") + text.count("¿")),
            )
        )
    table = np.array(rows, dtype=np.float64).reshape(len(texts), 7)
    names = ("exclamations", "capital_share", "shouted_words", "anger_words", "calm_words", "words", "questions")
    return {name: table[:, j] for j, name in enumerate(names)}


@dataclass(frozen=True)
class ScorerInputs:
    """What the scorer reads for a list of texts, besides the texts themselves."""

    probs: Probabilities
    sentiments: list[str]
    risks: list[str]
    cause_cut: np.ndarray  # per-cause thresholds, for the number of causes detected
    lexical_features: spmatrix  # the folder's TF-IDF features of the texts


def lexical_estimate(weights: np.ndarray, intercept: float, features: spmatrix) -> np.ndarray:
    return np.asarray(features @ weights, dtype=np.float64).reshape(-1) + intercept


def feature_table(inputs: ScorerInputs, texts: list[str], lexical: np.ndarray, ngrams: np.ndarray) -> np.ndarray:
    """The `FEATURES` columns for ``texts``; ``lexical`` and ``ngrams`` are the two text regressions' estimates."""
    probs = inputs.probs
    if probs.intensity is None:
        raise ValueError("the intensity scorer reads the regression head, but this model gives no intensity output")
    sentiment = {label: probs.sentiment[:, j] for j, label in enumerate(inputs.sentiments)}
    zeros = np.zeros(len(texts))
    columns = {
        "head": np.clip(probs.intensity.astype(np.float64), -1.0, 1.0),
        "lexical": lexical,
        "polarity": polarity(probs.sentiment, inputs.sentiments),
        "p_negative": sentiment.get("negative", zeros),
        "p_positive": sentiment.get("positive", zeros),
        **{risk: probs.risk[:, j] for j, risk in enumerate(inputs.risks)},
        "causes": (probs.causes >= inputs.cause_cut).sum(axis=1),
        **surface_features(texts),
        "negative_ngrams": ngrams,
    }
    return np.column_stack([np.asarray(columns.get(name, zeros), dtype=np.float64) for name in FEATURES])


def labelled_negative(probs: Probabilities, sentiments: list[str]) -> np.ndarray:
    """Rows the classifier labels negative: the ones the scorer orders (the label stays the classifier's)."""
    if "negative" not in sentiments:
        return np.zeros(len(probs.sentiment), dtype=bool)
    return probs.sentiment.argmax(axis=1) == sentiments.index("negative")


def linear_scores(
    table: np.ndarray, negative: np.ndarray, mean: np.ndarray, scale: np.ndarray, weights: np.ndarray, intercept: float
) -> np.ndarray:
    """The linear stage on the ``negative`` rows, kept in [-1, 0] (their label says negative); the head elsewhere."""
    raw = ((table - mean) / scale) @ weights + intercept
    return np.where(negative, np.clip(raw, -1.0, 0.0), table[:, HEAD]).astype(np.float64)


@dataclass(frozen=True)
class IntensityScorer:
    """The fitted regressions as arrays; `score` applies them (see the module docstring)."""

    lexical_weights: np.ndarray  # TF-IDF ridge over the lexical model's features
    lexical_intercept: float
    mean: np.ndarray  # standardisation of the FEATURES columns, from the dev negatives
    scale: np.ndarray
    weights: np.ndarray  # ridge over the standardised columns
    intercept: float
    ngrams: ToneNgrams = field(default_factory=ToneNgrams.empty)

    def table(self, inputs: ScorerInputs, texts: list[str]) -> np.ndarray:
        lexical = lexical_estimate(self.lexical_weights, self.lexical_intercept, inputs.lexical_features)
        return feature_table(inputs, texts, lexical, self.ngrams.estimate(texts))

    def score_table(self, table: np.ndarray, negative: np.ndarray) -> np.ndarray:
        return linear_scores(table, negative, self.mean, self.scale, self.weights, self.intercept)

    def score(self, inputs: ScorerInputs, texts: list[str]) -> np.ndarray:
        """sentiment.score: the scorer on texts labelled negative, the head elsewhere."""
        return self.score_table(self.table(inputs, texts), labelled_negative(inputs.probs, inputs.sentiments))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """What intensity.npz stores; ``features`` lets a later version refuse a file it cannot read."""
        return {
            "features": np.array(FEATURES),
            "lexical_weights": self.lexical_weights.astype(np.float32),
            "lexical_intercept": np.array(self.lexical_intercept),
            "mean": self.mean,
            "scale": self.scale,
            "weights": self.weights,
            "intercept": np.array(self.intercept),
            **self.ngrams.to_arrays("ngrams_"),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> IntensityScorer:
        """A file from before the n-gram regression loads with that input weighed 0: it scores as it always did."""
        stored = tuple(str(name) for name in arrays["features"])
        mean, scale, weights = (np.asarray(arrays[name], dtype=np.float64) for name in ("mean", "scale", "weights"))
        if stored == _BEFORE_NGRAMS:
            mean, scale, weights = np.append(mean, 0.0), np.append(scale, 1.0), np.append(weights, 0.0)
            ngrams = ToneNgrams.empty()
        elif stored == FEATURES:
            ngrams = ToneNgrams.from_arrays(arrays, "ngrams_")
        else:
            raise ValueError(f"the intensity scorer was fitted on inputs {list(stored)}; this version reads {FEATURES}")
        return cls(
            lexical_weights=np.asarray(arrays["lexical_weights"], dtype=np.float32),
            lexical_intercept=float(arrays["lexical_intercept"]),
            mean=mean,
            scale=scale,
            weights=weights,
            intercept=float(arrays["intercept"]),
            ngrams=ngrams,
        )
