/* The one client of the quejas API: the API key from this tab's storage, errors as readable Spanish
   messages (the server's own message when it sends one), and a hook for a missing or wrong key. */

const KEY_STORAGE = "quejas.apiKey";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function apiKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/* An empty value forgets the key. Storage may be disabled: then the key only lives in the field. */
export function storeKey(value) {
  try {
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage disabled */
  }
}

let unauthorized = () => {};

/* The key panel registers here what to do when the server answers 401. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export async function api(path, { method = "GET", json, form, signal } = {}) {
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
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    const failure = new ApiError(response.status, (error && error.code) || "http_error", message, retryAfter);
    if (response.status === 401) unauthorized(failure);
    throw failure;
  }
  if (data === null) throw new ApiError(response.status, "bad_response", "El servidor devolvió una respuesta que no se puede leer.");
  return data;
}
