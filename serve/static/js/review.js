/* Reviewing the agent's draft (/v1/review): the score, each finding highlighted in the draft's text and
   listed with its suggestion. */

import { api } from "./api.js";
import { $, el, setBusy, showError } from "./dom.js";
import { findingName, labelsOrNothing } from "./labels.js";
import { replyOptions } from "./policy.js";
import { state } from "./state.js";

/* Offsets from the server count Unicode code points (Python), JS strings count UTF-16 units:
   work on an array of code points so emoji never shift a highlight. */
function highlighted(text, findings) {
  const chars = Array.from(text);
  const spans = findings
    .map((finding, index) => ({ ...finding, number: index + 1 }))
    .filter((f) => f.end > f.start && f.start < chars.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out = el("div", { class: "marked", id: "review-marked" });
  let cursor = 0;
  for (const span of spans) {
    if (span.start < cursor) continue; // overlapping finding: listed below, not highlighted twice
    const end = Math.min(span.end, chars.length);
    if (span.start > cursor) out.append(document.createTextNode(chars.slice(cursor, span.start).join("")));
    // The finding number is drawn by CSS (mark::after) so the marked text stays exactly the draft.
    out.append(el("mark", { "data-kind": span.kind, "data-n": span.number, title: `${findingName(span.kind)}: ${span.message}` },
      chars.slice(span.start, end).join("")));
    cursor = end;
  }
  if (cursor < chars.length) out.append(document.createTextNode(chars.slice(cursor).join("")));
  return out;
}

function findingList(findings) {
  if (!findings.length) {
    return el("p", { class: "all-good", id: "review-findings", text: "Sin observaciones: el borrador cubre los siete pasos." });
  }
  return el("ol", { class: "findings", id: "review-findings" },
    findings.map((finding, index) => {
      const absent = !(finding.end > finding.start);
      return el("li", { class: `finding${absent ? " finding-absent" : ""}`, "data-kind": finding.kind },
        el("p", { class: "finding-title" },
          el("span", { class: "finding-num", "aria-hidden": "true", text: String(index + 1) }),
          el("span", { class: "finding-name", text: findingName(finding.kind) }),
          absent ? el("span", { class: "badge badge-off", text: "falta" }) : null),
        el("p", { class: "finding-msg", text: finding.message }),
        el("p", { class: "finding-tip" }, el("strong", { text: "Sugerencia: " }), finding.suggestion));
    }));
}

function renderReview(review, draftText) {
  const findings = review.findings || [];
  const score = Math.round(review.score);
  const tier = score >= 85 ? "good" : score >= 60 ? "fair" : "poor";
  $("review-result").replaceChildren(el("div", { class: "review" },
    el("div", {},
      el("p", { class: "score" },
        el("span", { class: `score-value score-${tier}`, id: "review-score", text: String(score) }),
        el("span", { class: "muted", text: "/ 100 · puntuación del borrador" })),
      highlighted(draftText, findings)),
    el("div", {}, el("h3", { class: "section-title", text: `Observaciones (${findings.length})` }), findingList(findings))));
}

async function review() {
  const draft = $("draft-body").value;
  const error = $("review-error");
  showError(error, "");
  if (!draft.trim()) {
    showError(error, "El borrador está vacío: escriba la respuesta antes de revisarla.");
    $("draft-body").focus();
    return;
  }
  const body = { draft, ...replyOptions() };
  if (state.channel) body.channel = state.channel;
  if (!body.sector && state.policySector) body.sector = state.policySector;
  if (state.complaint.trim()) body.complaint = state.complaint;
  const name = state.analysis && state.analysis.entities && state.analysis.entities.customer_name;
  if (name) body.customer_name = name;
  const button = $("review");
  setBusy(button, true);
  try {
    const [result] = await Promise.all([api("/v1/review", { method: "POST", json: body }), labelsOrNothing()]);
    renderReview(result, draft);
    const first = document.querySelector("#review-marked mark");
    if (first) first.parentElement.scrollTop = Math.max(0, first.offsetTop - first.parentElement.offsetTop - 40);
  } catch (err) {
    showError(error, err.message);
  } finally {
    setBusy(button, false);
  }
}

export function setupReview() {
  $("review").addEventListener("click", review);
}
