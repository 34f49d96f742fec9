// Signing in with OAuth 2.0's authorization code and PKCE (S256): Cognito's hosted UI in AWS,
// the local runtime's identity provider on `make run`; the same code for both.

const STATE = "flexfleet.oauth.state";
const VERIFIER = "flexfleet.oauth.verifier";
const ID_TOKEN = "flexfleet.idToken";

/** The page's redirect URI: its own origin's root, as the user pool client's CallbackURLs list it. */
export const redirectUri = () => `${location.origin}/`;

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Sends the browser to the authorize endpoint, keeping the state and the verifier for the return. */
export async function beginSignIn(auth) {
  const state = randomString(16);
  const verifier = randomString(32); // 43 characters, RFC 7636's minimum
  sessionStorage.setItem(STATE, state);
  sessionStorage.setItem(VERIFIER, verifier);
  const query = new URLSearchParams({
    client_id: auth.clientId,
    response_type: "code",
    scope: auth.scope,
    redirect_uri: redirectUri(),
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${auth.authorizeUrl}?${query}`);
}

/**
 * On the return from the authorize page: checks the state, trades the code for tokens and keeps
 * the ID token. Answers true if this load was such a return. Throws, in words, when it fails.
 */
export async function completeSignIn(auth) {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return false;
  const expected = sessionStorage.getItem(STATE);
  const verifier = sessionStorage.getItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  sessionStorage.removeItem(VERIFIER);
  history.replaceState(null, "", location.pathname); // the code is single-use: drop it from the URL
  if (params.has("error")) {
    const detail = params.get("error_description") || params.get("error");
    throw new Error(`Sign-in was refused: ${detail}.`);
  }
  if (!expected || params.get("state") !== expected || !verifier) {
    throw new Error("Sign-in failed: the answer did not match this browser's request. Sign in again.");
  }
  const response = await fetch(auth.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: auth.clientId,
      code: params.get("code"),
      redirect_uri: redirectUri(),
      code_verifier: verifier,
    }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || !answer.id_token) {
    const detail = answer.error_description || answer.error || `status ${response.status}`;
    throw new Error(`Sign-in failed: the token endpoint refused the code (${detail}).`);
  }
  sessionStorage.setItem(ID_TOKEN, answer.id_token);
  return true;
}

/** The claims of a JWT, read without checking: the API and the WebSocket check the signature. */
export function claimsOf(token) {
  const part = token.split(".")[1] || "";
  const padded = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The signed-in user from the kept ID token ({token, sub, groups, expiresAt}), or null. */
export function currentSession() {
  const token = sessionStorage.getItem(ID_TOKEN);
  if (!token) return null;
  try {
    const claims = claimsOf(token);
    const expiresAt = Number(claims.exp) * 1000;
    if (!Number.isFinite(expiresAt) || expiresAt <= Date.now()) {
      sessionStorage.removeItem(ID_TOKEN);
      return null;
    }
    const groups = claims["cognito:groups"];
    return {
      token,
      sub: String(claims.sub),
      groups: Array.isArray(groups) ? groups.map(String) : groups ? [String(groups)] : [],
      expiresAt,
    };
  } catch {
    sessionStorage.removeItem(ID_TOKEN);
    return null;
  }
}

/** Forgets the token and ends the identity provider's session, which returns to this page. */
export function signOut(auth) {
  sessionStorage.removeItem(ID_TOKEN);
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri() });
  location.assign(`${auth.logoutUrl}?${query}`);
}
