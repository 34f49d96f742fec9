// The HTTP API's client: the caller's token on every request, and its JSON errors put in words.

/** A refused request: the status and the API's JSON body ({message, code, field, errors}). */
export class ApiError extends Error {
  constructor(status, body) {
    super(describeBody(status, body));
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

function fieldName(field) {
  if (!field) return "";
  const last = String(field).split(".").pop();
  return FIELD_NAMES[last] || last;
}

function describeBody(status, body) {
  if (status === 401) return "Your session has ended: sign in again.";
  if (!body || typeof body !== "object") return `The API answered ${status}.`;
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    return body.errors
      .map((problem) => `${fieldName(problem.field)}: ${problem.message}.`)
      .join(" ");
  }
  const message = body.message ? String(body.message) : `The API answered ${status}`;
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  const field = body.field && !message.includes(body.field) ? ` (${fieldName(body.field)})` : "";
  return `${sentence}${field}.`;
}

/** Words for any failure of a call: the API's own, or the network's. */
export function describeError(error) {
  if (error instanceof ApiError) return error.message;
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
