// The dashboard's start: read /config.json, finish or offer sign-in, then show the caller's views
// and keep a driver's live over one WebSocket (ops get no pushes: their panels load on Refresh).

import { createApi, describeError } from "./api.js";
import { beginSignIn, completeSignIn, currentSession, signOut } from "./auth.js";
import { h, fill } from "./dom.js";
import { driverView } from "./driver.js";
import { LiveConnection } from "./live.js";
import { opsView } from "./ops.js";

const $ = (id) => document.getElementById(id);

function notice(text) {
  const node = $("notice");
  node.hidden = !text;
  fill(node, text || "");
}

const LIVE_WORDS = {
  connecting: () => "Live updates: connecting…",
  open: () => "Live updates: connected",
  waiting: (seconds) => `Live updates: reconnecting in ${seconds} s`,
  unavailable: () => "Live updates unavailable: reload to try again",
  manual: () => "Ops panels update when you press Refresh",
  off: () => "Live updates off",
};
// The first load waits for the socket to open (else a push sent meanwhile is lost), but no longer.
const FIRST_LOAD_WAIT_MS = 2000;

function showLiveState(state, detail) {
  const node = $("live-state");
  node.dataset.state = state;
  node.textContent = LIVE_WORDS[state](detail);
}

async function loadConfig() {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  return response.json();
}

function showSignIn(config, reason) {
  $("loading").hidden = true;
  $("signed-out").hidden = false;
  if (reason) notice(reason);
  const button = $("sign-in");
  button.onclick = async () => {
    button.disabled = true;
    try {
      await beginSignIn(config.auth);
    } catch (error) {
      button.disabled = false;
      notice(`Sign-in could not start: ${describeError(error)}`);
    }
  };
}

function sectionLinks(views) {
  const nav = $("sections");
  const links = views.flatMap((view) => view.panels).map((panel) =>
    h("li", {}, h("a", { href: `#${panel.id}` }, panel.title)));
  fill(nav, h("ul", {}, links));
  nav.hidden = false;
}

async function start() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    $("loading").hidden = true;
    notice(`The dashboard's configuration could not be read (${describeError(error)}).`);
    return;
  }
  try {
    await completeSignIn(config.auth);
  } catch (error) {
    // A return that fails to match (Back to the authorize page, signed in again) says nothing
    // about a session this tab still holds: the URL is clean already, and that session stands.
    if (!currentSession()) {
      showSignIn(config, describeError(error));
      return;
    }
  }
  const session = currentSession();
  if (!session) {
    showSignIn(config);
    return;
  }

  let live = null;
  const endSession = (reason) => {
    if (live) live.stop();
    sessionStorage.clear();
    fill($("views"));
    $("sections").hidden = true;
    $("session").hidden = true;
    showSignIn(config, reason);
  };
  const api = createApi(config.api, () => session.token, () => endSession("Your session has ended: sign in again."));
  setTimeout(() => endSession("Your session has ended: sign in again."), session.expiresAt - Date.now());

  const roles = session.groups.filter((group) => group === "driver" || group === "ops");
  fill($("who"), `${session.sub} (${session.groups.join(", ") || "no group"})`);
  $("session").hidden = false;
  $("sign-out").onclick = () => {
    if (live) live.stop();
    signOut(config.auth);
  };
  $("loading").hidden = true;

  if (roles.length === 0) {
    $("live-state").hidden = true;
    fill($("views"), h("h1", { class: "page-title" }, "FlexFleet dashboard"));
    document.title = "FlexFleet dashboard";
    notice(`This account's groups (${session.groups.join(", ") || "none"}) have no view here: the dashboard is for drivers and ops.`);
    return;
  }

  const malls = new Map();
  try {
    for (const mall of (await api.get("/malls")).malls) malls.set(mall.mallId, mall);
  } catch (error) {
    notice(`The malls could not be loaded: ${describeError(error)}`);
  }

  const views = [];
  if (roles.includes("driver")) views.push(driverView({ api, driverId: session.sub, malls }));
  if (roles.includes("ops")) views.push(opsView({ api, malls }));
  const title = roles.length === 2 ? "Driver and ops dashboard" : roles[0] === "ops" ? "Ops dashboard" : "Driver dashboard";
  fill($("views"), h("h1", { class: "page-title" }, title), views.map((view) => view.element));
  document.title = `${title} · FlexFleet`;
  sectionLinks(views);
  const loadAll = () => views.forEach((view) => view.refresh());

  // Only drivers get pushes: an ops-only page opens no socket, and says how its panels change.
  if (!config.websocket || !roles.includes("driver")) {
    showLiveState(roles.includes("driver") ? "off" : "manual");
    loadAll();
    return;
  }
  let loaded = false;
  const firstLoad = () => {
    clearTimeout(fallback);
    if (!loaded) loadAll();
    loaded = true;
  };
  const fallback = setTimeout(firstLoad, FIRST_LOAD_WAIT_MS);
  live = new LiveConnection(config.websocket, {
    token: () => (currentSession() ? session.token : null),
    onMessage: (message) => views.forEach((view) => view.handle(message)),
    onState: (state, detail) => {
      showLiveState(state, detail);
      if (state === "waiting" || state === "unavailable") firstLoad(); // no socket to wait for
    },
    // Whatever was pushed before this open never reached the page: load afresh (the first time,
    // this is the first load).
    onOpen: () => {
      if (loaded) loadAll();
      else firstLoad();
    },
  });
  live.start();
}

start();
