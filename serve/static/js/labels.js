/* Every name the page shows for an id the API returns (causes, groups, sentiments, risks, priorities,
   confidence levels, review findings) comes from GET /v1/labels, which reads pipeline/taxonomy.yaml and
   the review checks: the page keeps no copy that could drift from them. Until the names are loaded
   (or when the key is missing) the ids themselves are shown. */

import { api } from "./api.js";

let labels = null;
let pending = null;

/* Resolves with the labels; a failed load (no key yet, server down) is tried again on the next call. */
export function loadLabels() {
  if (labels) return Promise.resolve(labels);
  if (!pending) {
    pending = api("/v1/labels")
      .then((data) => {
        labels = data;
        return data;
      })
      .finally(() => {
        pending = null;
      });
  }
  return pending;
}

/* The same, for renderers that can fall back to ids: never rejects. */
export const labelsOrNothing = () => loadLabels().catch(() => null);

const named = (list, id, fallback = id) => {
  const found = (list || []).find((item) => item.id === id);
  return found ? found.display : fallback;
};

/* ``fallback``: the name an analysis carries itself, for when the labels could not be loaded. */
export const causeName = (id, fallback = id) => named(labels && labels.causes, id, fallback);
export const causeGroup = (id) => {
  const found = labels && labels.causes.find((cause) => cause.id === id);
  return found ? found.group : "none";
};
export const groupName = (id) => (labels && labels.groups[id]) || id;
export const sentimentName = (id) => (labels && labels.sentiments[id]) || id;
export const riskName = (id) => named(labels && labels.risks, id);
export const priorityName = (id) => named(labels && labels.priorities, id);
export const priorityTitle = (id) => {
  const found = labels && labels.priorities.find((level) => level.id === id);
  return found ? found.description : "";
};
export const confidenceName = (id) => (labels && labels.confidence[id]) || id;
export const findingName = (kind) => (labels && labels.findings[kind]) || kind;

export const causes = () => (labels ? labels.causes : []);
export const sentimentIds = () => (labels ? Object.keys(labels.sentiments) : []);
export const riskIds = () => (labels ? labels.risks.map((risk) => risk.id) : []);
export const isGroup = (id) => Boolean(labels && id in labels.groups);
export const isPriority = (id) => Boolean(labels && labels.priorities.some((level) => level.id === id));
/* Triage levels, most urgent first. */
export const priorityIds = () => (labels ? labels.priorities.map((level) => level.id) : []);
/* The result columns `quejas label` writes, in order. */
export const labelledColumns = () => (labels ? labels.labelled_columns : []);
