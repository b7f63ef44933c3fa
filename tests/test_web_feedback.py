"""Correcting an analysis on the page, in Debian's chromium: the correction is stored, the copied reply is
recorded as the one sent, and the next near-identical complaint comes back with the corrected causes."""

from __future__ import annotations

import pytest
from live_server import LiveServer
from test_feedback_api import TINY_MODEL_MIN_SIMILARITY
from web_fixtures import expect, open_page, settings_for

from pipeline.feedback.store import FeedbackStore

pytest_plugins = ["web_fixtures"]  # the browser and analyzer fixtures

COMPLAINT = (
    "Buenas tardes. El pedido PED-48213 tenía que llegar el lunes y sigue sin aparecer. Llamé tres veces y me "
    "pasaron de un departamento a otro. Si no se soluciona esta semana me doy de baja."
)
NEAR_IDENTICAL = COMPLAINT.replace("PED-48213", "PED-77120")


@pytest.fixture
def store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'feedback.db'}"


@pytest.fixture
def page(browser, tiny_model, analyzer, store_url):
    floor = TINY_MODEL_MIN_SIMILARITY
    settings = settings_for(tiny_model, feedback_url=store_url, feedback_memory_min_similarity=floor)
    with LiveServer(settings, analyzer) as server:
        with open_page(browser, server.url, {"width": 1280, "height": 1000}) as page:
            yield page


def analyse(page, text: str) -> list[str]:
    page.fill("#complaint", text)
    page.click("#analyze")
    expect(page.locator("#correction-card")).to_be_visible()
    expect(page.locator("#analyze")).to_be_enabled()
    return page.locator("#result-causes li.cause").evaluate_all("items => items.map(i => i.dataset.cause)")


def test_correct_save_copy_and_the_next_complaint_changes(page, store_url):
    predicted = analyse(page, COMPLAINT)
    chips = page.locator("#fix-causes li.fix-chip")
    expect(chips).to_have_count(len(predicted))
    while chips.count():  # every chip can be removed
        chips.first.locator(".chip-remove").click()
    expect(page.locator("#fix-causes")).to_contain_text("Sin causas")
    options = page.locator("#fix-add-cause option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    assert len(options) == 14  # any cause of /v1/labels can be added
    chosen = [c for c in options if c not in predicted][:2]
    for cause in chosen:
        page.select_option("#fix-add-cause", cause)
    expect(chips).to_have_count(2)
    page.select_option("#fix-sentiment", "neutral")
    page.check("#fix-risk-legal")
    page.click("#save-correction")
    expect(page.locator("#correction-status")).to_have_text("Corrección guardada.")

    (stored,) = FeedbackStore(store_url).corrections()
    assert stored.causes == chosen and stored.sentiment == "neutral" and "legal" in stored.risks
    assert [c.id for c in stored.prediction.causes] == predicted and stored.final_reply is None

    # Saving again after a second look updates the same record.
    page.uncheck("#fix-risk-legal")
    page.click("#save-correction")
    expect(page.locator("#correction-status")).to_have_text("Corrección guardada.")
    (stored,) = FeedbackStore(store_url).corrections()
    assert "legal" not in stored.risks

    page.fill("#draft-body", "Hola. Su pedido sale hoy con envío urgente; le escribimos mañana para confirmarlo.")
    page.click("#copy")
    expect(page.locator("#correction-status")).to_contain_text("Respuesta enviada guardada")
    (stored,) = FeedbackStore(store_url).corrections()
    assert stored.final_reply.startswith("Hola. Su pedido sale hoy")

    assert sorted(analyse(page, NEAR_IDENTICAL)) == sorted(chosen)


def test_a_failed_save_says_why(page, store_url, tmp_path):
    analyse(page, COMPLAINT)
    error = {"error": {"code": "feedback_unavailable", "message": "El almacén no está disponible.", "details": None}}
    page.route("**/v1/feedback", lambda route: route.fulfill(status=503, json=error))
    page.click("#save-correction")
    expect(page.locator("#correction-status")).to_have_text("El almacén no está disponible.")
    assert FeedbackStore(store_url).count() == 0
