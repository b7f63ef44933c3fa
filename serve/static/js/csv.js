/* The labelled CSV the batch tab saves: the input columns and the result columns of `quejas label`,
   written as `quejas label` writes them, so `quejas report` reads a file labelled here like one labelled
   on the command line. */

/* A cell as Python's csv writer prints the value the server sent: null empty, booleans True/False,
   numbers like Python's str(float) (0.5, 1.0, 3.2e-05). */
export function cellText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pythonFloat(value);
  return String(value);
}

function pythonFloat(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // Both languages print the shortest digits that read back as the same number; Python switches to an
  // exponent below 1e-4 and from 1e16, with at least two exponent digits.
  const [digits, exponent] = x.toExponential().split("e");
  const power = Number(exponent);
  if (power < -4 || power >= 16) return `${digits}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
  const plain = String(x);
  return plain.includes(".") ? plain : `${plain}.0`;
}

/* A cell a spreadsheet would run as a formula (=, +, -, @, or a leading tab or carriage return) gets a
   leading single quote, as pipeline/spreadsheet_safety.py does for `quejas label` (OWASP "CSV Injection");
   plain numbers such as -0.42 stay numbers. */
export function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/* CRLF line ends (RFC 4180, as `quejas label` writes them: a cell holding a bare CR is then quoted) and a
   byte order mark so spreadsheets read the file as UTF-8. */
export function csvText(header, rows) {
  const lines = [header, ...rows].map((cells) => cells.map(csvCell).join(","));
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
