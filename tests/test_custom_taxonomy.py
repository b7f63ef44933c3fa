"""`quejas train --taxonomy`: a model trained on an organisation's own causes, served, labelled and reported.

One tiny model is trained on three causes that are not in the built-in taxonomy, from an --extra_data file
made of corpus texts relabelled to them; every door (Analyzer, API, `quejas label`, `quejas report`, the
drafts) must then speak those causes and no built-in one.
"""

from __future__ import annotations

import re
import shutil
import time

import pandas as pd
import pytest
import yaml
from batch_runs import label_args
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipeline.analyzer import Analyzer
from pipeline.batch.labelset import labelset_file
from pipeline.cli import app
from pipeline.data import corpus_fits, relabel_causes
from pipeline.model_folder import TAXONOMY_FILE, ModelFolder
from pipeline.own_data import OwnDataError, load_own_records
from pipeline.policy import load_policy
from pipeline.reply import analysis_from_causes, draft_reply
from pipeline.taxonomy import (
    CAUSE_IDS,
    RISK_IDS,
    TAXONOMY,
    TAXONOMY_PATH,
    TaxonomyError,
    load_taxonomy_file,
    parse_taxonomy,
)
from pipeline.training_args import TrainingConfig, TrainingConfigError
from serve.app import create_app
from serve.settings import Settings

runner = CliRunner()
BUILT_IN = yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))
TAXONOMY_PRIORITY = BUILT_IN["priority"]

# Built-in cause -> the organisation's own id for it (the corpus texts are relabelled through this).
OWN_CAUSES = {"delay": "late_delivery", "billing_error": "wrong_charge", "bad_attitude": "rude_staff"}
CUSTOM_YAML = """
causes:
  - id: late_delivery
    group: operational
    display: Entrega tardía
    description: El envío o la cita llega tarde.
  - id: wrong_charge
    group: operational
    display: Cargo erróneo
    description: Se cobró lo que no se debía.
  - id: rude_staff
    group: emotional
    display: Personal grosero
    description: Un empleado trató mal al cliente.
"""


@pytest.fixture(scope="module")
def taxonomy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("taxonomy") / "mis_causas.yaml"
    path.write_text(CUSTOM_YAML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def own_file(tmp_path_factory, corpus_records):
    """120 corpus texts with their causes renamed to the own ids (others dropped), sentiment and risks kept."""
    rows = []
    for record in corpus_records:
        causes = [OWN_CAUSES[c] for c in record.causes if c in OWN_CAUSES]
        if not causes and sum(not r["causes"] for r in rows) >= 20:
            continue
        rows.append(
            {
                "texto": record.text,
                "causes": ";".join(causes),
                "sentiment": record.sentiment,
                **{f"risk_{r}": int(getattr(record.risk, r)) for r in RISK_IDS},
            }
        )
        if len(rows) == 120:
            break
    path = tmp_path_factory.mktemp("own") / "mis_quejas.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def custom_model(tmp_path_factory, tiny_base, tiny_dataset, taxonomy_file, own_file):
    from pipeline.train import train

    config = TrainingConfig(
        base_model=str(tiny_base),
        output_dir=str(tmp_path_factory.mktemp("custom-models")),
        version="custom",
        max_length=64,
        batch_size=16,
        epochs=2,
        max_steps=12,
        update_latest=False,
        device="cpu",
        head_learning_rate=5e-3,
        frozen_layers=1,
        taxonomy=str(taxonomy_file),
        extra_data=[str(own_file)],
    )
    # The corpus slice is passed as the CLI would pass the corpus: a taxonomy it cannot teach leaves it out.
    return train(config, tiny_dataset, corpus_hash="test").folder


@pytest.fixture(scope="module")
def analyzer(custom_model):
    return Analyzer.load(custom_model, device="cpu")


@pytest.fixture(scope="module")
def client(custom_model, tmp_path_factory):
    # A store of its own: corrections with these causes are not for the other tests' models.
    store = f"sqlite:///{tmp_path_factory.mktemp('custom-feedback') / 'feedback.db'}"
    settings = Settings(
        model_path=custom_model, device="cpu", max_text_chars=2000, max_items=8, max_wait_ms=5, feedback_url=store
    )
    with TestClient(create_app(settings)) as c:
        deadline = time.time() + 120
        while c.get("/health/ready").status_code != 200:
            assert time.time() < deadline, c.get("/health/ready").json()
            time.sleep(0.05)
        yield c


TEXTS = [
    "Llevo tres semanas esperando el pedido y nadie me dice nada.",
    "Me cobraron dos veces la misma factura.",
    "La dependienta me gritó y me trató fatal.",
]


# ------------------------------------------------------------------------------------------ the file


def test_a_custom_file_takes_the_sections_it_leaves_out_from_the_built_in_taxonomy(taxonomy_file):
    custom = load_taxonomy_file(taxonomy_file)
    assert custom.cause_ids == list(OWN_CAUSES.values())
    assert custom.cause("rude_staff").display == "Personal grosero"
    assert custom.risk_ids == RISK_IDS and custom.sentiments == TAXONOMY.sentiments and custom.groups == TAXONOMY.groups
    # The built-in priority rule, without the causes this taxonomy lacks: they add no points.
    assert custom.priority is not None and custom.priority.causes == {}
    assert custom.priority.risks == TAXONOMY.priority.risks
    assert custom.group_of(["late_delivery", "rude_staff"]) == "mixed"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda raw: raw["causes"].append(dict(raw["causes"][0])), "'late_delivery' is repeated"),
        (lambda raw: raw["causes"][1].update(group="billing"), r"causes\[1\] \('wrong_charge'\) has group 'billing'"),
        (lambda raw: raw["causes"][2].pop("display"), r"causes\[2\] \('rude_staff'\) lacks display"),
        (lambda raw: raw["causes"][0].update(id="Late Delivery"), r"causes\[0\].*snake_case"),
        (lambda raw: raw.update(causes=[]), "non-empty list under `causes:`"),
        (lambda raw: raw.update(labels={}), "unknown section"),
        (lambda raw: raw.update(sentiments={"bad": "Malo"}), "sentiments"),
        (
            lambda raw: raw.update(priority={**TAXONOMY_PRIORITY, "causes": {"delay": 1}}),
            "priority rule names unknown labels: cause 'delay'",
        ),
    ],
)
def test_a_bad_taxonomy_is_refused_naming_the_file_and_the_entry(tmp_path, mutate, message):
    raw = yaml.safe_load(CUSTOM_YAML)
    mutate(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message) as caught:
        load_taxonomy_file(path)
    assert str(path) in str(caught.value)


def test_a_custom_priority_section_is_used(tmp_path):
    raw = yaml.safe_load(CUSTOM_YAML)
    raw["priority"] = {**TAXONOMY_PRIORITY, "causes": {"late_delivery": 3}}
    custom = parse_taxonomy(yaml.safe_dump(raw, allow_unicode=True), "mine.yaml")
    assert custom.priority is not None and custom.priority.causes == {"late_delivery": 3}


def test_cli_reports_a_bad_taxonomy_file_in_one_line(tmp_path):
    raw = yaml.safe_load(CUSTOM_YAML)
    raw["causes"][1]["id"] = "late_delivery"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["train", "--taxonomy", str(path)])
    assert result.exit_code == 1
    assert "'late_delivery' is repeated" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


# ------------------------------------------------------------------------------------------ the data


def test_own_data_is_checked_against_the_taxonomy_trained(tmp_path, taxonomy_file):
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"texto": ["llegó tarde", "me cobraron de más"], "causes": ["late_delivery", "billing_error"]}).to_csv(
        path, index=False
    )
    custom = load_taxonomy_file(taxonomy_file)
    with pytest.raises(OwnDataError, match=r"line 3: causes: unknown id\(s\) 'billing_error'; valid: late_delivery"):
        load_own_records([str(path)], taxonomy=custom)
    with pytest.raises(OwnDataError, match=r"line 2: causes: unknown id\(s\) 'late_delivery'"):
        load_own_records([str(path)])  # the built-in taxonomy knows billing_error, not late_delivery


def test_a_taxonomy_the_corpus_cannot_teach_needs_own_records(tiny_dataset, taxonomy_file):
    from pipeline.train import for_taxonomy

    config = TrainingConfig(taxonomy=str(taxonomy_file), device="cpu")
    with pytest.raises(TrainingConfigError, match="--extra_data"):
        for_taxonomy(config, tiny_dataset, config.labels())


def test_a_taxonomy_that_extends_the_built_in_one_keeps_the_corpus(tiny_dataset):
    raw = yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))
    raw["causes"].insert(1, {"id": "app_crash", "group": "operational", "display": "La app falla", "description": "x"})
    extended = parse_taxonomy(yaml.safe_dump(raw, allow_unicode=True), "extended.yaml")
    assert corpus_fits(extended) and not corpus_fits(parse_taxonomy(CUSTOM_YAML, "mine.yaml"))
    moved = relabel_causes(tiny_dataset, extended)
    before, after = tiny_dataset["train"]["cause_labels"], moved["train"]["cause_labels"]
    new = extended.cause_ids.index("app_crash")
    assert all(len(row) == len(CAUSE_IDS) + 1 and row[new] == 0.0 for row in after)
    for cause in CAUSE_IDS:
        j, k = CAUSE_IDS.index(cause), extended.cause_ids.index(cause)
        assert [row[j] for row in before] == [row[k] for row in after]


# ------------------------------------------------------------------------------------------ the model


def test_the_folder_carries_its_taxonomy(custom_model):
    folder = ModelFolder(custom_model)
    assert (custom_model / TAXONOMY_FILE).is_file()
    stored = folder.read_taxonomy()
    assert stored.cause_ids == list(OWN_CAUSES.values()) and stored.cause("late_delivery").display == "Entrega tardía"
    assert folder.read_config().causes == stored.cause_ids
    metrics = folder.read_metrics()
    assert set(metrics["test"]["per_cause_f1"]) == set(OWN_CAUSES.values())
    assert metrics["own_data"]["corpus"] is False and "keywords" not in metrics.get("baselines", {})
    assert "Personal grosero" in folder.model_card_file.read_text(encoding="utf-8")


def test_the_analyzer_returns_only_the_custom_causes(analyzer):
    assert analyzer.taxonomy.cause_ids == list(OWN_CAUSES.values())
    probs = analyzer.probabilities(TEXTS)
    assert probs.causes.shape == (3, 3)
    analyses = analyzer.analyze(TEXTS * 3)
    found = {c.id for a in analyses for c in a.causes}
    assert found and found <= set(OWN_CAUSES.values())
    names = {c.id: c.display for a in analyses for c in a.causes}
    assert all(names[c] == analyzer.taxonomy.cause(c).display for c in names)


def test_an_old_folder_without_a_taxonomy_loads_with_the_built_in_labels(tiny_model, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(tiny_model, old)
    (old / TAXONOMY_FILE).unlink()
    loaded = Analyzer.load(old, device="cpu")
    assert loaded.taxonomy is TAXONOMY
    assert {c.id for c in loaded.analyze_one(TEXTS[0]).causes} <= set(CAUSE_IDS)


# ------------------------------------------------------------------------------------------ the API


def test_labels_serve_the_custom_names(client):
    labels = client.get("/v1/labels").json()
    assert [(c["id"], c["display"]) for c in labels["causes"]] == [
        ("late_delivery", "Entrega tardía"),
        ("wrong_charge", "Cargo erróneo"),
        ("rude_staff", "Personal grosero"),
    ]
    assert "score_rude_staff" in labels["labelled_columns"] and "score_delay" not in labels["labelled_columns"]


def test_classify_and_reply_speak_the_custom_causes(client):
    result = client.post("/v1/classify", json={"texts": TEXTS})
    assert result.status_code == 200, result.text
    ids = {c["id"] for r in result.json()["results"] for c in r["causes"]}
    assert ids <= set(OWN_CAUSES.values())
    analysis = result.json()["results"][0]
    analysis["causes"] = [{"id": "late_delivery", "group": "operational", "display": "Entrega tardía", "score": 0.9}]
    reply = client.post("/v1/reply", json={"text": TEXTS[0], "analysis": analysis})
    assert reply.status_code == 200, reply.text
    assert "[ACCIÓN: qué haremos sobre «Entrega tardía»]" in reply.json()["draft"]["body"]


def test_reply_refuses_a_built_in_cause_the_model_lacks(client):
    analysis = client.post("/v1/classify", json={"text": TEXTS[0]}).json()["results"][0]
    analysis["causes"] = [{"id": "delay", "group": "operational", "display": "Retrasos", "score": 0.9}]
    response = client.post("/v1/reply", json={"text": TEXTS[0], "analysis": analysis})
    assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_cause"
    assert "late_delivery" in response.json()["error"]["message"]


def feedback(causes: list[str]) -> dict:
    return {
        "text": TEXTS[1],
        "prediction": {"model": {"name": "m", "version": "v"}, "causes": []},
        "causes": causes,
        "sentiment": "negative",
        "risks": [],
    }


def test_feedback_takes_the_custom_ids_and_refuses_built_in_ones(client):
    accepted = client.post("/v1/feedback", json=feedback(["wrong_charge"]))
    assert accepted.status_code == 201, accepted.text
    refused = client.post("/v1/feedback", json=feedback(["billing_error"]))
    assert refused.status_code == 422
    assert "wrong_charge" in refused.json()["error"]["message"]


# ------------------------------------------------------------------------------------------ label, report, draft


def label(model, tmp_path, name: str = "etiquetado.csv"):
    """`quejas label` of TEXTS (x4) with ``model``: the output path and the command's result."""
    source = tmp_path / "entrada.csv"
    pd.DataFrame({"texto": TEXTS * 4}).to_csv(source, index=False)
    labelled = tmp_path / name
    result = runner.invoke(app, label_args(source, labelled, model))
    assert result.exit_code == 0, result.output
    return labelled, result


def test_label_writes_the_custom_columns_and_report_reads_them(custom_model, tmp_path):
    labelled, result = label(custom_model, tmp_path)
    frame = pd.read_csv(labelled, dtype=str, keep_default_na=False)
    scores = [c for c in frame.columns if c.startswith("score_")]
    assert scores == [f"score_{c}" for c in OWN_CAUSES.values()]
    assert labelset_file(labelled).is_file() and "label set" in result.output
    custom = ModelFolder(custom_model).read_taxonomy()
    out = tmp_path / "resumen.csv"
    report = runner.invoke(app, ["report", str(labelled), "-o", str(out)])
    assert report.exit_code == 0, report.output
    table = pd.read_csv(out, keep_default_na=False)
    found = {c for v in frame["causes"] if v for c in v.split(";")}
    assert set(table["id"]) == found and found <= set(OWN_CAUSES.values())
    # Without --model the file's own label set (written beside it by `quejas label`) names and groups its causes.
    assert set(table["causa"]) == {custom.cause(c).display for c in found}
    assert set(table["grupo"]) == {custom.groups[custom.cause(c).group] for c in found}
    named = tmp_path / "nombrado.csv"
    assert runner.invoke(app, ["report", str(labelled), "-o", str(named), "--model", str(custom_model)]).exit_code == 0
    assert set(pd.read_csv(named)["causa"]) == {custom.cause(c).display for c in found}
    html = tmp_path / "informe.html"
    assert runner.invoke(app, ["report", str(labelled), "-o", str(html), "--model", str(custom_model)]).exit_code == 0
    if "late_delivery" in found:
        assert "Entrega tardía" in html.read_text(encoding="utf-8")


def one_line_error(result) -> str:
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def test_report_refuses_a_model_whose_causes_are_not_the_files(custom_model, tiny_model, tmp_path):
    custom_labelled, _ = label(custom_model, tmp_path, "propio.csv")
    built_in_labelled, _ = label(tiny_model, tmp_path, "general.csv")
    out = str(tmp_path / "informe.md")
    refused = runner.invoke(app, ["report", str(custom_labelled), "-o", out, "--model", str(tiny_model)])
    assert "propio.csv was labelled with causes late_delivery, rude_staff, wrong_charge" in one_line_error(refused)
    # A file without a label set (the built-in model's) says which causes labelled it through its score columns.
    refused = runner.invoke(app, ["report", str(built_in_labelled), "-o", out, "--model", str(custom_model)])
    assert "general.csv was labelled with causes bad_attitude" in one_line_error(refused)
    # A label set that is not the file's own (copied beside the wrong file) is refused, not trusted.
    labelset_file(built_in_labelled).write_bytes(labelset_file(custom_labelled).read_bytes())
    refused = runner.invoke(app, ["report", str(built_in_labelled), "-o", out])
    assert "belongs to another labelling run" in one_line_error(refused)


def test_a_built_in_model_writes_no_label_set_and_drops_a_stale_one(custom_model, tiny_model, tmp_path):
    labelled, _ = label(custom_model, tmp_path)
    assert labelset_file(labelled).is_file()
    labelled, result = label(tiny_model, tmp_path)  # the same output, labelled again by the built-in model
    assert not labelset_file(labelled).exists() and "label set" not in result.output
    out = tmp_path / "resumen.csv"
    assert runner.invoke(app, ["report", str(labelled), "-o", str(out)]).exit_code == 0
    named = dict(zip(pd.read_csv(out)["id"], pd.read_csv(out)["causa"]))
    assert named and all(name == TAXONOMY.cause_display(cause) for cause, name in named.items())


# ------------------------------------------------------------------------------------------ priority

RENAMED_LEVELS = [
    {"id": "P1", "min_points": 0, "display": "Crítica", "description": "Todo mensaje es urgente aquí."},
    {"id": "P2", "min_points": 0, "display": "Seria", "description": "-"},
    {"id": "P3", "min_points": 0, "display": "Corriente", "description": "-"},
    {"id": "P4", "min_points": 0, "display": "Sin prisa", "description": "-"},
]


def test_a_priority_section_may_only_rename_the_levels(taxonomy_file):
    """Fields a `priority:` section leaves out are the built-in ones, minus points for causes the set lacks."""
    raw = yaml.safe_load(CUSTOM_YAML)
    raw["priority"] = {"levels": RENAMED_LEVELS}
    rule = parse_taxonomy(yaml.safe_dump(raw, allow_unicode=True), "mine.yaml").priority
    assert rule is not None and [lv.display for lv in rule.levels] == ["Crítica", "Seria", "Corriente", "Sin prisa"]
    assert rule.intensity == TAXONOMY.priority.intensity and rule.risks == TAXONOMY.priority.risks
    assert rule.complaint == TAXONOMY.priority.complaint and rule.causes == {}


def levels_with(index: int, **change) -> list[dict]:
    levels = [dict(level) for level in TAXONOMY_PRIORITY["levels"]]
    levels[index].update(change)
    return levels


@pytest.mark.parametrize(
    ("priority", "message"),
    [
        ({"causes": {"broken_promise": 2}}, r"cause 'broken_promise' \(priority.causes takes .*late_delivery"),
        ({"causes": {"late_delivery": "mucho"}}, "priority.causes.late_delivery must be a whole number"),
        ({"risks": {"churn": True}}, "priority.risks.churn must be a whole number"),
        ({"intensity": [{"at_most": -5, "points": 1}]}, r"priority.intensity\[0\].at_most must be a score"),
        ({"intensity": [{"below": -0.5}]}, r"priority.intensity\[0\] must be"),
        ({"levels": levels_with(1, display=" ")}, r"priority.levels\[1\] \('P2'\) lacks display"),
        ({"levels": levels_with(2, min_points=5)}, "priority level P3 has min_points 5, more than P2's 4"),
        ({"levels": levels_with(3, min_points=1)}, "level P4 has min_points 1"),
        ({"levels": levels_with(0, id="P0")}, "must be P1, P2, P3, P4 in that order"),
        ({"levels": levels_with(0, colour="red")}, r"priority.levels\[0\] \('P1'\) has unknown field\(s\) colour"),
        ({"weights": {}}, r"priority has unknown field\(s\) weights"),
        ({"levels": []}, "priority.levels must list the levels"),
        ({"causes_cap": 1.5}, "priority.causes_cap must be a whole number"),
    ],
)
def test_a_bad_priority_section_is_refused_in_one_line_naming_the_entry(tmp_path, priority, message):
    raw = yaml.safe_load(CUSTOM_YAML)
    raw["priority"] = priority
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message) as caught:
        load_taxonomy_file(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)
    result = runner.invoke(app, ["train", "--taxonomy", str(path)])
    assert re.search(message, one_line_error(result))


@pytest.fixture(scope="module")
def renamed_levels_model(tiny_model, tmp_path_factory):
    """The tiny built-in model with a taxonomy whose priority rule names its own levels and puts all at P1."""
    folder = tmp_path_factory.mktemp("renamed") / "model"
    shutil.copytree(tiny_model, folder)
    raw = dict(BUILT_IN, priority={"levels": RENAMED_LEVELS})
    ModelFolder(folder).write_taxonomy(parse_taxonomy(yaml.safe_dump(raw, allow_unicode=True), "renamed.yaml"))
    return folder


def test_analyze_shows_the_models_own_priority_levels(renamed_levels_model):
    analyses = Analyzer.load(renamed_levels_model, device="cpu").analyze(TEXTS + ["Muchas gracias por todo."])
    assert {a.priority for a in analyses} == {"P1"}  # the built-in rule would leave the thanks at P4
    result = runner.invoke(app, ["analyze", TEXTS[0], "--model", str(renamed_levels_model), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "P1 · Crítica" in result.output and "P1 · Urgente" not in result.output


def test_label_and_report_show_the_models_own_priority_levels(renamed_levels_model, tmp_path):
    labelled, result = label(renamed_levels_model, tmp_path)
    assert set(pd.read_csv(labelled)["priority"]) == {"P1"}
    assert re.search(r"priority: P1 · Crítica\s*│\s*12\b", result.output), result.output
    for name in ("informe.md", "informe.html"):
        out = tmp_path / name
        report = runner.invoke(app, ["report", str(labelled), "-o", str(out)])
        assert report.exit_code == 0, report.output
        text = out.read_text(encoding="utf-8")
        assert "P1 · Crítica" in text and "P1 · Urgente" not in text, name


def test_the_api_serves_the_models_own_priority_levels(renamed_levels_model, tmp_path):
    store = f"sqlite:///{tmp_path / 'feedback.db'}"
    settings = Settings(model_path=renamed_levels_model, device="cpu", max_items=8, max_wait_ms=5, feedback_url=store)
    with TestClient(create_app(settings)) as c:
        deadline = time.time() + 120
        while c.get("/health/ready").status_code != 200:
            assert time.time() < deadline, c.get("/health/ready").json()
            time.sleep(0.05)
        priorities = c.get("/v1/labels").json()["priorities"]
        assert [(p["id"], p["display"]) for p in priorities][:2] == [("P1", "Crítica"), ("P2", "Seria")]
        result = c.post("/v1/classify", json={"texts": ["Muchas gracias por todo."]})
        assert result.status_code == 200 and result.json()["results"][0]["priority"] == "P1"


def test_a_cause_without_reply_steps_gets_a_placeholder_step(taxonomy_file):
    custom = load_taxonomy_file(taxonomy_file)
    analysis = analysis_from_causes(["rude_staff", "wrong_charge"], taxonomy=custom)
    for channel in ("email", "chat"):
        draft = draft_reply(analysis, load_policy(), channel=channel, complaint_text=TEXTS[2])
        assert "[ACCIÓN: qué haremos sobre «Personal grosero»]" in draft.body, draft.body
    assert "Personal grosero" in draft_reply(analysis, load_policy()).subject


def test_feedback_stats_and_export_use_the_model_taxonomy(custom_model, tmp_path):
    import json

    from pipeline.feedback.models import Correction, PredictedCause, Prediction
    from pipeline.feedback.store import FeedbackStore
    from pipeline.schema import ModelInfo

    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    store = FeedbackStore(url)
    prediction = Prediction(model=ModelInfo(name="m", version="1"), causes=[PredictedCause(id="rude_staff", score=0.7)])
    store.add(Correction(text=TEXTS[1], prediction=prediction, causes=["wrong_charge"], sentiment="negative"))
    store.close()
    stats = runner.invoke(app, ["feedback", "stats", "--url", url, "--model", str(custom_model), "--json"])
    assert stats.exit_code == 0, stats.output
    per_cause = json.loads(stats.output)["per_cause"]
    assert set(per_cause) == set(OWN_CAUSES.values())
    assert per_cause["wrong_charge"]["added"] == 1 and per_cause["rude_staff"]["removed"] == 1
    out = tmp_path / "correcciones.jsonl"
    export = runner.invoke(app, ["feedback", "export", "-o", str(out), "--url", url, "--model", str(custom_model)])
    assert export.exit_code == 0, export.output
    assert json.loads(out.read_text(encoding="utf-8"))["group"] == "operational"


def test_the_memory_of_a_model_skips_corrections_made_for_other_causes(tiny_model, tmp_path):
    """One store may outlive a model: a correction naming causes the model lacks must not vote 'no cause'."""
    from pipeline.feedback.memory import CorrectionMemory, model_key
    from pipeline.feedback.models import Correction, Prediction
    from pipeline.feedback.store import FeedbackStore
    from pipeline.schema import ModelInfo

    store = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.db'}")
    prediction = Prediction(model=ModelInfo(name="m", version="1"), causes=[])
    store.add(Correction(text=TEXTS[0], prediction=prediction, causes=["delay"], sentiment="negative"))
    store.add(Correction(text=TEXTS[1], prediction=prediction, causes=["wrong_charge"], sentiment="negative"))
    built_in = Analyzer.load(tiny_model, device="cpu")
    memory = CorrectionMemory(store, model_key(built_in.config), built_in.config.causes, built_in.embeddings)
    memory.sync()
    assert len(memory) == 1
    store.close()
