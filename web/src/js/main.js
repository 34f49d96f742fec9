// The dashboard's start: read /config.json, finish or offer sign-in, then show the caller's views
// and keep them live over one WebSocket.

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
  off: () => "Live updates off",
};

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
    showSignIn(config, describeError(error));
    return;
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
  if (views.length === 0) {
    notice(`This account's groups (${session.groups.join(", ") || "none"}) have no view here: the dashboard is for drivers and ops.`);
    return;
  }
  sectionLinks(views);
  views.forEach((view) => view.refresh());

  if (config.websocket) {
    live = new LiveConnection(config.websocket, {
      token: () => (currentSession() ? session.token : null),
      onMessage: (message) => views.forEach((view) => view.handle(message)),
      onState: showLiveState,
      onReopen: () => views.forEach((view) => view.refresh()),
    });
    live.start();
  }
}

start();
