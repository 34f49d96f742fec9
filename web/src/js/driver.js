// The driver's view: standing and its chart, feedback with respond and dispute, offers with
// accept, blocks, assignments and earnings; each panel kept current by the push messages.

import { seg } from "./api.js";
import { h, fill, uid, announce } from "./dom.js";
import {
  COMPONENTS, DISPUTE_REASONS, componentLabel, dollars, inZone, starGlyphs, tierClass, timeInZone, when, words,
} from "./format.js";
import { Panel, act, empty, errorLine, fieldLabel } from "./panel.js";
import { StandingChart, historyPoints } from "./standing-chart.js";

const EARNINGS_DAYS = 30;

export function driverView({ api, driverId, malls }) {
  const base = `/drivers/${seg(driverId)}`;
  const mallName = (id) => (malls.get(id) ? malls.get(id).name : id);
  const chart = new StandingChart();
  const ratings = new Map(); // ratingId -> rating, as the page shows them
  let ratingsCursor = null;

  // Standing ---------------------------------------------------------------------------------
  const standing = new Panel({
    id: "standing",
    title: "Standing",
    live: true,
    load: async (panel) => renderStanding(panel, await api.get(`${base}/standing`)),
  });

  function renderStanding(panel, s) {
    const review = s.review || {};
    const counts = (s.coaching && s.coaching.counts) || {};
    fill(
      panel.body,
      h("p", { class: "tier-line" },
        h("span", { class: "muted" }, "Your tier "),
        h("strong", { class: `tier tier-${tierClass(s.tier)}`, dataset: { testid: "tier" } }, s.tier),
        s.tierChangedAt ? h("span", { class: "muted" }, ` since ${when(s.tierChangedAt)}`) : null),
      review.accountStatus === "deactivated"
        ? h("p", { class: "warning" }, "Your account is deactivated: you see no offers until ops reinstate it.",
          review.decision ? ` Reason: ${review.decision.note}` : "")
        : null,
      review.warnedAt && review.accountStatus !== "deactivated"
        ? h("p", { class: "warning" }, `You were warned on ${when(review.warnedAt)}: At Risk drivers may be reviewed by a person.`)
        : null,
      h("ul", { class: "components" }, Object.keys(COMPONENTS).filter((name) => s.components[name]).map((name) => {
        const c = s.components[name];
        const titleId = uid("component");
        return h("li", { class: "component", "aria-labelledby": titleId, dataset: { component: name } },
          h("h3", { id: titleId }, componentLabel(name)),
          h("p", { class: "value" }, c.value),
          h("p", {}, "Tier: ", h("span", { class: `tier-text tier-${tierClass(c.tier)}` }, c.tier)),
          c.nextTier
            ? h("p", { class: "next" }, `Next: ${c.nextTier} at ${c.nextThreshold}; gap ${c.gap}`)
            : h("p", { class: "next" }, "Top tier reached"));
      })),
      h("p", { class: "muted counts" },
        `Ratings counted ${counts.ratingsCounted ?? 0}, excluded after disputes ${counts.ratingsExcluded ?? 0}, ` +
        `excused ${counts.ratingsExcused ?? 0}; deliveries ${counts.deliveries ?? 0}, on time ${counts.onTime ?? 0}; ` +
        `blocks kept ${counts.blocksKept ?? 0}, late forfeits ${counts.lateForfeits ?? 0}, no-shows ${counts.noShows ?? 0}.`),
    );
  }

  // Standing over time -------------------------------------------------------------------------
  const history = new Panel({
    id: "history",
    title: "Standing over time",
    load: async (panel) => {
      if (!panel.body.contains(chart.element)) fill(panel.body, chart.element);
      chart.render(historyPoints(await api.get(`${base}/standing/history`)));
    },
  });

  // Feedback ---------------------------------------------------------------------------------
  const feedback = new Panel({
    id: "feedback",
    title: "Feedback",
    intro: "Your latest ratings. Customers are never named. Respond in public, or dispute a rating you should not carry.",
    live: true,
    load: async () => {
      // Merged, not replaced: ratings never go away, and one just pushed may not be in the
      // index the list is read from yet. The API's copy wins.
      const page = await api.get(`${base}/ratings?limit=10`);
      for (const rating of page.items) ratings.set(rating.ratingId, rating);
      if (ratingsCursor === null || !firstPageLoaded) ratingsCursor = page.nextCursor || null;
      firstPageLoaded = true;
      renderFeedback();
    },
  });
  let firstPageLoaded = false;
  const feedbackList = h("ol", { class: "ratings", "aria-label": "Ratings, newest first" });
  const noRatings = empty("No ratings yet.");
  const moreButton = h("button", { type: "button", class: "secondary", onclick: () => loadMore() }, "Show older ratings");
  const moreLine = h("p", {}, moreButton);
  const moreError = errorLine();
  const shown = new Map(); // ratingId -> {json, node}: a rating whose data did not change keeps its node

  async function loadMore() {
    await act(moreButton, moreError, async () => {
      const page = await api.get(`${base}/ratings?limit=10&cursor=${encodeURIComponent(ratingsCursor)}`);
      for (const rating of page.items) if (!ratings.has(rating.ratingId)) ratings.set(rating.ratingId, rating);
      ratingsCursor = page.nextCursor || null;
      renderFeedback();
    });
  }

  function sortedRatings() {
    return [...ratings.values()].sort((a, b) => String(b.ratedAt).localeCompare(String(a.ratedAt)));
  }

  /**
   * Brings the list in line with `ratings`, touching only what changed: a live update never
   * wipes a response being typed, an open form, or the focus, in another rating.
   */
  function renderFeedback() {
    if (!feedback.body.contains(feedbackList)) fill(feedback.body, noRatings, feedbackList, moreLine, moreError);
    const nodes = sortedRatings().map((rating) => {
      const json = JSON.stringify(rating);
      const known = shown.get(rating.ratingId);
      if (known && known.json === json) return known.node;
      const node = ratingItem(rating);
      if (known) known.node.replaceWith(node);
      shown.set(rating.ratingId, { json, node });
      return node;
    });
    let cursor = feedbackList.firstChild;
    for (const node of nodes) {
      if (node === cursor) cursor = cursor.nextSibling;
      else feedbackList.insertBefore(node, cursor);
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
    noRatings.hidden = nodes.length > 0;
    moreLine.hidden = !ratingsCursor;
  }

  function replaceRating(rating, focusSelector) {
    ratings.set(rating.ratingId, { ...ratings.get(rating.ratingId), ...rating });
    renderFeedback();
    const target = shown.get(rating.ratingId).node.querySelector(focusSelector);
    if (target) target.focus();
  }

  function ratingItem(r) {
    const titleId = uid("rating");
    const factors = Object.entries(r.factors || {}).filter(([, v]) => v !== null && v !== undefined);
    return h("li", { class: "rating", dataset: { ratingId: r.ratingId }, "aria-labelledby": titleId },
      h("h3", { id: titleId, tabindex: "-1" },
        h("span", { class: "stars", "aria-hidden": "true" }, starGlyphs(r.stars)),
        ` ${r.stars} of 5 stars`,
        h("span", { class: "muted small" }, ` · delivery ${r.deliveryId} · ${when(r.ratedAt)}`)),
      r.comment ? h("blockquote", { class: "comment" }, r.comment) : null,
      factors.length || (r.tags && r.tags.length)
        ? h("ul", { class: "chips", "aria-label": "Factors and tags" },
          factors.map(([name, value]) => h("li", {}, `${words(name)} ${value}/5`)),
          (r.tags || []).map((tag) => h("li", {}, words(tag))))
        : null,
      r.exclusion ? h("p", { class: "ok" }, `Excluded from your standing: ${words(r.exclusion.reason)}.`) : null,
      r.response ? h("p", { class: "response" }, h("strong", {}, "Your response: "), r.response.text) : null,
      r.dispute ? disputeLine(r.dispute) : null,
      h("div", { class: "rating-actions" }, responseForm(r), r.dispute ? null : disputeForm(r)),
    );
  }

  function disputeLine(d) {
    const outcome = { open: "open, waiting for ops", upheld: "upheld: the rating no longer counts", rejected: "rejected" }[d.status] || d.status;
    return h("p", { class: `dispute dispute-${d.status}` }, h("strong", {}, "Dispute: "),
      `${DISPUTE_REASONS[d.reason] || words(d.reason)}, ${outcome}.`, d.note ? ` Ops' note: ${d.note}` : "");
  }

  function responseForm(r) {
    const fieldId = uid("response");
    const error = errorLine();
    const textarea = h("textarea", { id: fieldId, name: "text", rows: "2", maxlength: "1000", required: true }, r.response ? r.response.text : "");
    const submit = h("button", { type: "submit" }, r.response ? "Save response" : "Send response");
    const label = "Your public response";
    const form = h("form", { class: "stack", novalidate: true },
      fieldLabel(fieldId, label, { required: true }), textarea, error, h("div", {}, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let saved = null;
      const ok = await act(submit, error, async () => {
        saved = await api.put(`/ratings/${seg(r.ratingId)}/response`, { text: textarea.value });
      }, { text: label });
      if (ok) {
        announce(`Response saved for the rating of delivery ${r.deliveryId}.`);
        replaceRating(saved, ".response-toggle");
      }
    });
    return h("details", { class: "action" },
      h("summary", { class: "response-toggle" }, r.response ? "Edit response" : "Respond"), form);
  }

  function disputeForm(r) {
    const reasonId = uid("reason");
    const textId = uid("dispute-text");
    const error = errorLine();
    // No reason is chosen for the driver: the first option is a prompt, and the API refuses it.
    const reason = h("select", { id: reasonId, name: "reason", required: true },
      h("option", { value: "" }, "Choose a reason"),
      Object.entries(DISPUTE_REASONS).map(([value, label]) => h("option", { value }, label)));
    const text = h("textarea", { id: textId, name: "text", rows: "2", maxlength: "1000", required: true });
    const submit = h("button", { type: "submit" }, "Send dispute");
    const labels = { reason: "Reason", text: "What happened" };
    const form = h("form", { class: "stack", novalidate: true },
      fieldLabel(reasonId, labels.reason, { required: true }), reason,
      fieldLabel(textId, labels.text, { required: true }), text, error, h("div", {}, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let dispute = null;
      const ok = await act(submit, error, async () => {
        dispute = await api.post(`/ratings/${seg(r.ratingId)}/dispute`, { reason: reason.value, text: text.value });
      }, labels);
      if (ok) {
        announce(`Dispute sent for the rating of delivery ${r.deliveryId}.`);
        replaceRating({ ratingId: r.ratingId, dispute }, "h3");
      }
    });
    return h("details", { class: "action" }, h("summary", {}, "Dispute"), form);
  }

  // Offers -----------------------------------------------------------------------------------
  const offers = new Panel({
    id: "offers",
    title: "Offers",
    intro: "Blocks you may take now, reserved offers first, and instant offers. They appear the moment they are released.",
    live: true,
    load: async (panel) => {
      const [blockOffers, instant] = await Promise.all([
        api.get(`${base}/offers`),
        api.get(`${base}/instant-offers`),
      ]);
      renderOffers(panel, blockOffers, instant);
    },
  });

  function renderOffers(panel, blockOffers, instant) {
    const pending = instant.offers.filter((offer) => offer.status === "pending");
    fill(
      panel.body,
      pending.length ? h("h3", {}, "Instant offers") : null,
      pending.length ? h("ul", { class: "offers" }, pending.map(instantOfferItem)) : null,
      h("h3", {}, "Blocks"),
      blockOffers.offers.length
        ? h("ul", { class: "offers" }, blockOffers.offers.map(blockOfferItem))
        : empty("No blocks offered right now. Blocks at the malls you prefer appear here when they are released to your tier."),
    );
  }

  function blockOfferItem(offer) {
    const b = offer.block;
    const error = errorLine();
    const label = `${mallName(b.mallId)}, ${inZone(b.start, b.timeZone)}`;
    const accept = h("button", { type: "button", "aria-label": `Accept block: ${label}` }, "Accept");
    accept.addEventListener("click", async () => {
      const ok = await act(accept, error, () => api.post(`/blocks/${seg(b.blockId)}/accept`));
      if (ok) {
        announce(`Block accepted: ${label}.`);
        await Promise.all([offers.load(), blocks.load()]);
        blocks.heading.focus();
      }
    });
    return h("li", { class: "offer", dataset: { blockId: b.blockId } },
      h("p", { class: "offer-title" }, h("strong", {}, mallName(b.mallId)), ` · ${words(b.shiftType)}`,
        offer.reserved ? h("span", { class: "badge" }, "Reserved for you") : null,
        b.premium ? h("span", { class: "badge quiet-badge" }, "Premium") : null),
      h("p", {}, `${inZone(b.start, b.timeZone)}–${timeInZone(b.end, b.timeZone)} (${b.timeZone})`),
      h("p", {}, `${b.hours} h at ${dollars(b.hourlyRate)}/h`, Number(b.surge) > 0 ? ` (surge ${dollars(b.surge)})` : "",
        " · ", h("strong", {}, `${dollars(b.pay)}`), ` · ${b.available} of ${b.capacity} places left`),
      offer.reserved && offer.expiresAt ? h("p", { class: "muted" }, `Reserved until ${when(offer.expiresAt)}`) : null,
      h("div", { class: "row" }, accept), error);
  }

  function instantOfferItem(offer) {
    const error = errorLine();
    const label = `${offer.storeName}, ${dollars(offer.pay)}`;
    const accept = h("button", { type: "button", "aria-label": `Accept instant offer: ${label}` }, "Accept");
    const decline = h("button", { type: "button", class: "secondary", "aria-label": `Decline instant offer: ${label}` }, "Decline");
    const answer = (button, verb) => async () => {
      const ok = await act(button, error, () => api.post(`/instant-offers/${seg(offer.offerId)}/${verb}`));
      if (ok) {
        announce(`Instant offer ${verb === "accept" ? "accepted" : "declined"}: ${label}.`);
        await Promise.all([offers.load(), assignments.load()]);
        offers.heading.focus();
      }
    };
    accept.addEventListener("click", answer(accept, "accept"));
    decline.addEventListener("click", answer(decline, "decline"));
    return h("li", { class: "offer instant", dataset: { offerId: offer.offerId } },
      h("p", { class: "offer-title" }, h("strong", {}, offer.storeName), ` · ${mallName(offer.mallId)}`),
      h("p", {}, `To ${offer.dropoff.address} · about ${offer.estimatedMinutes} min · ${offer.pickupKm} km to the store`),
      h("p", {}, h("strong", {}, dollars(offer.pay)), ` plus ${dollars(offer.tip)} tip · answer by ${when(offer.expiresAt)}`),
      h("div", { class: "row" }, accept, decline), error);
  }

  // Blocks, assignments, earnings ------------------------------------------------------------
  const blocks = new Panel({
    id: "blocks",
    title: "Your blocks",
    load: async (panel) => {
      const answer = await api.get(`${base}/blocks`);
      const group = (title, items, none) => [
        h("h3", {}, title),
        items.length ? h("ul", { class: "plain" }, items.map(bookingItem)) : empty(none),
      ];
      fill(panel.body,
        group("Active", answer.active, "No block under way."),
        group("Upcoming", answer.upcoming, "No upcoming block."),
        group("Past 30 days", answer.past, "No past block."));
    },
  });

  function bookingItem(b) {
    return h("li", { class: "booking", dataset: { blockId: b.blockId } },
      h("strong", {}, mallName(b.mallId)), ` · ${words(b.shiftType)} · `,
      `${inZone(b.start, b.timeZone)}–${timeInZone(b.end, b.timeZone)} · ${b.hours} h · ${dollars(b.pay)} · `,
      h("span", { class: "status" }, words(b.status)));
  }

  const assignments = new Panel({
    id: "assignments",
    title: "Assignments",
    live: true,
    load: async (panel) => {
      const answer = await api.get(`${base}/assignments`);
      fill(panel.body, answer.orders.length
        ? h("ul", { class: "plain" }, answer.orders.map((o) => h("li", { dataset: { orderId: o.orderId } },
          h("strong", {}, o.storeName), ` → ${o.dropoff.address} · ${words(o.status)} · deliver by ${when(o.deliverBy)}`,
          ` · ${o.packages.count} ${o.packages.count === 1 ? "package" : "packages"}`)))
        : empty("No orders assigned to you now."));
    },
  });

  const earnings = new Panel({
    id: "earnings",
    title: "Earnings",
    intro: `Blocks worked in the last ${EARNINGS_DAYS} days.`,
    load: async (panel) => {
      const to = new Date();
      const from = new Date(to.getTime() - EARNINGS_DAYS * 86400 * 1000);
      const e = await api.get(`${base}/earnings?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
      const row = (term, value) => [h("dt", {}, term), h("dd", {}, value)];
      fill(panel.body, h("dl", { class: "figures" },
        row("Blocks worked", String(e.blocksWorked)), row("Hours", e.hours), row("Base pay", dollars(e.basePay)),
        row("Surge", dollars(e.surge)), row("Tips", dollars(e.tips)), row("Total", dollars(e.total))));
    },
  });

  const panels = [standing, history, feedback, offers, blocks, assignments, earnings];

  // Push messages ----------------------------------------------------------------------------
  function handle(message) {
    const data = message.data || {};
    switch (message.type) {
      case "rating.created": {
        const rating = {
          ratingId: data.ratingId, deliveryId: data.deliveryId || data.ratingId, stars: data.stars,
          factors: data.factors || null, comment: data.comment || null, tags: data.tags || [],
          ratedAt: data.createdAt || data.ratedAt || message.at, response: null, dispute: null, exclusion: null,
        };
        ratings.set(rating.ratingId, { ...rating, ...ratings.get(rating.ratingId) });
        renderFeedback();
        announce(`New rating: ${rating.stars} of 5 stars for delivery ${rating.deliveryId}.`);
        break;
      }
      case "standing.changed":
        if (data.tier) announce(`Your tier is now ${data.tier}${data.previousTier ? `, was ${data.previousTier}` : ""}.`);
        standing.load();
        history.load();
        break;
      case "dispute.decided":
        announce(`Your dispute of the rating of delivery ${data.ratingId} was ${data.outcome}.`);
        feedback.load();
        standing.load();
        break;
      case "offer.released":
      case "offer.reserved":
        announce(message.type === "offer.reserved" ? "A block is reserved for you." : "A new block is offered to you.");
        offers.load();
        break;
      case "instantOffer.created":
        announce("A new instant offer.");
        offers.load();
        break;
      case "order.assigned":
      case "order.status":
        assignments.load();
        break;
      default:
        break;
    }
  }

  const element = h("div", { class: "view driver-view", dataset: { view: "driver" } },
    h("div", { class: "grid two" }, standing.section, history.section),
    h("div", { class: "grid two" }, feedback.section, h("div", { class: "column" }, offers.section, assignments.section)),
    h("div", { class: "grid two" }, blocks.section, earnings.section));

  return {
    element,
    panels,
    handle,
    refresh: () => Promise.all(panels.map((panel) => panel.load())),
  };
}
