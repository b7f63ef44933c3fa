/* "Por revisar": the analysed complaints the model was least sure of that no agent has corrected yet
   (GET /v1/feedback/review-queue). Opening one puts its text in "Una queja" and analyses it there, where
   the correction chips and "Guardar corrección" work as for any complaint; once saved it leaves the list. */

import { api } from "./api.js";
import { $, el, percent, showError } from "./dom.js";
import { causeName, labelsOrNothing } from "./labels.js";

const LIMIT = 50;
const EXCERPT = 220;

function excerpt(text) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT - 1)}…` : flat;
}

function seenAt(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString("es-ES", { dateStyle: "short", timeStyle: "short" });
}

function item(entry) {
  const causes = entry.causes.length ? entry.causes.map((c) => causeName(c.id)).join(", ") : "Sin causas";
  return el("li", { class: "queue-item" },
    el("button", { type: "button", class: "queue-open", "data-id": entry.id, title: "Abrir en «Una queja» para corregirla" },
      el("span", { class: "queue-text", text: excerpt(entry.text) }),
      el("span", { class: "queue-meta muted small" },
        el("span", { class: "queue-uncertainty", text: `Duda ${percent(entry.uncertainty)}` }),
        el("span", { class: "queue-causes", text: causes }),
        el("span", { text: seenAt(entry.seen_at) }))));
}

let entries = [];

async function load() {
  const error = $("queue-error");
  showError(error, "");
  $("queue-list").setAttribute("aria-busy", "true");
  try {
    const [data] = await Promise.all([api(`/v1/feedback/review-queue?limit=${LIMIT}`), labelsOrNothing()]);
    entries = data.items;
    $("queue-list").replaceChildren(...entries.map(item));
    $("queue-empty").hidden = entries.length > 0;
  } catch (err) {
    $("queue-empty").hidden = true;
    showError(error, err.message);
  } finally {
    $("queue-list").setAttribute("aria-busy", "false");
  }
}

function open(id) {
  const entry = entries.find((e) => String(e.id) === id);
  if (!entry) return;
  const complaint = $("complaint");
  complaint.value = entry.text;
  complaint.dispatchEvent(new Event("input"));
  $("tab-single").click();
  $("complaint-form").requestSubmit();
}

export function setupQueue() {
  const tab = $("tab-queue");
  tab.addEventListener("click", load);
  tab.addEventListener("focus", () => {
    if (tab.getAttribute("aria-selected") === "true") load();
  });
  $("queue-refresh").addEventListener("click", load);
  $("queue-list").addEventListener("click", (event) => {
    const button = event.target.closest(".queue-open");
    if (button) open(button.dataset.id);
  });
}
