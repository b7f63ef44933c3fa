/* The reply options of the loaded policy: the sector presets and the actions an agent can mark as done. */

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { state } from "./state.js";
import { SECTORS } from "./words.js";

export async function loadPolicy() {
  try {
    const policy = await api("/v1/policy");
    state.policySector = policy.sector;
    $("sector").replaceChildren(
      el("option", { value: "", text: `El de la política (${SECTORS[policy.sector] || policy.sector})` }),
      ...policy.sectors.map((id) => el("option", { value: id, text: SECTORS[id] || id })));
    $("done-actions").hidden = false;
    $("done-actions").replaceChildren(el("legend", { text: "Ya hecho (solo esto se dice en pasado)" }),
      ...policy.done_actions.map((action) => el("label", {},
        el("input", { type: "checkbox", name: "done", value: action.id }), action.label)));
  } catch {
    $("done-actions").hidden = true;
  }
}

/* The sector (when one was chosen) and the actions marked as done, for /v1/analyze and /v1/review. */
export function replyOptions() {
  const options = {};
  const sector = $("sector").value;
  if (sector) options.sector = sector;
  options.done_actions = Array.from(document.querySelectorAll('input[name="done"]:checked')).map((i) => i.value);
  return options;
}
