/* quejas triage page: correcting an analysis. The agent removes or adds causes, changes the sentiment
   and the risks, and saves the correction (POST /v1/feedback); the reply copied afterwards is recorded as
   the one finally sent, and saving again updates the same record (PATCH /v1/feedback/{id}). app.js announces each analysis and each copy with the
   events "quejas:analysis" and "quejas:copied" and lends its API client, DOM builder and display names as window.quejas.
   Text is only ever inserted with textContent, never as HTML. */
"use strict";

(() => {
  const { api, el, SENTIMENTS, RISKS } = window.quejas;
  const $ = (id) => document.getElementById(id);
  const state = { labels: null, analysis: null, text: "", causes: [], savedId: null, reply: null };

  const display = (id) => {
    const cause = state.labels && state.labels.causes.find((c) => c.id === id);
    return cause ? cause.display : id;
  };

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
      el("span", { text: display(id) }),
      el("button", { type: "button", class: "chip-remove", "aria-label": `Quitar ${display(id)}`, title: "Quitar", text: "×" }))));
    if (!state.causes.length) list.append(el("li", { class: "muted small", text: "Sin causas: no es una queja." }));
    const select = $("fix-add-cause");
    const free = state.labels ? state.labels.causes.filter((c) => !state.causes.includes(c.id)) : [];
    select.replaceChildren(el("option", { value: "", text: free.length ? "Añadir una causa…" : "Todas las causas están elegidas" }),
      ...free.map((c) => el("option", { value: c.id, text: c.display, title: c.description })));
    select.disabled = !free.length;
  }

  function show(analysis, text) {
    state.analysis = analysis;
    state.text = text;
    state.causes = analysis.causes.map((c) => c.id);
    state.savedId = null;
    state.reply = null;
    $("fix-sentiment").value = analysis.sentiment.label;
    for (const [id] of RISKS) $(`fix-risk-${id}`).checked = Boolean(analysis.risk[id]);
    renderCauses();
    setStatus("", "");
    $("correction-card").hidden = false;
  }

  function body() {
    const analysis = state.analysis;
    return {
      text: state.text,
      prediction: {
        model: analysis.model,
        causes: analysis.causes.map((c) => ({ id: c.id, score: c.score })),
        sentiment: analysis.sentiment.label,
        sentiment_score: analysis.sentiment.score,
        risks: RISKS.map(([id]) => id).filter((id) => analysis.risk[id]),
      },
      causes: state.causes,
      sentiment: $("fix-sentiment").value,
      risks: RISKS.map(([id]) => id).filter((id) => $(`fix-risk-${id}`).checked),
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
    if (state.savedId === null) return;  // sent with the correction when it is saved
    try {
      await api(`/v1/feedback/${state.savedId}`, { method: "PATCH", json: { final_reply: text } });
      setStatus("Respuesta enviada guardada con la corrección.", "saved");
    } catch (err) {
      setStatus(err.message, "error");
    }
  }

  async function loadLabels() {
    try {
      state.labels = await api("/v1/labels");
      if (state.analysis) renderCauses();
    } catch {
      setTimeout(loadLabels, 3000);  // the key may not be entered yet
    }
  }

  function setup() {
    $("fix-sentiment").replaceChildren(...Object.entries(SENTIMENTS).map(([id, name]) => el("option", { value: id, text: name })));
    $("fix-risks").append(...RISKS.map(([id, name]) => el("label", { class: "check" },
      el("input", { type: "checkbox", id: `fix-risk-${id}`, value: id }), ` ${name}`)));
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
    loadLabels();
  }

  document.addEventListener("DOMContentLoaded", setup);
})();
