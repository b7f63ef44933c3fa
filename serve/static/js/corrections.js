/* Correcting an analysis. The agent removes or adds causes, changes the sentiment and the risks, and saves
   the correction (POST /v1/feedback); the reply copied afterwards is recorded as the one finally sent, and
   saving again updates the same record (PATCH /v1/feedback/{id}). The analysis and each copy arrive as
   the events "quejas:analysis" and "quejas:copied" from analyze.js and draft.js. */

import { api } from "./api.js";
import { risksOf } from "./badges.js";
import { $, el } from "./dom.js";
import { causeName, causes, labelsOrNothing, riskIds, riskName, sentimentIds, sentimentName } from "./labels.js";

const state = { analysis: null, text: "", causes: [], savedId: null, reply: null };

function setStatus(message, kind) {
  const status = $("correction-status");
  status.textContent = message;
  status.dataset.kind = kind || "";
}

function changed() {
  setStatus("Cambios sin guardar.", "pending");
}

function renderCauses() {
  const list = $("fix-causes");
  list.replaceChildren(...state.causes.map((id) => el("li", { class: "chip fix-chip", "data-cause": id },
    el("span", { text: causeName(id) }),
    el("button", { type: "button", class: "chip-remove", "aria-label": `Quitar ${causeName(id)}`, title: "Quitar", text: "×" }))));
  if (!state.causes.length) list.append(el("li", { class: "muted small", text: "Sin causas: no es una queja." }));
  const free = causes().filter((c) => !state.causes.includes(c.id));
  const select = $("fix-add-cause");
  select.replaceChildren(el("option", { value: "", text: free.length ? "Añadir una causa…" : "Todas las causas están elegidas" }),
    ...free.map((c) => el("option", { value: c.id, text: c.display, title: c.description })));
  select.disabled = !free.length;
}

/* The sentiment choices and risk boxes, built from /v1/labels once the names are known. */
function renderChoices() {
  if ($("fix-sentiment").options.length === 0) {
    $("fix-sentiment").replaceChildren(...sentimentIds().map((id) => el("option", { value: id, text: sentimentName(id) })));
  }
  if (!$("fix-risks").querySelector("input")) {
    $("fix-risks").append(...riskIds().map((id) => el("label", { class: "check" },
      el("input", { type: "checkbox", id: `fix-risk-${id}`, value: id }), ` ${riskName(id)}`)));
  }
}

const checkedRisks = () => Array.from($("fix-risks").querySelectorAll("input:checked")).map((input) => input.value);

async function show(analysis, text) {
  await labelsOrNothing();
  state.analysis = analysis;
  state.text = text;
  state.causes = analysis.causes.map((c) => c.id);
  state.savedId = null;
  state.reply = null;
  renderChoices();
  $("fix-sentiment").value = analysis.sentiment.label;
  for (const input of $("fix-risks").querySelectorAll("input")) input.checked = Boolean(analysis.risk[input.value]);
  renderCauses();
  setStatus("", "");
  $("correction-card").hidden = false;
}

function body() {
  const analysis = state.analysis;
  const raised = risksOf(analysis.risk).filter((id) => analysis.risk[id]);
  return {
    text: state.text,
    prediction: {
      model: analysis.model,
      causes: analysis.causes.map((c) => ({ id: c.id, score: c.score })),
      sentiment: analysis.sentiment.label,
      sentiment_score: analysis.sentiment.score,
      risks: raised,
    },
    causes: state.causes,
    sentiment: $("fix-sentiment").value,
    risks: checkedRisks(),
    ...(state.reply ? { final_reply: state.reply } : {}),
  };
}

async function save() {
  const button = $("save-correction");
  button.disabled = true;
  try {
    // Saving again updates the same record: one complaint is never counted twice.
    const full = body();
    const stored = state.savedId === null
      ? await api("/v1/feedback", { method: "POST", json: full })
      : await api(`/v1/feedback/${state.savedId}`, { method: "PATCH", json: {
        causes: full.causes, sentiment: full.sentiment, risks: full.risks, ...(state.reply ? { final_reply: state.reply } : {}) } });
    state.savedId = stored.id;
    setStatus(state.reply ? "Corrección y respuesta enviada guardadas." : "Corrección guardada.", "saved");
  } catch (err) {
    setStatus(err.message, "error");
  } finally {
    button.disabled = false;
  }
}

async function copied(text) {
  if (!state.analysis || !text.trim()) return;
  state.reply = text;
  if (state.savedId === null) return; // sent with the correction when it is saved
  try {
    await api(`/v1/feedback/${state.savedId}`, { method: "PATCH", json: { final_reply: text } });
    setStatus("Respuesta enviada guardada con la corrección.", "saved");
  } catch (err) {
    setStatus(err.message, "error");
  }
}

export function setupCorrections() {
  $("fix-causes").addEventListener("click", (event) => {
    const button = event.target.closest(".chip-remove");
    if (!button) return;
    state.causes = state.causes.filter((id) => id !== button.parentElement.dataset.cause);
    renderCauses();
    changed();
    $("fix-add-cause").focus();
  });
  $("fix-add-cause").addEventListener("change", (event) => {
    const id = event.target.value;
    if (!id || state.causes.includes(id)) return;
    state.causes.push(id);
    renderCauses();
    changed();
  });
  $("fix-sentiment").addEventListener("change", changed);
  $("fix-risks").addEventListener("change", changed);
  $("save-correction").addEventListener("click", save);
  document.addEventListener("quejas:analysis", (event) => show(event.detail.analysis, event.detail.text));
  document.addEventListener("quejas:copied", (event) => copied(event.detail.text));
}
