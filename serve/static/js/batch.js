/* The batch tab: upload a CSV or XLSX (/v1/parse-file), label its rows chunk by chunk (/v1/label-rows,
   the same code and columns as `quejas label`) with a progress bar, sort by priority, and save the
   labelled CSV: the input columns followed by the result columns, ready for `quejas report`. */

import { api } from "./api.js";
import { groupBadge, priorityBadge } from "./badges.js";
import { csvText, cellText } from "./csv.js";
import { $, el, percent, showError, signed, number } from "./dom.js";
import {
  causeGroup, causeName, labelledColumns, loadLabels, priorityIds, riskIds, riskName, sentimentName,
} from "./labels.js";
import { state } from "./state.js";
import { ROW_ERRORS } from "./words.js";

const CHUNK = 25;
const OVERLOAD_RETRIES = 10;
const NOT_LABELLED = "not_labelled";

/* The file being labelled: ``results[i]`` is the record of row i (column name -> value) once labelled. */
let batch = null;
let running = false;
let stopping = false;
let sortByPriority = false;

const pause = (seconds) => new Promise((resolve) => { setTimeout(resolve, seconds * 1000); });

function resetBatch() {
  batch = null;
  $("batch-start").disabled = true;
  $("batch-start").textContent = "Etiquetar";
  $("batch-download").disabled = true;
  $("column-field").hidden = true;
  $("batch-progress").hidden = true;
  $("batch-table-card").hidden = true;
  $("batch-table").tBodies[0].replaceChildren();
  showError($("batch-error"), "");
}

/* `quejas label` refuses an input that already has result columns (a labelled file): so does the page. */
function clashMessage(columns) {
  const taken = labelledColumns().filter((name) => columns.includes(name));
  if (!taken.length) return "";
  return `El archivo ya tiene columnas de resultado (${taken.join(", ")}): parece un archivo ya etiquetado. `
    + "Suba el archivo original o cambie el nombre de esas columnas.";
}

async function parseFile() {
  resetBatch();
  const file = $("batch-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  const status = $("batch-progress-text");
  $("batch-progress").hidden = false;
  $("batch-bar").removeAttribute("value");
  status.textContent = `Leyendo ${file.name}…`;
  try {
    const [parsed] = await Promise.all([api("/v1/parse-file", { method: "POST", form }), loadLabels()]);
    const clash = clashMessage(parsed.columns);
    if (clash) throw new Error(clash);
    batch = { ...parsed, results: new Array(parsed.rows.length).fill(null) };
    const select = $("batch-column");
    select.replaceChildren(...parsed.columns.map((column) => el("option", { value: column, text: column })));
    select.value = parsed.text_column;
    $("column-field").hidden = false;
    $("batch-start").disabled = false;
    $("batch-start").textContent = `Etiquetar ${number(parsed.rows.length)} filas`;
    $("batch-bar").value = 0;
    status.textContent = `${number(parsed.rows.length)} filas leídas. Compruebe la columna con la queja y pulse Etiquetar.`;
    buildTable();
  } catch (err) {
    $("batch-progress").hidden = true;
    showError($("batch-error"), err.message);
  }
}

const textIndex = () => batch.columns.indexOf($("batch-column").value);

function buildTable() {
  const column = textIndex();
  const rows = batch.rows.map((row, index) => el("tr", { "data-row": index },
    el("td", { text: String(index + 1) }),
    el("td", { class: "text-cell" }, (row[column] || "").trim()
      ? el("span", { class: "clamp", text: row[column] })
      : el("span", { class: "muted", text: "(vacía)" })),
    el("td"), el("td"), el("td"), el("td"), el("td"),
    el("td", { class: "state-pending", text: "Pendiente" })));
  $("batch-table").tBodies[0].replaceChildren(...rows);
  $("batch-table-card").hidden = false;
  sortRows();
}

/* Sorting by priority: P1 first, within a level the most upset first; rows without a result go last. */
function urgency(index) {
  const order = priorityIds();
  const result = batch && batch.results[index];
  if (!result || result.error) return [order.length, 0, index];
  const level = order.indexOf(result.priority);
  return [level < 0 ? order.length : level, result.sentiment_score, index];
}

function sortRows() {
  const body = $("batch-table").tBodies[0];
  const rows = Array.from(body.rows);
  const key = (tr) => (sortByPriority ? urgency(Number(tr.dataset.row)) : [Number(tr.dataset.row)]);
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  });
  body.append(...rows);
  $("batch-sort-header").setAttribute("aria-sort", sortByPriority ? "ascending" : "none");
  $("batch-sort").setAttribute("aria-pressed", String(sortByPriority));
}

function rowError(index) {
  const kind = batch.results[index].error;
  const text = batch.rows[index][textIndex()] || "";
  const max = state.config && state.config.max_text_chars;
  if (kind === "too_long" && max) return `${ROW_ERRORS.too_long} (${number(text.length)} caracteres; máximo ${number(max)})`;
  return ROW_ERRORS[kind] || kind;
}

function fillRow(index) {
  const tr = $("batch-table").tBodies[0].querySelector(`tr[data-row="${index}"]`);
  const result = batch.results[index];
  if (!tr || !result) return;
  const cells = tr.cells;
  if (result.error) {
    tr.className = "row-error";
    for (const i of [2, 3, 4, 5, 6]) cells[i].replaceChildren();
    cells[7].className = "state-error";
    cells[7].dataset.error = result.error;
    cells[7].textContent = rowError(index);
    return;
  }
  tr.className = "";
  const causes = result.causes ? result.causes.split(";") : [];
  cells[2].replaceChildren(causes.length
    ? el("span", { class: "badges" }, causes.map((id) => el("span", {
      class: `badge badge-${causeGroup(id)}`, "data-cause": id,
      title: percent(result[`score_${id}`] || 0), text: causeName(id) })))
    : el("span", { class: "muted", text: "Ninguna" }));
  cells[3].replaceChildren(groupBadge(result.group));
  cells[4].replaceChildren(el("span", { class: `sentiment-${result.sentiment}`, "data-sentiment": result.sentiment,
    text: `${sentimentName(result.sentiment)} (${signed(result.sentiment_score)})` }));
  const risky = riskIds().filter((id) => result[`risk_${id}`]);
  cells[5].replaceChildren(risky.length
    ? el("span", { class: "badges" }, risky.map((id) => el("span", { class: "badge badge-risk", "data-risk": id, text: riskName(id) })))
    : el("span", { class: "muted", text: "—" }));
  cells[6].replaceChildren(priorityBadge(result.priority));
  cells[7].className = "state-done";
  cells[7].textContent = "Etiquetada";
}

function progress(done, total, errors) {
  $("batch-bar").max = Math.max(total, 1);
  $("batch-bar").value = done;
  const extra = errors ? ` · ${number(errors)} con error` : "";
  $("batch-progress-text").textContent = `${number(done)} de ${number(total)} filas (${Math.round((done / Math.max(total, 1)) * 100)} %)${extra}`;
}

/* Label one chunk of rows. A full queue (503) is waited out as the server asks; a request too big for
   the server (413) or a text the model fails on (500) is retried row by row so only that row is marked. */
async function labelChunk(items) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const data = await api("/v1/label-rows", { method: "POST", json: { texts: items.map((item) => item.text) } });
      data.rows.forEach((values, i) => {
        batch.results[items[i].index] = Object.fromEntries(data.columns.map((name, j) => [name, values[j]]));
      });
      return;
    } catch (err) {
      if (err.status === 503 && err.code === "overloaded" && attempt < OVERLOAD_RETRIES && !stopping) {
        await pause(err.retryAfter || 1);
        continue;
      }
      if (items.length > 1 && (err.status === 413 || err.status === 500)) {
        for (const item of items) await labelChunk([item]);
        return;
      }
      if (items.length === 1 && (err.status === 413 || err.status === 500)) {
        batch.results[items[0].index] = { error: err.status === 413 ? "too_long" : "analysis_failed" };
        return;
      }
      throw err;
    }
  }
}

function lockForm(locked) {
  $("batch-column").disabled = locked;
  $("batch-file").disabled = locked;
  $("batch-cancel").hidden = !locked;
}

async function runBatch() {
  if (!batch || running) return;
  showError($("batch-error"), "");
  const column = textIndex();
  if (batch.column !== column) {
    batch.results.fill(null);
    buildTable();
  }
  batch.column = column;
  const todo = [];
  batch.rows.forEach((row, index) => {
    if (!batch.results[index]) todo.push({ index, text: row[column] ?? "" });
  });
  const chunkSize = Math.max(1, Math.min(CHUNK, state.config ? state.config.max_items : CHUNK));

  running = true;
  stopping = false;
  lockForm(true);
  $("batch-start").disabled = true;
  $("batch-download").disabled = true;
  $("batch-progress").hidden = false;
  const total = batch.rows.length;
  const count = () => batch.results.filter(Boolean).length;
  const errors = () => batch.results.filter((r) => r && r.error).length;
  progress(count(), total, errors());
  try {
    await loadLabels();
    for (let start = 0; start < todo.length && !stopping; start += chunkSize) {
      const items = todo.slice(start, start + chunkSize);
      await labelChunk(items);
      items.forEach((item) => fillRow(item.index));
      if (sortByPriority) sortRows();
      progress(count(), total, errors());
    }
    if (stopping) $("batch-progress-text").textContent += " · detenido";
    else $("batch-progress-text").textContent = `Listo: ${number(total)} filas${errors() ? `, ${number(errors())} con error` : ""}. Ya puede descargar el CSV.`;
  } catch (err) {
    showError($("batch-error"), `${err.message} Pulse Continuar para seguir donde se quedó.`);
  } finally {
    running = false;
    lockForm(false);
    const finished = count() === total;
    $("batch-start").disabled = finished;
    $("batch-start").textContent = finished ? "Etiquetado" : "Continuar";
    $("batch-download").disabled = count() === 0;
  }
}

/* Input columns as read, then the result columns; a row not labelled yet says so in `error`. */
function labelledFile() {
  const added = labelledColumns();
  const rows = batch.rows.map((row, index) => {
    const result = batch.results[index] || { error: NOT_LABELLED };
    return [...row, ...added.map((name) => cellText(result[name]))];
  });
  return csvText([...batch.columns, ...added], rows);
}

function download() {
  if (!batch) return;
  const blob = new Blob([labelledFile()], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const base = batch.filename.replace(/\.[^.]+$/, "") || "quejas";
  const link = el("a", { href: url, download: `${base}.etiquetado.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function setupBatch() {
  $("batch-file").addEventListener("change", parseFile);
  $("batch-column").addEventListener("change", () => {
    if (!batch) return;
    $("batch-start").disabled = false;
    $("batch-start").textContent = `Etiquetar ${number(batch.rows.length)} filas`;
    batch.results.fill(null);
    batch.column = textIndex();
    buildTable();
    $("batch-download").disabled = true;
  });
  $("batch-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runBatch();
  });
  $("batch-cancel").addEventListener("click", () => { stopping = true; });
  $("batch-sort").addEventListener("click", () => {
    sortByPriority = !sortByPriority;
    if (batch) sortRows();
  });
  $("batch-download").addEventListener("click", download);
}
