// The one WebSocket of the page: connects with the ID token, reconnects with backoff, and hands
// each push message on once, however often it is delivered.

const BACKOFF_SECONDS = [1, 2, 4, 8, 15, 30];
// A browser never sees why a handshake failed (401, or 429 at the per-user cap): after this many
// tries in a row that never opened, the page stops trying and says so.
const FAILURES_BEFORE_GIVING_UP = 5;
const PING_EVERY_MS = 5 * 60 * 1000; // API Gateway closes a connection idle for 10 minutes
const REMEMBERED_IDS = 500;

export class LiveConnection {
  /**
   * `url`: config.websocket. `token()`: the current ID token, or null once signed out or expired.
   * `onMessage(message)`: each message once. `onState(state, detail)`: "connecting", "open",
   * "waiting" (detail: seconds to the next try), "unavailable" (it gave up) or "off".
   * `onOpen()`: after each open, the first included: nothing sent before it reached the page.
   */
  constructor(url, { token, onMessage, onState, onOpen }) {
    Object.assign(this, { url, token, onMessage, onState, onOpen });
    this.socket = null;
    this.attempt = 0;
    this.failures = 0; // tries in a row that never opened
    this.stopped = false;
    this.seen = new Set();
    this.timer = null;
    this.pinger = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.socket) this.socket.close(1000, "signed out");
    this.socket = null;
    this.onState("off");
  }

  connect() {
    const token = this.token();
    if (!token) {
      this.stop();
      return;
    }
    this.onState("connecting");
    const socket = new WebSocket(`${this.url}?token=${encodeURIComponent(token)}`);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.attempt = 0;
      this.failures = 0;
      this.onState("open");
      if (this.onOpen) this.onOpen();
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.send({ action: "ping" }), PING_EVERY_MS);
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      clearInterval(this.pinger);
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      this.failures = opened ? 0 : this.failures + 1;
      if (this.failures >= FAILURES_BEFORE_GIVING_UP) {
        this.stopped = true;
        this.onState("unavailable");
        return;
      }
      this.retry();
    });
  }

  retry() {
    const base = BACKOFF_SECONDS[Math.min(this.attempt, BACKOFF_SECONDS.length - 1)];
    this.attempt += 1;
    const seconds = base * (0.8 + Math.random() * 0.4); // jitter: clients that dropped together spread out
    this.onState("waiting", Math.max(1, Math.round(seconds)));
    this.timer = setTimeout(() => this.connect(), seconds * 1000);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message || typeof message !== "object" || message.type === "pong") return;
    if (message.id !== undefined) {
      if (this.seen.has(message.id)) return; // delivery is at least once
      this.seen.add(message.id);
      if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value);
    }
    this.onMessage(message);
  }
}
