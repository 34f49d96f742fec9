// The HTTP API's client: the caller's token on every request, and its JSON errors put in words.

/** A refused request: the status and the API's JSON body ({message, code, field, errors}). */
export class ApiError extends Error {
  constructor(status, body) {
    super(describeBody(status, body, {}));
    this.status = status;
    this.body = body;
  }
}

const FIELD_NAMES = {
  text: "Text",
  note: "Note",
  reason: "Reason",
  decision: "Decision",
  stars: "Stars",
  blockId: "Block",
  driverId: "Driver",
  ratingId: "Rating",
  disputeId: "Dispute",
  offerId: "Offer",
  mallId: "Mall",
};

/** A field's name in words: the form's own label when `labels` has it, else a general one. */
function fieldName(field, labels) {
  if (!field) return "";
  const last = String(field).split(".").pop();
  return labels[last] || FIELD_NAMES[last] || last;
}

// A choice outside the list: pydantic names the codes ('outside_driver_control', …), which a
// person picking from a select never sees.
const CHOICE_ERRORS = new Set(["enum", "literal_error"]);

function problemWords(problem) {
  return CHOICE_ERRORS.has(problem.type) ? "choose one of the options" : problem.message;
}

function describeBody(status, body, labels) {
  if (status === 401) return "Your session has ended: sign in again.";
  if (!body || typeof body !== "object") return `The API answered ${status}.`;
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    return body.errors
      .map((problem) => `${fieldName(problem.field, labels)}: ${problemWords(problem)}.`)
      .join(" ");
  }
  const message = body.message ? String(body.message) : `The API answered ${status}`;
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  const name = fieldName(body.field, labels);
  // "Dispute d-1 is closed already" names its field already: no " (Dispute)" after it.
  const named = !body.field || [String(body.field), name].some((word) => message.toLowerCase().includes(word.toLowerCase()));
  return `${sentence}${named ? "" : ` (${name})`}.`;
}

/**
 * Words for any failure of a call: the API's own, or the network's. `labels` maps the API's
 * field names to the visible labels of the form that sent them ({text: "Your public response"}).
 */
export function describeError(error, labels = {}) {
  if (error instanceof ApiError) return describeBody(error.status, error.body, labels);
  if (error instanceof TypeError) return "The API could not be reached: check the connection and try again.";
  return error && error.message ? error.message : String(error);
}

/**
 * A client of the API at `baseUrl`. `token()` gives the current ID token; `onUnauthorized` is
 * called on a 401, after which the call still fails.
 */
export function createApi(baseUrl, token, onUnauthorized) {
  const root = baseUrl.replace(/\/+$/, "");

  async function call(method, path, body) {
    const headers = { authorization: `Bearer ${token()}` };
    const init = { method, headers };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(root + path, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { message: text.slice(0, 200) };
    }
    if (!response.ok) {
      if (response.status === 401 && onUnauthorized) onUnauthorized();
      throw new ApiError(response.status, data);
    }
    return data;
  }

  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body),
    put: (path, body) => call("PUT", path, body),
  };
}

/** A path segment, escaped. */
export const seg = (value) => encodeURIComponent(value);
