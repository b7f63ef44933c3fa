"""The "Por revisar" tab in Debian's chromium: the least sure analysed complaints, opened and corrected on the
page, leave the list once the correction is saved."""

from __future__ import annotations

import pytest
from live_server import LiveServer
from test_review_queue import seen
from web_fixtures import expect, open_page, settings_for

from pipeline.feedback.store import FeedbackStore

pytest_plugins = ["web_fixtures"]  # the browser and analyzer fixtures

UNSURE = "El pedido PED-48213 no llega y en el chat me pasaron de un departamento a otro sin solución."
SURE = "Me cobraron dos veces la misma factura."
MARKUP = '<img src=x onerror="document.body.dataset.owned=1"> La tienda cerró antes de la hora anunciada.'


@pytest.fixture
def store_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    FeedbackStore(url).record_seen([seen(SURE, 0.2), seen(UNSURE, 0.9), seen(MARKUP, 0.5)], keep=100)
    return url


@pytest.fixture
def page(browser, tiny_model, analyzer, store_url):
    with LiveServer(settings_for(tiny_model, feedback_url=store_url), analyzer) as server:
        with open_page(browser, server.url, {"width": 1280, "height": 1000}) as page:
            yield page


def test_open_the_least_sure_correct_it_and_it_leaves_the_list(page, store_url):
    page.click("#tab-queue")
    expect(page.locator("#panel-queue")).to_be_visible()
    items = page.locator("#queue-list .queue-open")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text(UNSURE)
    expect(items.first).to_contain_text("Duda 90 %")
    expect(items.nth(1)).to_contain_text(MARKUP)  # shown as text, never as markup
    assert page.locator("#queue-list img").count() == 0
    assert page.evaluate("document.body.dataset.owned") is None

    items.first.click()
    expect(page.locator("#panel-single")).to_be_visible()
    expect(page.locator("#complaint")).to_have_value(UNSURE)
    expect(page.locator("#correction-card")).to_be_visible()
    expect(page.locator("#analyze")).to_be_enabled()
    added = page.locator("#fix-add-cause option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")[0]
    page.select_option("#fix-add-cause", added)
    page.click("#save-correction")
    expect(page.locator("#correction-status")).to_have_text("Corrección guardada.")
    (stored,) = FeedbackStore(store_url).corrections()
    assert stored.text == UNSURE and added in stored.causes

    page.click("#tab-queue")
    expect(items).to_have_count(2)
    expect(page.locator("#queue-list")).not_to_contain_text(UNSURE)


def test_an_empty_queue_and_a_store_failure_are_said(page):
    page.route("**/v1/feedback/review-queue*", lambda route: route.fulfill(status=200, json={"items": []}))
    page.click("#tab-queue")
    expect(page.locator("#queue-empty")).to_be_visible()
    error = {"error": {"code": "feedback_unavailable", "message": "El almacén no está disponible.", "details": None}}
    page.unroute("**/v1/feedback/review-queue*")
    page.route("**/v1/feedback/review-queue*", lambda route: route.fulfill(status=503, json=error))
    page.click("#queue-refresh")
    expect(page.locator("#queue-error")).to_have_text("El almacén no está disponible.")
