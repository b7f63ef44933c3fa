"""The intensity scorer: fitted after training, stored in the folder, applied at run time; folders without it load."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml
from scipy.sparse import csr_matrix
from test_intensity import _with_config
from typer.testing import CliRunner

from pipeline.analyzer import Analyzer
from pipeline.cli import app
from pipeline.inference import Probabilities
from pipeline.intensity import choose_source
from pipeline.intensity_scorer import FEATURES, IntensityScorer, ScorerInputs, linear_scores, surface_features
from pipeline.intensity_tuning import SCORER_ALPHAS, cross_fitted_scorer
from pipeline.model_folder import INTENSITY_FILE, ModelFolder, ModelFolderError
from pipeline.taxonomy import TAXONOMY_PATH, TONE_WORDS, TaxonomyError, _parse_tone, parse_taxonomy
from pipeline.tone_ngrams import ToneNgrams

COMPLAINTS = [
    "Llevo tres semanas esperando el pedido 4451982 y nadie me contesta el teléfono.",
    "me cobraron dos veces la cuota y nadie me devuelve el dinero",
    "El técnico no vino y tampoco avisaron, otra vez sin internet toda la tarde.",
    "Pedí una pizza y llegó fría, una hora tarde, y el repartidor fue grosero.",
    "Gracias a Paola por resolverlo tan rápido.",
]


def _hand_scorer(folder, weights: dict[str, float], intercept: float = -0.5) -> IntensityScorer:
    """A scorer with chosen weights on unstandardised columns, stored in ``folder`` as training would."""
    width = ModelFolder(folder).load_lexical().features(["x"]).shape[1]
    scorer = IntensityScorer(
        lexical_weights=np.zeros(width, dtype=np.float32),
        lexical_intercept=0.0,
        mean=np.zeros(len(FEATURES)),
        scale=np.ones(len(FEATURES)),
        weights=np.array([weights.get(name, 0.0) for name in FEATURES]),
        intercept=intercept,
    )
    ModelFolder(folder).save_intensity(scorer.to_arrays())
    return scorer


def _inputs(texts: list[str], negative: bool = True, risk: float = 0.1) -> ScorerInputs:
    n = len(texts)
    sentiment = np.tile([0.8, 0.15, 0.05] if negative else [0.1, 0.2, 0.7], (n, 1))
    probs = Probabilities(
        causes=np.full((n, 2), 0.9),
        sentiment=sentiment,
        risk=np.full((n, 3), risk),
        intensity=np.full(n, -0.4, dtype=np.float32),
    )
    return ScorerInputs(
        probs, ["negative", "neutral", "positive"], ["churn", "legal", "public"], np.full(2, 0.5), csr_matrix((n, 4))
    )


# ------------------------------------------------------------------------------------------ the features


def test_surface_features_count_what_a_reader_notices():
    table = surface_features(
        [
            "Buenas tardes, el pedido llegó algo tarde, gracias por revisarlo.",
            "¡¡ES UNA VERGÜENZA!! Una estafa, INACEPTABLE!",
        ]
    )
    assert table["exclamations"][1] == pytest.approx(np.log1p(5)) and table["exclamations"][0] == 0
    assert table["shouted_words"][1] == pytest.approx(np.log1p(3))  # UNA, VERGÜENZA, INACEPTABLE ("ES" is short)
    assert table["anger_words"][1] == pytest.approx(np.log1p(3))  # folded: vergüenza, estafa, inaceptable
    assert table["anger_words"][0] == 0 and table["calm_words"][0] == pytest.approx(np.log1p(1))
    assert table["capital_share"][1] == 0.5 and table["capital_share"][0] < 0.05  # capped: shouting is shouting


def test_the_anger_and_calm_words_are_the_ones_in_taxonomy_yaml():
    """The word lists are data (`tone:`); every plain word listed there is counted, once, and nothing else is."""
    raw = yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))["tone"]
    assert (tuple(raw["anger"]), tuple(raw["calm"])) == (TONE_WORDS.anger, TONE_WORDS.calm)
    for name, words in (("anger_words", raw["anger"]), ("calm_words", raw["calm"])):
        plain = [w for w in words if re.fullmatch(r"[a-z ]+", w)]
        assert len(plain) >= 8
        table = surface_features([f"bueno, {word}." for word in plain])
        assert np.allclose(table[name], np.log1p(1)), name
    assert surface_features(["el pedido llego tarde"])["anger_words"][0] == 0


def test_a_bad_or_changed_tone_list_is_refused_naming_the_entry():
    with pytest.raises(TaxonomyError, match=r"tone.anger\[1\] 'hart\(o' is not a valid regular expression"):
        _parse_tone({"anger": ["estafa", "hart(o"], "calm": ["gracias"]})
    with pytest.raises(TaxonomyError, match="tone.calm must be a non-empty list"):
        _parse_tone({"anger": ["estafa"], "calm": []})
    own = "causes:\n  - {id: late, group: operational, display: Tarde, description: x}\n"
    with pytest.raises(TaxonomyError, match="mine.yaml: `tone:` holds the words"):
        parse_taxonomy(own + "tone: {anger: [furia], calm: [calma]}\n", "mine.yaml")
    built_in_tone = yaml.safe_dump({"tone": {"anger": list(TONE_WORDS.anger), "calm": list(TONE_WORDS.calm)}})
    assert parse_taxonomy(own + built_in_tone, "mine.yaml").cause_ids == ["late"]  # a copy of the built-in file


def test_the_score_moves_with_the_features_it_weighs():
    scorer = IntensityScorer(
        lexical_weights=np.zeros(4, dtype=np.float32),
        lexical_intercept=0.0,
        mean=np.zeros(len(FEATURES)),
        scale=np.ones(len(FEATURES)),
        weights=np.array(
            [
                {"anger_words": -0.2, "exclamations": -0.1, "legal": -0.3, "calm_words": 0.1}.get(n, 0.0)
                for n in FEATURES
            ]
        ),
        intercept=-0.4,
    )
    plain, angry, loud, calm = (
        "El pedido llegó tarde.",
        "El pedido llegó tarde, una estafa.",
        "El pedido llegó tarde!!!",
        "El pedido llegó tarde, gracias.",
    )
    texts = [plain, angry, loud, calm]
    scores = scorer.score(_inputs(texts), texts)
    assert scores[0] == pytest.approx(-0.4 - 0.3 * 0.1)
    assert scores[1] < scores[0] and scores[2] < scores[0] and scores[3] > scores[0]
    assert scorer.score(_inputs([plain], risk=0.9), [plain])[0] < scores[0]  # a likely legal threat: more upset
    # Texts the classifier does not label negative keep the head's score, whatever their words.
    assert scorer.score(_inputs(texts, negative=False), texts) == pytest.approx([-0.4] * 4)
    # A negative label keeps a score at or below 0, however calm the words.
    assert (scorer.score(_inputs([calm * 20]), [calm * 20]) <= 0).all()


def test_cross_fitted_dev_scores_never_see_their_own_label():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(60, len(FEATURES)))
    gold = -0.5 + 0.1 * table[:, FEATURES.index("anger_words")]
    gold[-1] = -0.95  # an outlier only a fit that saw it could reach
    table[-1, FEATURES.index("calm_words")] = 25.0  # ...through a column no other row uses
    rows = negative = np.ones(60, dtype=bool)
    out = cross_fitted_scorer(table, gold, rows, negative, alpha=1.0)
    assert out[-1] > -0.8
    assert np.corrcoef(out[:-1], gold[:-1])[0, 1] > 0.8  # the planted signal is learned out of fold


def test_the_ngram_regression_learns_the_wording_of_anger_and_survives_its_arrays():
    calm = ["el pedido {} llegó tarde, ¿me lo pueden revisar?", "me cobraron {} veces la cuota, gracias por mirarlo"]
    angry = ["¡¡VERGÜENZA!! el pedido {} llegó tarde, sois unos ladrones", "me cobraron {} veces, ESTAFA, nunca más"]
    texts = [t.format(n) for n in range(12) for t in calm + angry]
    scores = np.array([-0.4, -0.4, -0.85, -0.85] * 12)
    ngrams = ToneNgrams.fit(texts, scores)
    unseen = ["el envío llegó tarde, ¿lo pueden revisar?", "¡¡VERGÜENZA!! el envío llegó tarde, sois unos ladrones"]
    mild, furious = ngrams.estimate(unseen)
    assert furious < mild - 0.2
    stored = ToneNgrams.from_arrays({k: np.asarray(v) for k, v in ngrams.to_arrays("x_").items()}, "x_")
    assert stored.estimate(unseen) == pytest.approx(ngrams.estimate(unseen), abs=1e-5)
    assert ToneNgrams.empty().estimate(unseen).tolist() == [0.0, 0.0]


def test_a_scorer_file_from_before_the_ngram_regression_scores_as_it_did():
    rng = np.random.default_rng(3)
    old = len(FEATURES) - 1
    mean, scale, weights = rng.normal(size=old), rng.uniform(0.5, 2, size=old), rng.normal(scale=0.05, size=old)
    arrays = IntensityScorer(np.zeros(4, np.float32), 0.1, mean, scale, weights, -0.5).to_arrays()
    arrays = {k: v for k, v in arrays.items() if not k.startswith("ngrams_")}
    arrays["features"] = np.array(FEATURES[:-1])
    scorer = IntensityScorer.from_arrays(arrays)
    texts = ["El pedido llegó tarde.", "¡¡Una ESTAFA!! Llevo tres semanas sin respuesta."]
    table = scorer.table(_inputs(texts), texts)
    negative = np.ones(len(texts), dtype=bool)
    assert scorer.score_table(table, negative) == pytest.approx(
        linear_scores(table[:, :old], negative, mean, scale, weights, -0.5)
    )


def test_a_scorer_file_of_other_inputs_is_refused():
    arrays = IntensityScorer(np.zeros(2, np.float32), 0.0, np.zeros(17), np.ones(17), np.zeros(17), 0.0).to_arrays()
    arrays["features"] = np.array(["head", "something_new"])
    with pytest.raises(ValueError, match="something_new"):
        IntensityScorer.from_arrays(arrays)


# ------------------------------------------------------------------------------------------ the folder


def test_training_fits_the_scorer_and_records_the_choice(tiny_model):
    folder = ModelFolder(tiny_model)
    config = folder.read_config()
    block = folder.read_metrics()["intensity"]
    assert folder.intensity_file.name == INTENSITY_FILE and folder.intensity_file.exists()
    IntensityScorer.from_arrays(folder.load_intensity())  # plain arrays that load back
    scorer = block["scorer"]
    assert scorer["alpha"] in SCORER_ALPHAS and set(scorer["weights"]) == set(FEATURES)
    against = scorer["against"]  # the head, or the mapping when the step before chose it
    assert against in ("head", "mapping")
    assert scorer["kept"] == (
        choose_source({against: block["dev"][against], "scorer": block["dev"]["scorer"]}) == "scorer"
    )
    assert (config.intensity_source == "scorer") == scorer["kept"] == (block["source"] == "scorer")
    assert block["dev"]["scorer"]["n"] == 80 and block["test"]["scorer"]["n"] == 80
    assert block["test"]["model"] == block["test"][block["source"]]
    assert "Scorer over the head" in (tiny_model / "MODEL_CARD.md").read_text()


def test_the_analyzer_applies_the_scorer_of_the_folder(tiny_model, tmp_path):
    folder = _with_config(tiny_model, tmp_path, intensity_source="scorer")
    _hand_scorer(folder, {"exclamations": -0.1, "anger_words": -0.2})
    texts = [t + suffix for t in COMPLAINTS for suffix in ("", " ¡¡Una estafa!!")]
    analyzer = Analyzer.load(folder, device="cpu")
    assert analyzer.intensity_kind == "scorer"
    probs = analyzer.probabilities(texts)
    negative = probs.sentiment.argmax(axis=1) == analyzer.config.sentiments.index("negative")
    assert negative.any()  # the tiny model labels complaints negative: the rows the scorer orders
    surface = surface_features(texts)
    for row, analysis in enumerate(analyzer.analyze(texts, entities=False)):
        assert analysis.sentiment.score_kind == "intensity"
        if negative[row]:
            expected = -0.5 - 0.1 * surface["exclamations"][row] - 0.2 * surface["anger_words"][row]
        else:
            expected = float(probs.intensity[row])
        assert analysis.sentiment.score == pytest.approx(expected, abs=1e-5)
    for plain, angry in zip(range(0, len(texts), 2), range(1, len(texts), 2)):
        if negative[plain] and negative[angry]:
            assert probs.sentiment_score[angry] < probs.sentiment_score[plain]
    # The encoder alone (no blend, so no TF-IDF features) reads the head, and says so.
    alone = Analyzer.load(folder, device="cpu", blend=False)
    assert alone.intensity_kind == "head"
    np.testing.assert_allclose(
        alone.probabilities(texts).sentiment_score, alone.probabilities(texts).intensity, atol=1e-6
    )


def test_the_onnx_runtime_applies_the_scorer_too(tiny_model, tmp_path):
    folder = _with_config(tiny_model, tmp_path, intensity_source="scorer")
    _hand_scorer(folder, {"head": 0.5, "anger_words": -0.2, "churn": -0.3})
    torch_scores = Analyzer.load(folder, device="cpu").probabilities(COMPLAINTS).sentiment_score
    onnx = Analyzer.load(folder, device="cpu", runtime="onnx")
    assert onnx.intensity_kind == "scorer"
    np.testing.assert_allclose(onnx.probabilities(COMPLAINTS).sentiment_score, torch_scores, atol=1e-3)


def test_a_folder_without_the_scorer_keeps_its_head_and_says_so(tiny_model, tmp_path, tiny_dataset):
    from pipeline.evaluate import model_metrics

    folder = _with_config(tiny_model, tmp_path, intensity_source="head")
    ModelFolder(folder).intensity_file.unlink(missing_ok=True)
    analyzer = Analyzer.load(folder, device="cpu")
    assert analyzer.intensity_scorer is None and analyzer.intensity_kind == "head"
    probs = analyzer.probabilities(COMPLAINTS)
    np.testing.assert_allclose(probs.sentiment_score, np.clip(probs.intensity, -1, 1), atol=1e-6)
    assert all(a.priority for a in analyzer.analyze(COMPLAINTS, entities=False))
    small = tiny_dataset.copy()
    small["test"] = tiny_dataset["test"].select(range(20))
    assert model_metrics(folder, small, device="cpu")["intensity"]["source"] == "head"


def test_a_folder_naming_a_missing_scorer_says_what_is_missing(tiny_model, tmp_path):
    folder = _with_config(tiny_model, tmp_path, intensity_source="scorer")
    ModelFolder(folder).intensity_file.unlink(missing_ok=True)
    with pytest.raises(ModelFolderError, match=INTENSITY_FILE):
        Analyzer.load(folder, device="cpu")


def test_the_intensity_command_adds_the_scorer_to_a_folder_without_it(tiny_model, tiny_dataset, monkeypatch, tmp_path):
    from pipeline import data

    folder = _with_config(tiny_model, tmp_path, intensity_source="head")
    ModelFolder(folder).intensity_file.unlink()
    metrics = ModelFolder(folder).read_metrics()
    metrics["intensity"].pop("scorer")
    ModelFolder(folder).write_metrics(metrics)
    monkeypatch.setattr(data, "load_dataset_dict", lambda: tiny_dataset)
    result = CliRunner().invoke(app, ["intensity", "--model", str(folder), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert ModelFolder(folder).intensity_file.exists()
    block = ModelFolder(folder).read_metrics()["intensity"]
    assert {"head", "mapping", "polarity", "scorer"} <= set(block["dev"]) and "scorer" in block
    assert ModelFolder(folder).read_config().intensity_source == (
        "scorer" if block["scorer"]["kept"] else block["source"]
    )
    assert "scorer" in " ".join(result.output.split())
