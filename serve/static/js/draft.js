/* The reply draft: shown for editing, copied to the clipboard (announced as "quejas:copied" so the
   correction can record the reply actually sent). */

import { $, el, showError } from "./dom.js";
import { state } from "./state.js";
import { CHANNELS, STEPS } from "./words.js";

export function renderDraft(draft) {
  $("draft-card").hidden = false;
  $("draft-subject").value = draft.subject || "";
  $("draft-body").value = draft.body || "";
  const steps = (draft.steps_covered || []).map((s) => STEPS[s] || s);
  const parts = [CHANNELS[draft.channel] || CHANNELS.email];
  state.channel = draft.channel;
  if (steps.length) parts.push(`Pasos: ${steps.join(", ")}`);
  if (draft.follow_up_date) parts.push(`Seguimiento: ${new Date(`${draft.follow_up_date}T12:00:00`).toLocaleDateString("es-ES")}`);
  $("draft-meta").textContent = parts.join(" · ");
  $("review-result").replaceChildren();
  showError($("review-error"), "");
  $("copy-status").textContent = "";
}

async function copyDraft() {
  const text = $("draft-body").value;
  const status = $("copy-status");
  let ok = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    const scratch = el("textarea", { "aria-hidden": "true", readonly: true, style: "position:fixed;top:-1000px;opacity:0" });
    scratch.value = text;
    document.body.append(scratch);
    scratch.select();
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    scratch.remove();
    $("draft-body").focus();
  }
  status.textContent = ok ? "Copiado al portapapeles." : "No se pudo copiar: seleccione el texto y pulse Ctrl+C.";
  if (ok) document.dispatchEvent(new CustomEvent("quejas:copied", { detail: { text } }));
}

export function setupDraft() {
  $("copy").addEventListener("click", copyDraft);
  $("draft-body").addEventListener("input", () => {
    const marked = $("review-marked");
    if (marked && !$("review-stale")) {
      marked.before(el("p", { class: "notice", id: "review-stale", text: "El borrador ha cambiado desde la revisión: pulse Revisar otra vez." }));
    }
  });
}
