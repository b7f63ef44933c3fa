/* The API key panel: shown when the server asks for a key (or answers 401), kept only in this tab. */

import { apiKey, onUnauthorized, storeKey } from "./api.js";
import { $ } from "./dom.js";

function openKeyPanel(open, focus) {
  $("key-panel").hidden = !open;
  $("key-toggle").setAttribute("aria-expanded", String(open));
  if (open && focus) $("api-key").focus();
}

export function showKeyButton() {
  $("key-toggle").hidden = false;
}

/* ``onChange`` runs after a key is saved, so what failed without it can load again. */
export function setupKey(onChange) {
  $("key-toggle").hidden = !apiKey();
  $("api-key").value = apiKey();
  onUnauthorized(() => {
    $("key-help").textContent = apiKey()
      ? "La clave de API guardada no es válida. Escriba otra y pulse Guardar."
      : "Este servidor pide una clave de API. Escríbala y pulse Guardar (se guarda solo en esta pestaña).";
    showKeyButton();
    openKeyPanel(true, false);
  });
  $("key-toggle").addEventListener("click", () => {
    const open = $("key-panel").hidden;
    openKeyPanel(open, open);
  });
  $("key-panel").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("api-key").value.trim();
    storeKey(value);
    $("key-help").textContent = value ? "Clave guardada para esta pestaña." : "Clave borrada.";
    onChange();
  });
  $("key-clear").addEventListener("click", () => {
    $("api-key").value = "";
    storeKey("");
    $("key-help").textContent = "Clave borrada.";
  });
}
