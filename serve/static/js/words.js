/* The page's own wording for ids that are not labels of the API (languages, reference kinds, reply steps,
   sector presets, why a row of a file was not labelled). Label names come from labels.js. */

export const LANGUAGES = {
  es: "español", en: "inglés", pt: "portugués", ca: "catalán", fr: "francés", it: "italiano",
  de: "alemán", eu: "euskera", nl: "neerlandés", und: "sin idioma reconocible",
};

export const REFERENCE_KINDS = {
  order: "Pedido", ticket: "Incidencia", invoice: "Factura", contract: "Contrato", tracking: "Envío",
  reservation: "Reserva", policy: "Póliza", case: "Caso", other: "Referencia",
};

export const STEPS = {
  greeting: "saludo", purpose: "propósito", apology: "disculpa", resolution: "solución", benefit: "beneficio",
  follow_up: "seguimiento", call_to_action: "siguiente paso",
};

export const CHANNELS = { email: "Correo", chat: "Chat", public: "Respuesta pública", review: "Respuesta a una reseña" };

export const SECTORS = {
  airlines: "Aerolínea", appliances: "Electrodomésticos", banking: "Banca", car_repair: "Taller", clinics: "Clínica",
  delivery_apps: "Reparto a domicilio", ecommerce: "Tienda online", education: "Educación", hotels: "Hotel",
  insurance: "Seguros", public_services: "Administración", retail: "Tienda física", telecom: "Telecomunicaciones",
  transport: "Transporte", utilities: "Luz, gas y agua",
};

/* The `error` kinds of a labelled row (pipeline/batch.py ERROR_KINDS), as the batch table says them. */
export const ROW_ERRORS = {
  missing: "Sin texto",
  empty: "Texto vacío",
  not_text: "No es un texto (sin letras)",
  too_long: "Texto demasiado largo",
  undecodable: "Caracteres no válidos",
  analysis_failed: "El modelo falló con este texto",
  not_labelled: "Sin etiquetar",
};
