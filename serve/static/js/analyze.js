/* One complaint: send it to /v1/analyze and show the analysis (priority, group, sentiment, confidence,
   language, risks with the phrase that raised them, causes, customer name and references). */

import { api } from "./api.js";
import { groupBadge, priorityBadge, risksOf } from "./badges.js";
import { $, el, percent, setBusy, showError, signed, number } from "./dom.js";
import { renderDraft } from "./draft.js";
import { causeName, confidenceName, labelsOrNothing, riskName, sentimentName } from "./labels.js";
import { replyOptions } from "./policy.js";
import { updateCount } from "./service.js";
import { state } from "./state.js";
import { LANGUAGES, REFERENCE_KINDS } from "./words.js";

function languageLabel(language) {
  if (!language) return "";
  const name = language.code ? LANGUAGES[language.code] || language.code : "sin texto";
  return `Idioma: ${name} (${percent(language.confidence)})`;
}

function scoreTitle(sentiment) {
  return sentiment.score_kind === "polarity"
    ? "P(positivo) − P(negativo): modelo anterior a la intensidad"
    : "Intensidad: de −1 (muy enfadado) a +1 (muy satisfecho)";
}

function summary(analysis) {
  const sentiment = analysis.sentiment;
  const position = ((sentiment.score + 1) / 2) * 100;
  return el("div", { class: "summary" },
    el("div", { class: "stat" },
      el("span", { class: "stat-label", text: "Prioridad" }),
      el("span", {}, priorityBadge(analysis.priority, "result-priority"))),
    el("div", { class: "stat" },
      el("span", { class: "stat-label", text: "Grupo" }),
      el("span", { id: "result-group" }, groupBadge(analysis.group))),
    el("div", { class: "stat" },
      el("span", { class: "stat-label", text: "Sentimiento" }),
      el("span", { class: `sentiment sentiment-${sentiment.label}`, id: "result-sentiment" },
        sentimentName(sentiment.label), " ",
        el("span", { class: "sentiment-score", title: scoreTitle(sentiment), text: signed(sentiment.score) })),
      el("div", { class: "diverging", role: "img", "aria-label": `Puntuación ${signed(sentiment.score)} entre −1 y +1` },
        el("span", { class: "diverging-mark", style: `left: ${position.toFixed(1)}%` }))),
    el("div", { class: "stat" },
      el("span", { class: "stat-label", text: "Confianza" }),
      el("span", { class: `badge badge-confidence-${analysis.confidence}`, id: "result-confidence",
        title: "Cuánto se alejan las causas de los umbrales del modelo",
        text: confidenceName(analysis.confidence) }),
      el("span", { class: "muted small", id: "result-language", text: languageLabel(analysis.language) })));
}

function foreignWarning(language) {
  if (!language || language.spanish) return null;
  return el("p", { class: "alert", id: "result-language-warning", role: "note",
    text: language.code
      ? `El texto no parece estar en español (${LANGUAGES[language.code] || language.code}): las causas son una suposición del modelo, revíselas.`
      : "El texto no contiene letras: no hay nada que analizar." });
}

function riskBadges(risk) {
  return el("div", { class: "badges", id: "result-risks" },
    risksOf(risk).map((id) => {
      const on = Boolean(risk[id]);
      const name = riskName(id);
      const score = risk.scores ? risk.scores[id] : null;
      const cues = (risk.cues || []).filter((cue) => cue.risk === id).map((cue) => `«${cue.text}»`);
      const title = cues.length ? `Por la frase ${cues.join(", ")}`
        : score === null || score === undefined ? null : `Probabilidad ${percent(score)}`;
      return el("span", { class: `badge ${on ? "badge-risk" : "badge-off"}`, title, "data-risk": id, "data-on": String(on) },
        on ? `⚠ ${name}` : `${name}: no`);
    }));
}

function causeList(causes) {
  if (causes.length === 0) {
    return el("p", { class: "empty", id: "result-causes", text: "No se detectó ninguna causa de queja: puede que el texto no sea una queja." });
  }
  return el("ul", { class: "causes", id: "result-causes" },
    causes.map((cause) => el("li", { class: "cause", "data-cause": cause.id },
      el("div", { class: "cause-head" },
        el("span", { class: "cause-line" },
          el("span", { class: "cause-name", text: causeName(cause.id, cause.display) }),
          groupBadge(cause.group)),
        el("span", { class: "cause-score", text: percent(cause.score) })),
      el("div", { class: `bar bar-${cause.group}`, role: "img", "aria-label": `Confianza ${percent(cause.score)}` },
        el("span", { style: `width: ${Math.max(2, cause.score * 100).toFixed(1)}%` })))));
}

function facts(entities) {
  const references = entities.references || [];
  return el("dl", { class: "facts" },
    el("dt", { text: "Cliente" }),
    el("dd", { id: "result-customer" }, entities.customer_name || el("span", { class: "muted", text: "No se ha encontrado el nombre" })),
    el("dt", { text: "Referencias" }),
    el("dd", { id: "result-references" },
      references.length
        ? references.map((ref) => el("span", { class: "chip" }, `${REFERENCE_KINDS[ref.kind] || ref.kind} `, el("code", { text: ref.text })))
        : el("span", { class: "muted", text: "Ninguna" })));
}

function renderAnalysis(analysis) {
  const foreign = foreignWarning(analysis.language);
  $("analysis").replaceChildren(
    summary(analysis),
    ...(foreign ? [foreign] : []),
    el("h3", { class: "section-title", text: "Causas detectadas" }), causeList(analysis.causes),
    el("h3", { class: "section-title", text: "Riesgos" }), riskBadges(analysis.risk),
    el("h3", { class: "section-title", text: "Datos para personalizar" }), facts(analysis.entities || {}),
  );
}

async function analyze() {
  const text = $("complaint").value;
  const error = $("single-error");
  showError(error, "");
  if (!text.trim()) {
    showError(error, "La queja está vacía: escriba o pegue el texto del cliente antes de analizar.");
    $("complaint").focus();
    return;
  }
  const max = state.config && state.config.max_text_chars;
  if (max && text.length > max) {
    showError(error, `La queja tiene ${number(text.length)} caracteres y el máximo es ${number(max)}. Acórtela antes de analizar.`);
    return;
  }
  const channel = document.querySelector('input[name="channel"]:checked').value;
  const tone = document.querySelector('input[name="tone"]:checked').value;
  const button = $("analyze");
  setBusy(button, true);
  $("analysis").setAttribute("aria-busy", "true");
  try {
    const [result] = await Promise.all([
      api("/v1/analyze", { method: "POST", json: { text, channel, tone, ...replyOptions() } }),
      labelsOrNothing(),
    ]);
    state.analysis = result.analysis;
    state.complaint = text;
    renderAnalysis(result.analysis);
    renderDraft(result.draft);
    document.dispatchEvent(new CustomEvent("quejas:analysis", { detail: { analysis: result.analysis, text } }));
  } catch (err) {
    showError(error, err.message);
  } finally {
    setBusy(button, false);
    $("analysis").setAttribute("aria-busy", "false");
  }
}

export function setupAnalyze() {
  const complaint = $("complaint");
  complaint.addEventListener("input", updateCount);
  complaint.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      analyze();
    }
  });
  $("complaint-form").addEventListener("submit", (event) => {
    event.preventDefault();
    analyze();
  });
}
