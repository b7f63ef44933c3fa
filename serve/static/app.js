/* quejas triage page: vanilla JS, no dependencies. Text from the user or the server is only ever
   inserted with textContent / text nodes, never as HTML. */
"use strict";

(() => {
  const KEY_STORAGE = "quejas.apiKey";
  const CHUNK = 25;

  const GROUPS = { operational: "Operativa", emotional: "Emocional", mixed: "Mixta", none: "Sin queja" };
  const SENTIMENTS = { negative: "Negativo", neutral: "Neutro", positive: "Positivo" };
  // Triage levels of pipeline/taxonomy.yaml (`priority:`), most urgent first.
  const PRIORITIES = { P1: "Urgente", P2: "Alta", P3: "Normal", P4: "Baja" };
  const PRIORITY_ORDER = Object.keys(PRIORITIES);
  const RISKS = [
    ["churn", "Baja"],
    ["legal", "Legal"],
    ["public", "Pública"],
  ];
  const REFERENCE_KINDS = {
    order: "Pedido", ticket: "Incidencia", invoice: "Factura", contract: "Contrato", tracking: "Envío",
    reservation: "Reserva", policy: "Póliza", case: "Caso", other: "Referencia",
  };
  const STEPS = {
    greeting: "saludo", purpose: "propósito", apology: "disculpa", resolution: "solución", benefit: "beneficio",
    follow_up: "seguimiento", call_to_action: "siguiente paso",
  };
  const FINDINGS = {
    no_apology: "Sin disculpa", name_not_used: "No usa el nombre", no_purpose: "Sin propósito claro",
    no_resolution: "Sin solución concreta", vague_promise: "Promesa vaga", self_praise: "Autoelogio",
    archaic_formula: "Fórmula anticuada", blames_customer: "Culpa al cliente", no_call_to_action: "Sin siguiente paso",
    long_sentence: "Frase demasiado larga", unconfirmed_action: "Acción no confirmada", other_sector: "Palabra de otro sector",
    repeated_commitment: "Compromiso repetido", asks_known_info: "Pide un dato ya dado",
    fault_under_legal: "Admite culpa con riesgo legal", too_long: "Demasiado largo",
  };
  const SECTORS = {
    airlines: "Aerolínea", appliances: "Electrodomésticos", banking: "Banca", car_repair: "Taller", clinics: "Clínica",
    delivery_apps: "Reparto a domicilio", ecommerce: "Tienda online", education: "Educación", hotels: "Hotel",
    insurance: "Seguros", public_services: "Administración", retail: "Tienda física", telecom: "Telecomunicaciones",
    transport: "Transporte", utilities: "Luz, gas y agua",
  };

  const $ = (id) => document.getElementById(id);
  const state = {
    config: null,
    analysis: null,
    complaint: "",
    batch: null,
    running: false,
    stop: false,
    sortByPriority: false,
  };

  /* ---------- small DOM helpers ---------- */

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function showError(box, message) {
    if (!message) {
      box.hidden = true;
      box.textContent = "";
      return;
    }
    box.textContent = message;
    box.hidden = false;
  }

  function setBusy(button, busy) {
    button.disabled = busy;
    if (busy) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
  }

  const percent = (x) => `${Math.round(x * 100)} %`;
  const signed = (x) => (x > 0 ? "+" : x < 0 ? "−" : "") + Math.abs(x).toFixed(2);
  const number = (n) => n.toLocaleString("es-ES");

  /* ---------- API ---------- */

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function apiKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || "";
    } catch {
      return "";
    }
  }

  async function api(path, { method = "GET", json, form, signal } = {}) {
    const headers = {};
    const key = apiKey();
    if (key) headers["X-API-Key"] = key;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body, signal });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, "network", "No se pudo conectar con el servidor. Compruebe la conexión y vuelva a intentarlo.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = data && data.error;
      const message = error && typeof error.message === "string" && error.message
        ? error.message
        : `El servidor respondió con un error (HTTP ${response.status}). Vuelva a intentarlo en unos segundos.`;
      const failure = new ApiError(response.status, (error && error.code) || "http_error", message);
      if (response.status === 401) onUnauthorized(failure);
      throw failure;
    }
    if (data === null) throw new ApiError(response.status, "bad_response", "El servidor devolvió una respuesta que no se puede leer.");
    return data;
  }

  // For corrections.js: one DOM builder, one API client and one set of display names for the page.
  window.quejas = { api, el, SENTIMENTS, RISKS };

  /* ---------- API key ---------- */

  function openKeyPanel(open, focus) {
    $("key-panel").hidden = !open;
    $("key-toggle").setAttribute("aria-expanded", String(open));
    if (open && focus) $("api-key").focus();
  }

  function onUnauthorized(error) {
    $("key-help").textContent = apiKey()
      ? "La clave de API guardada no es válida. Escriba otra y pulse Guardar."
      : "Este servidor pide una clave de API. Escríbala y pulse Guardar (se guarda solo en esta pestaña).";
    $("key-toggle").hidden = false;
    openKeyPanel(true, false);
    return error;
  }

  function setupKey() {
    $("api-key").value = apiKey();
    $("key-toggle").addEventListener("click", () => {
      const open = $("key-panel").hidden;
      openKeyPanel(open, open);
    });
    $("key-panel").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("api-key").value.trim();
      try {
        if (value) sessionStorage.setItem(KEY_STORAGE, value);
        else sessionStorage.removeItem(KEY_STORAGE);
      } catch {
        /* storage disabled: the key only lives in the field */
      }
      $("key-help").textContent = value ? "Clave guardada para esta pestaña." : "Clave borrada.";
      loadConfig();
    });
    $("key-clear").addEventListener("click", () => {
      $("api-key").value = "";
      try {
        sessionStorage.removeItem(KEY_STORAGE);
      } catch {
        /* ignore */
      }
      $("key-help").textContent = "Clave borrada.";
    });
  }

  /* ---------- service status + limits ---------- */

  function setStatus(kind, text) {
    $("status").dataset.state = kind;
    $("status-text").textContent = text;
  }

  async function pollReady() {
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

  async function loadPolicy() {
    try {
      const policy = await api("/v1/policy");
      state.policySector = policy.sector;
      const select = $("sector");
      select.replaceChildren(el("option", { value: "", text: `El de la política (${SECTORS[policy.sector] || policy.sector})` }),
        ...policy.sectors.map((id) => el("option", { value: id, text: SECTORS[id] || id })));
      $("done-actions").replaceChildren(el("legend", { text: "Ya hecho (solo esto se dice en pasado)" }),
        ...policy.done_actions.map((action) => el("label", {},
          el("input", { type: "checkbox", name: "done", value: action.id }), action.label)));
    } catch {
      $("done-actions").hidden = true;
    }
  }

  function replyOptions() {
    const options = {};
    const sector = $("sector").value;
    if (sector) options.sector = sector;
    options.done_actions = Array.from(document.querySelectorAll('input[name="done"]:checked')).map((i) => i.value);
    return options;
  }

  async function loadConfig() {
    loadPolicy();
    try {
      state.config = await api("/v1/config");
      if (state.config.api_key_required) $("key-toggle").hidden = false;
      $("batch-limit").textContent = `Máximo ${number(state.config.max_upload_rows)} filas por archivo.`;
      updateCount();
    } catch (err) {
      if (err.status === 401) $("batch-limit").textContent = "Introduzca la clave de API para ver los límites.";
    }
  }

  function updateCount() {
    const length = $("complaint").value.length;
    const max = state.config && state.config.max_text_chars;
    const count = $("complaint-count");
    count.textContent = max ? `${number(length)} / ${number(max)} caracteres` : `${number(length)} caracteres`;
    count.dataset.over = String(Boolean(max && length > max));
  }

  /* ---------- tabs ---------- */

  function setupTabs() {
    const tabs = [$("tab-single"), $("tab-batch")];
    const select = (tab, focus) => {
      for (const other of tabs) {
        const selected = other === tab;
        other.setAttribute("aria-selected", String(selected));
        other.tabIndex = selected ? 0 : -1;
        $(other.getAttribute("aria-controls")).hidden = !selected;
      }
      if (focus) tab.focus();
    };
    tabs.forEach((tab, index) => {
      tab.addEventListener("click", () => select(tab, false));
      tab.addEventListener("keydown", (event) => {
        let next = null;
        if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
        else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
        else if (event.key === "Home") next = tabs[0];
        else if (event.key === "End") next = tabs[tabs.length - 1];
        if (next) {
          event.preventDefault();
          select(next, true);
        }
      });
    });
  }

  /* ---------- one complaint ---------- */

  const CONFIDENCE = { high: "Alta", medium: "Media", low: "Baja" };
  const LANGUAGES = {
    es: "español", en: "inglés", pt: "portugués", ca: "catalán", fr: "francés", it: "italiano",
    de: "alemán", eu: "euskera", nl: "neerlandés", und: "sin idioma reconocible",
  };

  function languageLabel(language) {
    if (!language) return "";
    const name = language.code ? LANGUAGES[language.code] || language.code : "sin texto";
    return `Idioma: ${name} (${percent(language.confidence)})`;
  }

  function groupBadge(group) {
    return el("span", { class: `badge badge-${group in GROUPS ? group : "none"}`, text: GROUPS[group] || group });
  }

  function priorityBadge(priority, id) {
    const known = priority in PRIORITIES;
    return el("span", {
      class: `badge badge-priority badge-${known ? priority.toLowerCase() : "none"}`, id, "data-priority": priority,
      title: "Prioridad de triaje: enfado, riesgos legal, público y de baja, esperas largas y promesas rotas",
    }, known ? `${priority} · ${PRIORITIES[priority]}` : priority);
  }

  function scoreTitle(sentiment) {
    return sentiment.score_kind === "polarity"
      ? "P(positivo) − P(negativo): modelo anterior a la intensidad"
      : "Intensidad: de −1 (muy enfadado) a +1 (muy satisfecho)";
  }

  function renderAnalysis(analysis) {
    const box = $("analysis");
    const sentiment = analysis.sentiment;
    const position = ((sentiment.score + 1) / 2) * 100;

    const summary = el("div", { class: "summary" },
      el("div", { class: "stat" },
        el("span", { class: "stat-label", text: "Prioridad" }),
        el("span", {}, priorityBadge(analysis.priority, "result-priority"))),
      el("div", { class: "stat" },
        el("span", { class: "stat-label", text: "Grupo" }),
        el("span", { id: "result-group" }, groupBadge(analysis.group))),
      el("div", { class: "stat" },
        el("span", { class: "stat-label", text: "Sentimiento" }),
        el("span", { class: `sentiment sentiment-${sentiment.label}`, id: "result-sentiment" },
          SENTIMENTS[sentiment.label] || sentiment.label, " ",
          el("span", { class: "sentiment-score", title: scoreTitle(sentiment), text: signed(sentiment.score) })),
        el("div", { class: "diverging", role: "img", "aria-label": `Puntuación ${signed(sentiment.score)} entre −1 y +1` },
          el("span", { class: "diverging-mark", style: `left: ${position.toFixed(1)}%` }))),
      el("div", { class: "stat" },
        el("span", { class: "stat-label", text: "Confianza" }),
        el("span", { class: `badge badge-confidence-${analysis.confidence}`, id: "result-confidence",
          title: "Cuánto se alejan las causas de los umbrales del modelo",
          text: CONFIDENCE[analysis.confidence] || analysis.confidence }),
        el("span", { class: "muted small", id: "result-language", text: languageLabel(analysis.language) })));

    const language = analysis.language;
    const foreign = language && !language.spanish
      ? el("p", { class: "alert", id: "result-language-warning", role: "note",
        text: language.code
          ? `El texto no parece estar en español (${LANGUAGES[language.code] || language.code}): las causas son una suposición del modelo, revíselas.`
          : "El texto no contiene letras: no hay nada que analizar." })
      : null;

    const risks = el("div", { class: "badges", id: "result-risks" },
      RISKS.map(([id, name]) => {
        const on = Boolean(analysis.risk[id]);
        const score = analysis.risk.scores ? analysis.risk.scores[id] : null;
        const cues = (analysis.risk.cues || []).filter((cue) => cue.risk === id).map((cue) => `«${cue.text}»`);
        const title = cues.length ? `Por la frase ${cues.join(", ")}`
          : score === null || score === undefined ? null : `Probabilidad ${percent(score)}`;
        return el("span", { class: `badge ${on ? "badge-risk" : "badge-off"}`, title, "data-risk": id, "data-on": String(on) },
          on ? `⚠ ${name}` : `${name}: no`);
      }));

    let causes;
    if (analysis.causes.length === 0) {
      causes = el("p", { class: "empty", id: "result-causes", text: "No se detectó ninguna causa de queja: puede que el texto no sea una queja." });
    } else {
      causes = el("ul", { class: "causes", id: "result-causes" },
        analysis.causes.map((cause) => el("li", { class: "cause", "data-cause": cause.id },
          el("div", { class: "cause-head" },
            el("span", { class: "cause-line" },
              el("span", { class: "cause-name", text: cause.display }),
              groupBadge(cause.group)),
            el("span", { class: "cause-score", text: percent(cause.score) })),
          el("div", { class: `bar bar-${cause.group}`, role: "img", "aria-label": `Confianza ${percent(cause.score)}` },
            el("span", { style: `width: ${Math.max(2, cause.score * 100).toFixed(1)}%` })))));
    }

    const entities = analysis.entities || {};
    const references = entities.references || [];
    const facts = el("dl", { class: "facts" },
      el("dt", { text: "Cliente" }),
      el("dd", { id: "result-customer" }, entities.customer_name || el("span", { class: "muted", text: "No se ha encontrado el nombre" })),
      el("dt", { text: "Referencias" }),
      el("dd", { id: "result-references" },
        references.length
          ? references.map((ref) => el("span", { class: "chip" }, `${REFERENCE_KINDS[ref.kind] || ref.kind} `, el("code", { text: ref.text })))
          : el("span", { class: "muted", text: "Ninguna" })));

    box.replaceChildren(
      summary,
      ...(foreign ? [foreign] : []),
      el("h3", { class: "section-title", text: "Causas detectadas" }), causes,
      el("h3", { class: "section-title", text: "Riesgos" }), risks,
      el("h3", { class: "section-title", text: "Datos para personalizar" }), facts,
    );
  }

  function renderDraft(draft) {
    $("draft-card").hidden = false;
    $("draft-subject").value = draft.subject || "";
    $("draft-body").value = draft.body || "";
    const steps = (draft.steps_covered || []).map((s) => STEPS[s] || s);
    const parts = [{ chat: "Chat", public: "Respuesta pública" }[draft.channel] || "Correo"];
    state.channel = draft.channel;
    if (steps.length) parts.push(`Pasos: ${steps.join(", ")}`);
    if (draft.follow_up_date) parts.push(`Seguimiento: ${new Date(`${draft.follow_up_date}T12:00:00`).toLocaleDateString("es-ES")}`);
    $("draft-meta").textContent = parts.join(" · ");
    $("review-result").replaceChildren();
    showError($("review-error"), "");
    $("copy-status").textContent = "";
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
      const result = await api("/v1/analyze", { method: "POST", json: { text, channel, tone, ...replyOptions() } });
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
      const label = FINDINGS[span.kind] || span.kind;
      // The finding number is drawn by CSS (mark::after) so the marked text stays exactly the draft.
      out.append(el("mark", { "data-kind": span.kind, "data-n": span.number, title: `${label}: ${span.message}` },
        chars.slice(span.start, end).join("")));
      cursor = end;
    }
    if (cursor < chars.length) out.append(document.createTextNode(chars.slice(cursor).join("")));
    return out;
  }

  function renderReview(review, draftText) {
    const findings = review.findings || [];
    const score = Math.round(review.score);
    const tier = score >= 85 ? "good" : score >= 60 ? "fair" : "poor";
    const list = findings.length
      ? el("ol", { class: "findings", id: "review-findings" },
        findings.map((finding, index) => {
          const absent = !(finding.end > finding.start);
          return el("li", { class: `finding${absent ? " finding-absent" : ""}`, "data-kind": finding.kind },
            el("p", { class: "finding-title" },
              el("span", { class: "finding-num", "aria-hidden": "true", text: String(index + 1) }),
              FINDINGS[finding.kind] || finding.kind,
              absent ? el("span", { class: "badge badge-off", text: "falta" }) : null),
            el("p", { class: "finding-msg", text: finding.message }),
            el("p", { class: "finding-tip" }, el("strong", { text: "Sugerencia: " }), finding.suggestion));
        }))
      : el("p", { class: "all-good", id: "review-findings", text: "Sin observaciones: el borrador cubre los siete pasos." });

    $("review-result").replaceChildren(el("div", { class: "review" },
      el("div", {},
        el("p", { class: "score" },
          el("span", { class: `score-value score-${tier}`, id: "review-score", text: String(score) }),
          el("span", { class: "muted", text: "/ 100 · puntuación del borrador" })),
        highlighted(draftText, findings)),
      el("div", {}, el("h3", { class: "section-title", text: `Observaciones (${findings.length})` }), list)));
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
      renderReview(await api("/v1/review", { method: "POST", json: body }), draft);
      const first = document.querySelector("#review-marked mark");
      if (first) first.parentElement.scrollTop = Math.max(0, first.offsetTop - first.parentElement.offsetTop - 40);
    } catch (err) {
      showError(error, err.message);
    } finally {
      setBusy(button, false);
    }
  }

  function setupSingle() {
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
    $("copy").addEventListener("click", copyDraft);
    $("review").addEventListener("click", review);
    $("draft-body").addEventListener("input", () => {
      const marked = $("review-marked");
      if (marked && !$("review-stale")) {
        marked.before(el("p", { class: "notice", id: "review-stale", text: "El borrador ha cambiado desde la revisión: pulse Revisar otra vez." }));
      }
    });
  }

  /* ---------- batch ---------- */

  const ADDED = ["causas", "causas_ids", "grupo", "sentimiento", "puntuacion_sentimiento", "riesgo_baja", "riesgo_legal",
    "riesgo_publico", "prioridad", "nombre_cliente", "referencias", "error"];

  function resetBatch() {
    state.batch = null;
    $("batch-start").disabled = true;
    $("batch-start").textContent = "Etiquetar";
    $("batch-download").disabled = true;
    $("column-field").hidden = true;
    $("batch-progress").hidden = true;
    $("batch-table-card").hidden = true;
    $("batch-table").tBodies[0].replaceChildren();
    showError($("batch-error"), "");
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
      const parsed = await api("/v1/parse-file", { method: "POST", form });
      state.batch = { ...parsed, results: new Array(parsed.rows.length).fill(null) };
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

  function textIndex() {
    return state.batch.columns.indexOf($("batch-column").value);
  }

  function buildTable() {
    const batch = state.batch;
    const column = textIndex();
    const rows = batch.rows.map((row, index) => {
      const tr = el("tr", { "data-row": index },
        el("td", { text: String(index + 1) }),
        el("td", { class: "text-cell" }, (row[column] || "").trim()
          ? el("span", { class: "clamp", text: row[column] })
          : el("span", { class: "muted", text: "(vacía)" })),
        el("td"), el("td"), el("td"), el("td"), el("td"),
        el("td", { class: "state-pending", text: "Pendiente" }));
      return tr;
    });
    $("batch-table").tBodies[0].replaceChildren(...rows);
    $("batch-table-card").hidden = false;
    sortRows();
  }

  // Sorting by priority: P1 first, within a level the most upset first; rows without a result go last.
  function urgency(index) {
    const result = state.batch && state.batch.results[index];
    if (!result || !result.analysis) return [PRIORITY_ORDER.length, 0, index];
    const level = PRIORITY_ORDER.indexOf(result.analysis.priority);
    return [level < 0 ? PRIORITY_ORDER.length : level, result.analysis.sentiment.score, index];
  }

  function sortRows() {
    const body = $("batch-table").tBodies[0];
    const rows = Array.from(body.rows);
    const key = (tr) => (state.sortByPriority ? urgency(Number(tr.dataset.row)) : [Number(tr.dataset.row)]);
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
      return 0;
    });
    body.append(...rows);
    $("batch-sort-header").setAttribute("aria-sort", state.sortByPriority ? "ascending" : "none");
    $("batch-sort").setAttribute("aria-pressed", String(Boolean(state.sortByPriority)));
  }

  function fillRow(index) {
    const tr = $("batch-table").tBodies[0].querySelector(`tr[data-row="${index}"]`);
    const result = state.batch.results[index];
    if (!tr || !result) return;
    const cells = tr.cells;
    if (result.error) {
      tr.className = "row-error";
      for (const i of [2, 3, 4, 5, 6]) cells[i].replaceChildren();
      cells[7].className = "state-error";
      cells[7].textContent = result.error;
      return;
    }
    const a = result.analysis;
    tr.className = "";
    cells[2].replaceChildren(a.causes.length
      ? el("span", { class: "badges" }, a.causes.map((c) => el("span", { class: `badge badge-${c.group}`, title: percent(c.score), text: c.display })))
      : el("span", { class: "muted", text: "Ninguna" }));
    cells[3].replaceChildren(groupBadge(a.group));
    cells[4].replaceChildren(el("span", { class: `sentiment-${a.sentiment.label}`, text: `${SENTIMENTS[a.sentiment.label] || a.sentiment.label} (${signed(a.sentiment.score)})` }));
    const risky = RISKS.filter(([id]) => a.risk[id]);
    cells[5].replaceChildren(risky.length
      ? el("span", { class: "badges" }, risky.map(([, name]) => el("span", { class: "badge badge-risk", text: name })))
      : el("span", { class: "muted", text: "—" }));
    cells[6].replaceChildren(priorityBadge(a.priority));
    cells[7].className = "state-done";
    cells[7].textContent = "Etiquetada";
  }

  function progress(done, total, errors) {
    $("batch-bar").max = Math.max(total, 1);
    $("batch-bar").value = done;
    const extra = errors ? ` · ${number(errors)} con error` : "";
    $("batch-progress-text").textContent = `${number(done)} de ${number(total)} filas (${Math.round((done / Math.max(total, 1)) * 100)} %)${extra}`;
  }

  async function classifyChunk(items) {
    try {
      const data = await api("/v1/classify", { method: "POST", json: { texts: items.map((item) => item.text) } });
      data.results.forEach((analysis, i) => { state.batch.results[items[i].index] = { analysis }; });
    } catch (err) {
      // A bad text fails its whole request: retry one by one so only that row gets the error.
      if (items.length > 1 && (err.status === 413 || err.status === 422 || err.status === 500)) {
        for (const item of items) await classifyChunk([item]);
        return;
      }
      if (items.length === 1 && (err.status === 413 || err.status === 422 || err.status === 500)) {
        state.batch.results[items[0].index] = { error: err.message };
        return;
      }
      throw err;
    }
  }

  async function runBatch() {
    const batch = state.batch;
    if (!batch || state.running) return;
    showError($("batch-error"), "");
    const column = textIndex();
    const max = state.config ? state.config.max_text_chars : Infinity;
    const chunkSize = Math.max(1, Math.min(CHUNK, state.config ? state.config.max_items : CHUNK));
    const todo = [];
    batch.rows.forEach((row, index) => {
      if (batch.results[index] && batch.column === column) return;
      const text = row[column] || "";
      if (!text.trim()) batch.results[index] = { error: "Texto vacío" };
      else if (text.length > max) batch.results[index] = { error: `Texto demasiado largo (${text.length} caracteres; máximo ${max})` };
      else {
        batch.results[index] = null;
        todo.push({ index, text });
      }
    });
    if (batch.column !== column) buildTable();
    batch.column = column;
    batch.results.forEach((result, index) => result && fillRow(index));

    state.running = true;
    state.stop = false;
    $("batch-start").disabled = true;
    $("batch-column").disabled = true;
    $("batch-file").disabled = true;
    $("batch-download").disabled = true;
    $("batch-cancel").hidden = false;
    $("batch-progress").hidden = false;
    const total = batch.rows.length;
    const count = () => batch.results.filter(Boolean).length;
    const errors = () => batch.results.filter((r) => r && r.error).length;
    progress(count(), total, errors());
    try {
      for (let start = 0; start < todo.length && !state.stop; start += chunkSize) {
        const items = todo.slice(start, start + chunkSize);
        await classifyChunk(items);
        items.forEach((item) => fillRow(item.index));
        if (state.sortByPriority) sortRows();
        progress(count(), total, errors());
      }
      if (state.stop) $("batch-progress-text").textContent += " · detenido";
      else $("batch-progress-text").textContent = `Listo: ${number(total)} filas${errors() ? `, ${number(errors())} con error` : ""}. Ya puede descargar el CSV.`;
    } catch (err) {
      showError($("batch-error"), `${err.message} Pulse Continuar para seguir donde se quedó.`);
    } finally {
      state.running = false;
      $("batch-cancel").hidden = true;
      $("batch-column").disabled = false;
      $("batch-file").disabled = false;
      const finished = count() === total;
      $("batch-start").disabled = finished;
      $("batch-start").textContent = finished ? "Etiquetado" : "Continuar";
      $("batch-download").disabled = count() === 0;
    }
  }

  // A cell a spreadsheet would run as a formula (=, +, -, @, or a leading tab or carriage return) gets a
  // leading single quote (OWASP "CSV Injection"); plain numbers such as -0.420 stay numbers.
  function csvCell(value) {
    let text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  function labelledCsv() {
    const batch = state.batch;
    const taken = new Set(batch.columns);
    const added = ADDED.map((name) => (taken.has(name) ? `quejas_${name}` : name));
    const lines = [[...batch.columns, ...added].map(csvCell).join(",")];
    batch.rows.forEach((row, index) => {
      const result = batch.results[index];
      let extra = ADDED.map(() => "");
      if (result && result.error) extra[ADDED.length - 1] = result.error;
      else if (result && result.analysis) {
        const a = result.analysis;
        const entities = a.entities || {};
        extra = [
          a.causes.map((c) => c.display).join("; "),
          a.causes.map((c) => c.id).join(";"),
          a.group,
          a.sentiment.label,
          a.sentiment.score.toFixed(3),
          a.risk.churn ? "sí" : "no",
          a.risk.legal ? "sí" : "no",
          a.risk.public ? "sí" : "no",
          a.priority,
          entities.customer_name || "",
          (entities.references || []).map((r) => r.text).join("; "),
          "",
        ];
      } else extra[ADDED.length - 1] = "Sin etiquetar";
      lines.push([...row, ...extra].map(csvCell).join(","));
    });
    return `\ufeff${lines.join("\r\n")}\r\n`;
  }

  function download() {
    if (!state.batch) return;
    const blob = new Blob([labelledCsv()], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const base = state.batch.filename.replace(/\.[^.]+$/, "") || "quejas";
    const link = el("a", { href: url, download: `${base}.etiquetado.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function setupBatch() {
    $("batch-file").addEventListener("change", parseFile);
    $("batch-column").addEventListener("change", () => {
      if (!state.batch) return;
      $("batch-start").disabled = false;
      $("batch-start").textContent = `Etiquetar ${number(state.batch.rows.length)} filas`;
      buildTable();
      state.batch.results.fill(null);
      state.batch.column = textIndex();
      $("batch-download").disabled = true;
    });
    $("batch-form").addEventListener("submit", (event) => {
      event.preventDefault();
      runBatch();
    });
    $("batch-cancel").addEventListener("click", () => { state.stop = true; });
    $("batch-sort").addEventListener("click", () => {
      state.sortByPriority = !state.sortByPriority;
      if (state.batch) sortRows();
    });
    $("batch-download").addEventListener("click", download);
  }

  /* ---------- start ---------- */

  document.addEventListener("DOMContentLoaded", () => {
    $("key-toggle").hidden = true;
    setupKey();
    setupTabs();
    setupSingle();
    setupBatch();
    updateCount();
    pollReady();
    loadConfig();
    // The key button appears when the server says a key is needed (or answers 401), or one is stored.
    if (apiKey()) $("key-toggle").hidden = false;
  });
})();
