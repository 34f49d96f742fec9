// A panel of the dashboard (a titled section that loads itself) and the one way actions run.

import { describeError } from "./api.js";
import { h, fill } from "./dom.js";

/**
 * A titled section: `load()` fetches and renders into `body`; its failures show in the panel, in
 * words. `live` marks the body as a polite live region, for panels that change by themselves.
 */
export class Panel {
  constructor({ id, title, intro, live = false, load }) {
    this.id = id;
    this.title = title;
    this.loader = load;
    this.heading = h("h2", { id: `${id}-title`, tabindex: "-1" }, title);
    this.error = h("p", { class: "error", role: "alert", hidden: true });
    this.note = h("p", { class: "warning", role: "status", hidden: true });
    this.body = h("div", { class: "panel-body", "aria-live": live ? "polite" : null }, h("p", { class: "muted" }, "Loading…"));
    this.refreshButton = h(
      "button",
      { type: "button", class: "quiet", "aria-label": `Refresh ${title.toLowerCase()}`, onclick: () => this.load() },
      "Refresh",
    );
    this.section = h(
      "section",
      { id, class: "card panel", "aria-labelledby": this.heading.id, "aria-busy": "false" },
      h("div", { class: "panel-head" }, this.heading, this.refreshButton),
      intro ? h("p", { class: "muted intro" }, intro) : null,
      this.error,
      this.note,
      this.body,
    );
    this.pending = null;
  }

  /** Loads the panel; calls made while a load runs share it, then one more runs after. */
  async load() {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.section.setAttribute("aria-busy", "true");
    this.tell(null);
    this.pending = (async () => {
      try {
        await this.loader(this);
        this.showError(null);
      } catch (error) {
        this.showError(`${this.title} could not be loaded: ${describeError(error)}`);
      } finally {
        this.section.setAttribute("aria-busy", "false");
        this.pending = null;
      }
      if (this.again) {
        this.again = false;
        await this.load();
      }
    })();
    return this.pending;
  }

  showError(text) {
    this.error.hidden = !text;
    fill(this.error, text || "");
  }

  /** A word about the panel as a whole (say, why it was loaded again), until its next load. */
  tell(text) {
    this.note.hidden = !text;
    fill(this.note, text || "");
  }
}

/**
 * Runs `work` for a button: the button is disabled meanwhile, and a failure is shown in `errorNode`
 * (a role=alert element) in words, naming fields by `labels` (the form's own). Answers true when
 * `work` succeeded.
 */
export async function act(button, errorNode, work, labels = {}) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (errorNode) {
    errorNode.hidden = true;
    fill(errorNode, "");
  }
  try {
    await work();
    return true;
  } catch (error) {
    if (errorNode) {
      errorNode.hidden = false;
      fill(errorNode, describeError(error, labels));
    }
    return false;
  } finally {
    if (button.isConnected) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }
}

/** A role=alert paragraph for one form's errors. */
export const errorLine = () => h("p", { class: "error", role: "alert", hidden: true });

/** A field's label, with "(required)" when the field must be filled in. */
export const fieldLabel = (fieldId, text, { required = false } = {}) =>
  h("label", { for: fieldId }, text, required ? h("span", { class: "required" }, " (required)") : null);

/** A paragraph for an empty list. */
export const empty = (text) => h("p", { class: "muted empty" }, text);
