/* quejas triage page: plain ES modules, no build step and no dependencies. This module wires the parts
   together; a module script runs once the document is parsed. */

import { setupAnalyze } from "./analyze.js";
import { setupBatch } from "./batch.js";
import { setupCorrections } from "./corrections.js";
import { setupDraft } from "./draft.js";
import { setupKey } from "./key.js";
import { labelsOrNothing } from "./labels.js";
import { loadPolicy } from "./policy.js";
import { setupQueue } from "./queue.js";
import { setupReview } from "./review.js";
import { loadConfig, pollReady, updateCount } from "./service.js";
import { setupTabs } from "./tabs.js";

function loadAll() {
  loadPolicy();
  loadConfig();
  labelsOrNothing();
}

setupKey(loadAll);
setupTabs();
setupAnalyze();
setupDraft();
setupReview();
setupCorrections();
setupBatch();
setupQueue();
updateCount();
pollReady();
loadAll();
