// The ops view: the review queue with its decisions, open disputes with uphold and reject, and
// the orders dispatch could not assign, with why.

import { ApiError, describeError, seg } from "./api.js";
import { h, fill, uid, announce } from "./dom.js";
import { DISPUTE_REASONS, REVIEW_DECISIONS, UNASSIGNED_REASONS, tierClass, when, words } from "./format.js";
import { Panel, act, empty, errorLine, fieldLabel } from "./panel.js";

const ORDER_PAGES = 5; // at most 5 pages of 100 placed orders per mall

/** A 409: someone decided meanwhile, so the card shows what is no longer so. */
const isConflict = (error) => error instanceof ApiError && error.status === 409;

/**
 * After a refused decision whose card is stale: the panel is loaded again (the card goes, or
 * shows what is recorded now) and says why, at its heading.
 */
async function reloadAfterConflict(panel, conflict) {
  await panel.load();
  panel.tell(`${describeError(conflict)} The list has been loaded again.`);
  panel.heading.focus();
}

export function opsView({ api, malls }) {
  const mallName = (id) => (malls.get(id) ? malls.get(id).name : id);

  // Review queue -----------------------------------------------------------------------------
  const queue = new Panel({
    id: "review-queue",
    title: "Review queue",
    intro: "Drivers At Risk with evidence, warned 14 days ago or more. Nothing happens to them until you decide.",
    load: async (panel) => {
      const answer = await api.get("/standing/review-queue");
      fill(panel.body, answer.items.length
        ? h("ul", { class: "cards" }, answer.items.map(reviewItem))
        : empty("Nobody is waiting for a review."));
    },
  });

  function reviewItem(s) {
    const titleId = uid("review");
    const decisionId = uid("decision");
    const noteId = uid("note");
    const error = errorLine();
    const decision = h("select", { id: decisionId, name: "decision" },
      Object.entries(REVIEW_DECISIONS).map(([value, label]) => h("option", { value }, label)));
    const note = h("textarea", { id: noteId, name: "note", rows: "2", required: true });
    const noteLabel = "Note (the driver sees it)";
    const submit = h("button", { type: "submit" }, "Record decision");
    const weakest = Object.entries(s.components)
      .filter(([, c]) => c.tier === s.tier)
      .map(([name, c]) => `${words(name)} ${c.value}`)
      .join(", ");
    const form = h("form", { class: "stack", novalidate: true },
      h("label", { for: decisionId }, `Decision for ${s.driverId}`), decision,
      fieldLabel(noteId, noteLabel, { required: true }), note, error, h("div", {}, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let conflict = null;
      const ok = await act(submit, error, async () => {
        try {
          await api.post(`/drivers/${seg(s.driverId)}/review-decision`, { decision: decision.value, note: note.value });
        } catch (refused) {
          if (isConflict(refused)) conflict = refused;
          throw refused;
        }
      }, { note: noteLabel, decision: `Decision for ${s.driverId}` });
      if (ok) {
        announce(`Decision recorded for ${s.driverId}: ${REVIEW_DECISIONS[decision.value]}.`);
        await queue.load();
        queue.heading.focus();
      } else if (conflict) {
        await reloadAfterConflict(queue, conflict);
      }
    });
    return h("li", { class: "card-item", "aria-labelledby": titleId, dataset: { driverId: s.driverId } },
      h("h3", { id: titleId }, s.driverId, " ", h("span", { class: `tier-text tier-${tierClass(s.tier)}` }, s.tier)),
      h("p", {}, `Warned ${when(s.review.warnedAt)}. Weakest: ${weakest || "–"}.`),
      h("p", { class: "muted" }, `Ratings counted ${s.coaching.counts.ratingsCounted}, deliveries ${s.coaching.counts.deliveries}, ` +
        `on time ${s.coaching.counts.onTime}.`),
      form);
  }

  // Disputes ---------------------------------------------------------------------------------
  const disputeList = h("ul", { class: "cards" });
  const moreDisputes = h("button", { type: "button", class: "secondary" }, "Show more disputes");
  const moreError = errorLine();
  let disputesCursor = null;
  const disputesPage = async (cursor) => {
    const query = new URLSearchParams({ status: "open", limit: "50" });
    if (cursor) query.set("cursor", cursor);
    const answer = await api.get(`/disputes?${query}`);
    disputesCursor = answer.nextCursor || null;
    moreDisputes.hidden = !disputesCursor;
    return answer.items;
  };
  moreDisputes.addEventListener("click", () => act(moreDisputes, moreError, async () => {
    disputeList.append(...(await disputesPage(disputesCursor)).map(disputeItem));
  }));
  const disputes = new Panel({
    id: "disputes",
    title: "Open disputes",
    intro: "Oldest first. Upholding one takes the rating out of the driver's standing.",
    load: async (panel) => {
      const items = await disputesPage(null);
      fill(disputeList, items.map(disputeItem));
      fill(panel.body, items.length ? disputeList : empty("No open disputes."), h("p", {}, moreDisputes), moreError);
    },
  });

  function disputeItem(d) {
    const titleId = uid("dispute");
    const noteId = uid("dispute-note");
    const error = errorLine();
    const note = h("textarea", { id: noteId, name: "note", rows: "2", required: true });
    const noteLabel = "Note for the driver";
    const decide = (decision) => {
      const button = h("button", {
        type: "button",
        class: decision === "upheld" ? "" : "secondary",
        "aria-label": `${decision === "upheld" ? "Uphold" : "Reject"} the dispute of rating ${d.ratingId}`,
      }, decision === "upheld" ? "Uphold" : "Reject");
      button.addEventListener("click", async () => {
        let conflict = null;
        const ok = await act(button, error, async () => {
          try {
            await api.post(`/disputes/${seg(d.disputeId)}/decision`, { decision, note: note.value });
          } catch (refused) {
            if (isConflict(refused)) conflict = refused;
            throw refused;
          }
        }, { note: noteLabel });
        if (ok) {
          announce(`Dispute of rating ${d.ratingId} ${decision}.`);
          item.remove();
          if (!disputeList.childElementCount && !disputesCursor) fill(disputes.body, empty("No open disputes."));
          disputes.heading.focus();
        } else if (conflict) {
          await reloadAfterConflict(disputes, conflict);
        }
      });
      return button;
    };
    const item = h("li", { class: "card-item", "aria-labelledby": titleId, dataset: { disputeId: d.disputeId } },
      h("h3", { id: titleId }, `Rating ${d.ratingId}`, h("span", { class: "muted small" }, ` · driver ${d.driverId}`)),
      h("p", {}, h("strong", {}, DISPUTE_REASONS[d.reason] || words(d.reason)), `: ${d.text}`),
      h("p", { class: "muted" }, `Opened ${when(d.openedAt)}`),
      h("div", { class: "stack" }, fieldLabel(noteId, noteLabel, { required: true }), note),
      error,
      h("div", { class: "row" }, decide("upheld"), decide("rejected")));
    return item;
  }

  // Unassigned orders ------------------------------------------------------------------------
  const mallSelectId = uid("mall");
  const mallSelect = h("select", { id: mallSelectId, name: "mallId" },
    [...malls.values()].map((mall) => h("option", { value: mall.mallId }, `${mall.name} (${mall.city})`)));
  const ordersList = h("div", {});
  const unassigned = new Panel({
    id: "unassigned",
    title: "Orders dispatch could not assign",
    intro: "Placed orders that wait with a reason, per mall.",
    load: async () => {
      const mallId = mallSelect.value;
      if (!mallId) {
        fill(ordersList, empty("No malls in the catalogue."));
        return;
      }
      const flagged = [];
      let cursor = null;
      for (let page = 0; page < ORDER_PAGES; page += 1) {
        const query = new URLSearchParams({ mallId, status: "placed", limit: "100" });
        if (cursor) query.set("cursor", cursor);
        const answer = await api.get(`/retail/orders?${query}`);
        flagged.push(...answer.orders.filter((order) => order.unassigned));
        cursor = answer.cursor;
        if (!cursor) break;
      }
      fill(ordersList, flagged.length
        ? h("div", { class: "table-scroll" }, h("table", { class: "data" },
          h("caption", { class: "visually-hidden" }, `Unassigned orders at ${mallName(mallId)}`),
          h("thead", {}, h("tr", {}, ["Order", "Store", "Ready", "Deliver by", "Why it waits", "Since"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, flagged.map((o) => h("tr", { dataset: { orderId: o.orderId } },
            h("th", { scope: "row" }, o.orderId), h("td", {}, o.storeName), h("td", {}, when(o.readyAt)),
            h("td", {}, when(o.deliverBy)),
            h("td", {}, UNASSIGNED_REASONS[o.unassigned.reason] || words(o.unassigned.reason),
              o.unassigned.until ? ` until ${when(o.unassigned.until)}` : ""),
            h("td", {}, when(o.unassigned.since)))))))
        : empty(`No order waits with a reason at ${mallName(mallId)}.`));
    },
  });
  mallSelect.addEventListener("change", () => unassigned.load());
  fill(unassigned.body, h("div", { class: "stack narrow" }, h("label", { for: mallSelectId }, "Mall"), mallSelect), ordersList);

  const panels = [disputes, queue, unassigned];
  const element = h("div", { class: "view ops-view", dataset: { view: "ops" } },
    h("div", { class: "grid two" }, disputes.section, queue.section), unassigned.section);
  return {
    element,
    panels,
    handle: () => {},
    refresh: () => Promise.all(panels.map((panel) => panel.load())),
  };
}
