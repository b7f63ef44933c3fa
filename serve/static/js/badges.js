/* Badges shared by the analysis and the batch table; names from /v1/labels (labels.js). */

import { el } from "./dom.js";
import { groupName, isGroup, isPriority, priorityName, riskIds } from "./labels.js";

export function groupBadge(group) {
  return el("span", { class: `badge badge-${isGroup(group) ? group : "none"}`, "data-group": group, text: groupName(group) });
}

export function priorityBadge(priority, id) {
  const known = isPriority(priority);
  return el("span", {
    class: `badge badge-priority badge-${known ? priority.toLowerCase() : "none"}`, id, "data-priority": priority,
    title: "Prioridad de triaje: enfado, riesgos legal, público y de baja, esperas largas y promesas rotas",
  }, known ? `${priority} · ${priorityName(priority)}` : priority);
}

/* The risks of an analysis in the API's order; the ids of the analysis itself if the names are not loaded. */
export function risksOf(risk) {
  const ids = riskIds();
  return ids.length ? ids : Object.keys(risk.scores || {});
}
