/* The service's state for the top bar (model loading, ready, failed) and the limits the page shows. */

import { api } from "./api.js";
import { $, number } from "./dom.js";
import { showKeyButton } from "./key.js";
import { state } from "./state.js";

function setStatus(kind, text) {
  $("status").dataset.state = kind;
  $("status-text").textContent = text;
}

/* /health/ready until the model is loaded (or failed to load); it needs no key. */
export async function pollReady() {
  try {
    const response = await fetch("/health/ready");
    const data = await response.json().catch(() => null);
    if (response.ok) {
      setStatus("ready", data && data.model ? `Modelo listo · ${data.model}` : "Modelo listo");
      return;
    }
    const error = data && data.error;
    if (error && error.code === "model_failed") {
      setStatus("error", "El modelo no se pudo cargar");
      $("status").title = error.message;
      return;
    }
    setStatus("loading", "Cargando el modelo…");
  } catch {
    setStatus("error", "Sin conexión con el servidor");
  }
  setTimeout(pollReady, 2000);
}

export function updateCount() {
  const length = $("complaint").value.length;
  const max = state.config && state.config.max_text_chars;
  const count = $("complaint-count");
  count.textContent = max ? `${number(length)} / ${number(max)} caracteres` : `${number(length)} caracteres`;
  count.dataset.over = String(Boolean(max && length > max));
}

export async function loadConfig() {
  try {
    state.config = await api("/v1/config");
    if (state.config.api_key_required) showKeyButton();
    $("batch-limit").textContent = `Máximo ${number(state.config.max_upload_rows)} filas por archivo.`;
    updateCount();
  } catch (err) {
    if (err.status === 401) $("batch-limit").textContent = "Introduzca la clave de API para ver los límites.";
  }
}
