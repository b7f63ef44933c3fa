"""The reply policy file: the shipped one is valid, broken ones fail with a message that says what to fix."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from pipeline.errors import QuejasError
from pipeline.policy import (
    POLICY_PATH,
    PRESETS_DIR,
    Policy,
    PolicyError,
    fill,
    load_policy,
    normalise_tone,
    resolve,
    sector_ids,
)
from pipeline.taxonomy import TAXONOMY


@pytest.fixture(scope="module")
def raw() -> dict:
    return resolve(POLICY_PATH)  # the file merged with the preset it extends


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def broken(tmp_path: Path, raw: dict, change) -> str:
    data = copy.deepcopy(raw)
    change(data)
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, data))
    return str(info.value)


def test_shipped_policy_covers_every_cause():
    policy = load_policy()
    assert set(policy.causes) == set(TAXONOMY.cause_ids)
    assert policy.tone in ("usted", "tú")
    for cause in policy.causes.values():
        assert cause.steps and cause.follow_up_days >= 1
        assert set(cause.remedies) <= set(policy.remedies)


def test_policy_errors_are_value_errors_and_user_fixable_errors():
    assert issubclass(PolicyError, ValueError)
    assert issubclass(PolicyError, QuejasError)  # the CLI prints these as one line, no traceback


def test_missing_cause_names_the_cause_and_what_to_add(tmp_path, raw):
    message = broken(tmp_path, raw, lambda d: d["causes"].pop("billing_error"))
    assert "billing_error" in message and "missing" in message and "add" in message


def test_unknown_cause_names_the_typo_and_the_known_ids(tmp_path, raw):
    def rename(data):
        data["causes"]["biling_error"] = data["causes"].pop("billing_error")

    message = broken(tmp_path, raw, rename)
    assert "biling_error" in message and "unknown" in message
    assert "billing_error" in message  # listed among the known ids / missing causes


def test_unknown_remedy_id(tmp_path, raw):
    message = broken(tmp_path, raw, lambda d: d["causes"]["delay"].__setitem__("remedies", ["voucher"]))
    assert "voucher" in message and "delay" in message and "remedies" in message


def test_remedy_without_text(tmp_path, raw):
    message = broken(tmp_path, raw, lambda d: d["remedies"].pop("discount"))
    users = [cid for cid, c in raw["causes"].items() if "discount" in c.get("remedies", [])]
    assert users and "discount" in message and "remedies" in message and users[0] in message


def test_cause_needs_steps(tmp_path, raw):
    message = broken(tmp_path, raw, lambda d: d["causes"]["delay"].__setitem__("steps", []))
    assert "causes.delay.steps" in message


# --- sector presets and extends ----------------------------------------------------------------

SECTORS = sector_ids()


def test_presets_cover_every_corpus_sector():
    from pipeline.corpus import load_records

    assert {r.sector for r in load_records()} <= set(SECTORS)


@pytest.mark.parametrize("sector", SECTORS)
def test_each_preset_loads_and_speaks_only_its_own_sector(sector):
    """Every text of a preset, filled, is free of other sectors' words (the review's other_sector check)."""
    from pipeline.checks import other_sector_words

    policy = load_policy(PRESETS_DIR / f"{sector}.yaml")
    assert policy.sector == sector and set(policy.causes) == set(TAXONOMY.cause_ids)
    item = fill(policy.item, "usted")
    for where, text, _, _ in policy.texts():
        filled = fill(text, "usted", importe="95 €", percent="15", item=item, found="el documento")
        assert not other_sector_words(filled, sector), (where, filled)
        assert not re.search(r"\b(?:hemos|he)\s+\w+(?:ado|ido)\b", filled) or where.startswith("done."), where


def test_policy_file_extends_a_preset_and_overrides_it(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("extends: hotels\ncompany: Hotel Sol\ncauses:\n  delay:\n    follow_up_days: 4\n", encoding="utf-8")
    policy = load_policy(path)
    assert policy.company == "Hotel Sol" and policy.sector == "hotels"
    assert policy.causes["delay"].follow_up_days == 4
    assert policy.causes["delay"].steps == load_policy(PRESETS_DIR / "hotels.yaml").causes["delay"].steps
    swapped = load_policy(path, sector="banking")
    assert swapped.sector == "banking" and swapped.company == "Hotel Sol"
    assert swapped.causes["delay"].follow_up_days == 4  # the file's own override is kept


def test_unknown_sector_lists_the_known_ones(tmp_path):
    with pytest.raises(PolicyError, match="banking"):
        load_policy(sector="bank")
    path = tmp_path / "policy.yaml"
    path.write_text("extends: shop\ncompany: X\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not a sector preset"):
        load_policy(path)


def test_unknown_placeholder_is_located(tmp_path, raw):
    message = broken(tmp_path, raw, lambda d: d["causes"]["delay"].__setitem__("issue", "el retraso de {nombre}"))
    assert "causes.delay.issue" in message and "{nombre}" in message


def test_vague_promise_in_a_step_is_refused(tmp_path, raw):
    def vague(data):
        data["causes"]["delay"]["steps"] = ["Enviaremos su pedido lo antes posible."]

    message = broken(tmp_path, raw, vague)
    assert "causes.delay.steps[0]" in message and "lo antes posible" in message


def test_self_praise_in_a_remedy_is_refused(tmp_path, raw):
    def praise(data):
        data["remedies"]["priority"] = "nuestro excelente servicio {le} atenderá primero"

    message = broken(tmp_path, raw, praise)
    assert "remedies.priority" in message and "Autoelogio" in message


def test_too_long_step_is_refused(tmp_path, raw):
    message = broken(tmp_path, raw, lambda d: d["causes"]["delay"].__setitem__("steps", ["palabra " * 35]))
    assert "causes.delay.steps[0] has 35 words" in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("tone", "vos", "tone"),
        ("country", "XX", "holidays"),
        ("follow_up_time", "6pm", "HH:MM"),
        ("discount_percent", 0, "discount_percent"),
        ("signature", "{agente}", "signature"),
        ("colour", "blue", "colour"),
    ],
)
def test_bad_settings(tmp_path, raw, key, value, expected):
    message = broken(tmp_path, raw, lambda d: d.__setitem__(key, value))
    assert expected in message


def test_tone_accepts_tu_without_accent(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["tone"] = "tu"
    assert load_policy(write(tmp_path, data)).tone == "tú"
    assert normalise_tone("Usted") == "usted"


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(PolicyError, match="no policy file"):
        load_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("causes: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="mapping"):
        load_policy(bad)


def test_fill_uses_the_tone():
    assert fill("{Le} devolvemos {su}s {importe}", "usted", importe="95 €") == "Le devolvemos sus 95 €"
    assert fill("{Le} devolvemos {su}s {importe}", "tú", importe="95 €") == "Te devolvemos tus 95 €"


def test_policy_model_validates_in_code_too(raw):
    with pytest.raises(ValueError, match="missing"):
        Policy.model_validate({**raw, "causes": {}})


# --- cause variants: the reading of a cause that fits the complaint ---------------------------------


def test_a_variant_replaces_the_fields_it_sets_when_the_complaint_matches():
    policy = load_policy(PRESETS_DIR / "banking.yaml")
    rule = policy.causes["delay"]
    queue = rule.for_complaint("estuve tres horas en la fila de la sucursal y solo habia dos ventanillas")
    assert queue.issue == "la espera en la oficina" and "director de la oficina" in queue.steps[0]
    assert queue.needs_reference is False and queue.follow_up_days == rule.follow_up_days  # the rest stays
    assert rule.for_complaint("la transferencia lleva cinco dias sin llegar") == rule


def test_a_variant_that_sets_the_issue_drops_the_defaults_amount_phrase():
    policy = load_policy(PRESETS_DIR / "insurance.yaml")
    rule = policy.causes["billing_error"]
    assert rule.issue_fact == "el recibo de {importe}"
    franchise = rule.for_complaint("me cobraron una franquicia de 380.000 y era fija")
    assert franchise.issue_fact != "el recibo de {importe}" and "recibo" not in franchise.issue


def test_a_broken_variant_names_its_key(tmp_path, raw):
    def bad_pattern(data):
        data["causes"]["delay"]["variants"] = [{"when": "(sin cerrar", "issue": "el retraso"}]

    assert "causes.delay.variants.0.when" in broken(tmp_path, raw, bad_pattern)

    def vague(data):
        data["causes"]["delay"]["variants"] = [{"when": "pedido", "steps": ["Lo reviso lo antes posible."]}]

    message = broken(tmp_path, raw, vague)
    assert "causes.delay.variants[0].steps[0]" in message and "vaga" in message.lower()

    def unknown_remedy(data):
        data["causes"]["delay"]["variants"] = [{"when": "pedido", "remedies": ["free_lunch"]}]

    assert "free_lunch" in broken(tmp_path, raw, unknown_remedy)


def test_a_variant_can_quote_the_complaints_own_words():
    policy = load_policy(PRESETS_DIR / "clinics.yaml")
    text = "Llamo por el presupuesto del tratamiento. Don Patricio me dijo que me lo mandaba por correo ese día."
    rule = policy.causes["broken_promise"].for_complaint(text)
    assert rule.steps == ["Hoy {le} envío el presupuesto por correo, sin más esperas."]
