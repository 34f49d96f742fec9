// How the API's values read on the page: times, money, tiers, and the names of its codes.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** An ISO 8601 instant in the reader's time zone, or "–". */
export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTime.format(date);
}

/** An instant in a named zone (a block at its mall), e.g. "Tue, 14 May, 10:00". */
export function inZone(iso, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  try {
    return new Intl.DateTimeFormat(undefined, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone,
    }).format(date);
  } catch {
    return dateTime.format(date);
  }
}

/** Hours and minutes only, in a named zone. */
export function timeInZone(iso, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  try {
    return new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone }).format(date);
  } catch {
    return String(iso);
  }
}

/** The API's money is a decimal string of dollars. */
export const dollars = (amount) => (amount === null || amount === undefined ? "–" : `$${amount}`);

export const TIERS = ["At Risk", "Fair", "Great", "Fantastic"];

/** A CSS-friendly name of a tier: "At Risk" → "at-risk". */
export const tierClass = (tier) => String(tier || "").toLowerCase().replace(/\s+/g, "-");

export const COMPONENTS = {
  customerRating: { label: "Customer rating", digits: 4, kind: "stars" },
  onTimeRate: { label: "On-time rate", digits: 4, kind: "rate" },
  completionRate: { label: "Completion rate", digits: 4, kind: "rate" },
  reliability: { label: "Reliability", digits: 4, kind: "rate" },
};

export const componentLabel = (name) => (COMPONENTS[name] ? COMPONENTS[name].label : name);

export const DISPUTE_REASONS = {
  outside_driver_control: "Outside my control",
  wrong_driver: "Wrong driver",
  customer_error: "Customer error",
  abusive_comment: "Abusive comment",
  other: "Other",
};

export const UNASSIGNED_REASONS = {
  no_driver_in_reach: "No driver in reach",
  drivers_busy: "Drivers busy",
  past_deadline: "Past its deadline",
};

export const REVIEW_DECISIONS = {
  keep: "Keep",
  coach: "Coach",
  deactivate: "Deactivate",
  reinstate: "Reinstate",
};

/** A code such as "careful_handling" or "packageCare" as words: "Careful handling", "Package care". */
export function words(code) {
  const spaced = String(code).replace(/_/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** "★★☆☆☆" for 2 stars: shown, and hidden from screen readers, which read "2 of 5 stars". */
export const starGlyphs = (stars) => "★".repeat(stars) + "☆".repeat(Math.max(0, 5 - stars));
