// Agent desk: keyboard flow, category search, deadline tier default, and the side panels
// (caller history, repeat candidates, knowledge base) refreshed while the agent types.
"use strict";
(() => {
  const form = document.getElementById("desk-form");
  if (!form) return;
  const field = (name) => form.elements.namedItem(name);
  // The knowledge-base search reads this much of the description (intake.views.KB_DESCRIPTION_CHARS).
  const DESCRIPTION_SENT = Number(document.getElementById("kb-q").dataset.descriptionChars);

  const debounce = (fn, ms) => {
    let timer;
    return () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  };

  // Only the latest response of each panel is shown, whatever order they arrive in.
  const latest = new Map();
  const load = async (target, url, params) => {
    const ticket = (latest.get(target) || 0) + 1;
    latest.set(target, ticket);
    try {
      const response = await fetch(`${url}?${new URLSearchParams(params)}`, { credentials: "same-origin" });
      if (response.ok && latest.get(target) === ticket) target.innerHTML = await response.text();
    } catch {
      // Offline or leaving the page: keep what the panel shows.
    }
  };

  const visible = (el) => el.offsetParent !== null;

  // After a refused submit the first error is scrolled into view and focused (not the phone): the
  // first field in error, else the form-wide errors. A field's error list is id_<name>_error; a
  // unit picker shows its field in its search box (id_<name>-search).
  const controlOf = (errorList) => {
    const id = errorList.id.replace(/_error$/, "");
    return [document.getElementById(id), document.getElementById(`${id}-search`)].find((el) => el && visible(el));
  };
  const showError = (errorList, control) => {
    if (!control) errorList.tabIndex = -1;
    (control || errorList).focus({ preventScroll: true });
    (control ? control.closest(".field") || control : errorList).scrollIntoView({ block: "center" });
  };
  // The browser's own refusal (a required field left empty) focuses the field but scrolls it only
  // just inside the window's edge: bring it to the middle like the server's refusals. `invalid`
  // fires on every invalid field in order; only the first of a submission moves the view.
  let lastInvalidAt = -Infinity;
  form.addEventListener(
    "invalid",
    (event) => {
      if (event.timeStamp - lastInvalidAt > 500) {
        (event.target.closest(".field") || event.target).scrollIntoView({ block: "center" });
      }
      lastInvalidAt = event.timeStamp;
    },
    true,
  );
  // On DOMContentLoaded, after unit-picker.js (loaded before this script) has made its boxes.
  document.addEventListener("DOMContentLoaded", () => {
    const errorLists = Array.from(document.querySelectorAll(".desk .errorlist"));
    const first = errorLists.find((errorList) => errorList.id && controlOf(errorList));
    if (first) showError(first, controlOf(first));
    else if (errorLists.length) showError(errorLists[0], null);
  });

  // Enter moves on to the next field instead of submitting: from one-line fields, selects, the
  // unit pickers (once they have picked) and the text areas, where Shift+Enter starts a new line.
  // Not while an input method composes: there Enter confirms the characters.
  const focusable = () =>
    Array.from(form.querySelectorAll("input, select, textarea, button")).filter(
      (el) => !el.disabled && el.type !== "hidden" && el.tabIndex >= 0 && visible(el),
    );
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    const movesOn =
      target.tagName === "SELECT" ||
      (target.tagName === "TEXTAREA" && !event.shiftKey) ||
      (target.tagName === "INPUT" && !["submit", "button"].includes(target.type));
    if (!movesOn) return;
    event.preventDefault();
    const items = focusable();
    const next = items[items.indexOf(target) + 1];
    if (next) next.focus();
  });

  // Category: typing in the search box narrows the select to the matches and says how many there
  // are; a single match is chosen, several are left for the agent to pick (Enter, then arrows).
  const category = field("category");
  const categoryFilter = document.getElementById("category-filter");
  const categoryCount = document.getElementById("category-matches");
  const categoryOptions = Array.from(category.options);
  categoryFilter.addEventListener("input", () => {
    const terms = categoryFilter.value.trim().split(/\s+/).filter(Boolean);
    const matches = categoryOptions.filter((option) => option.value && terms.every((term) => option.text.includes(term)));
    const blank = categoryOptions.filter((option) => !option.value);
    category.replaceChildren(...blank, ...(terms.length ? matches : categoryOptions.filter((option) => option.value)));
    categoryCount.textContent = terms.length ? categoryCount.dataset.template.replace("{count}", matches.length) : "";
    const value = matches.length === 1 ? matches[0].value : terms.length ? "" : category.value;
    if (category.value !== value || terms.length) {
      category.value = value;
      category.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // Deadline tier follows category and urgency until the agent changes it; a changed tier needs a reason.
  const urgency = field("urgency");
  const tier = field("deadline_tier");
  const reason = field("tier_override_reason");
  const reasonRow = document.getElementById("tier-reason");
  const defaultTier = () => {
    if (urgency.value === "emergency") return "emergency";
    const option = category.selectedOptions[0];
    return option && option.dataset.tier ? option.dataset.tier : "";
  };
  let tierChanged = tier.value !== "" && tier.value !== defaultTier();
  const syncTier = () => {
    if (!tierChanged) tier.value = defaultTier();
    const overridden = tier.value !== "" && tier.value !== defaultTier();
    reasonRow.hidden = !overridden;
    reason.required = overridden;
  };
  tier.addEventListener("change", () => {
    tierChanged = tier.value !== defaultTier();
    syncTier();
  });
  category.addEventListener("change", syncTier);
  urgency.addEventListener("change", syncTier);
  syncTier();

  // The enterprise name is asked for enterprises only.
  const isEnterprise = field("is_enterprise");
  const enterpriseRow = document.getElementById("enterprise-name");
  const syncEnterprise = () => {
    enterpriseRow.hidden = !isEnterprise.checked;
  };
  isEnterprise.addEventListener("change", syncEnterprise);
  syncEnterprise();

  // Caller history by phone number.
  const phone = field("phone");
  const callerPanel = document.getElementById("caller-panel");
  const lookUpCaller = debounce(async () => {
    await load(callerPanel, form.dataset.callerUrl, { phone: phone.value });
    const card = callerPanel.querySelector("[data-caller-name]");
    if (card && !field("caller_name").value) field("caller_name").value = card.dataset.callerName;
  }, 400);

  // Repeat candidates from phone, category, street and description.
  const candidates = document.getElementById("candidates");
  const findCandidates = debounce(() => {
    load(candidates, form.dataset.candidatesUrl, {
      phone: phone.value,
      category: category.value,
      street: field("street").value,
      description: field("description").value,
    });
  }, 500);
  phone.addEventListener("input", () => {
    lookUpCaller();
    findCandidates();
  });
  for (const name of ["category", "street"]) field(name).addEventListener("change", findCandidates);
  field("description").addEventListener("input", findCandidates);
  if (phone.value) {
    lookUpCaller();
    findCandidates();
  }

  // Smart dispatch: the suggestion API reads what the agent types and proposes categories (one
  // click or Alt+1…5 takes one) and the place. A confident place fills district and street until
  // the agent chooses them; an ambiguous one is offered as candidates, never filled in.
  const suggestBox = document.getElementById("suggestions");
  const district = field("district");
  const street = field("street");
  const csrf = field("csrfmiddlewaretoken").value;
  const text = (tag, content, className) => {
    const el = document.createElement(tag);
    el.textContent = content;
    if (className) el.className = className;
    return el;
  };
  const percent = (value) => `${Math.round(value * 100)}%`;
  let placeChosen = Boolean(street.value);
  // Every change but the fill's own is the agent's: a select, a picker, or the district a chosen street fills in.
  let filling = false;
  const userChose = () => {
    if (!filling) placeChosen = Boolean(street.value || district.value);
  };
  district.addEventListener("change", userChose);
  street.addEventListener("change", userChose);
  const fillPlace = (streetId) => {
    filling = true;
    district.value = "";
    district.dispatchEvent(new Event("change", { bubbles: true }));
    street.value = String(streetId);
    street.dispatchEvent(new Event("change", { bubbles: true }));
    filling = false;
    for (const select of [district, street]) {
      select.classList.add("autofilled");
      const picker = document.getElementById(`${select.id}-search`);
      if (picker) picker.classList.add("autofilled");
    }
  };
  const takeCategory = (suggestion) => {
    if (Array.from(category.options).some((option) => option.value === String(suggestion.id))) {
      categoryFilter.value = "";
      category.replaceChildren(...categoryOptions);
      category.value = String(suggestion.id);
      category.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      // A category above the leaves (the model knew no deeper): narrow the list to its leaves.
      categoryFilter.value = suggestion.path.split(" › ").pop();
      categoryFilter.dispatchEvent(new Event("input"));
    }
    category.focus();
  };
  let categorySuggestions = [];
  const render = (advice) => {
    const labels = suggestBox.dataset;
    const parts = [];
    categorySuggestions = advice.categories;
    if (advice.categories.length) {
      const list = document.createElement("ol");
      list.className = "suggested-categories";
      advice.categories.forEach((suggestion, index) => {
        const button = text("button", suggestion.path);
        button.type = "button";
        button.dataset.category = suggestion.id;
        button.setAttribute("aria-keyshortcuts", `Alt+${index + 1}`);
        button.append(" ", text("span", percent(suggestion.confidence), "muted"), " ", text("kbd", `Alt+${index + 1}`));
        button.addEventListener("click", () => takeCategory(suggestion));
        const item = document.createElement("li");
        item.append(button);
        list.append(item);
      });
      parts.push(text("h3", labels.categoriesLabel), list);
    }
    const place = advice.place;
    if (place) {
      const names = [place.district && place.district.label, place.street && place.street.label, place.community && place.community.name];
      const line = text("p", `${labels.placeLabel}${names.filter(Boolean).join(" › ")} `, "suggested-place");
      line.append(text("span", percent(place.confidence), "muted"));
      parts.push(line);
      if (place.candidates.length > 1) {
        const choices = document.createElement("div");
        choices.className = "place-candidates";
        choices.append(text("span", labels.candidatesLabel, "muted"));
        for (const candidate of place.candidates) {
          const label = [candidate.street.label, candidate.community && candidate.community.name].filter(Boolean).join(" › ");
          const button = text("button", `${label} ${percent(candidate.confidence)}`);
          button.type = "button";
          button.dataset.street = candidate.street.id;
          button.addEventListener("click", () => {
            fillPlace(candidate.street.id);
            placeChosen = true;
          });
          choices.append(button);
        }
        parts.push(choices);
      } else if (place.street && !placeChosen && place.confidence >= Number(labels.autofill)) {
        fillPlace(place.street.id);
        parts.push(text("p", labels.filledLabel, "muted hint"));
      }
    }
    if (advice.units.length) {
      parts.push(text("p", `${labels.unitLabel}${advice.units[0].label}（${advice.units[0].reason}）`, "muted"));
    }
    suggestBox.replaceChildren(...parts);
    suggestBox.hidden = parts.length === 0;
  };
  let adviceTicket = 0;
  const advise = debounce(async () => {
    const description = field("description").value.trim();
    const address = field("address").value.trim();
    if (!description && !address) return;
    const body = { text: description, address };
    if (placeChosen && district.value) body.district = Number(district.value);
    if (placeChosen && street.value) body.street = Number(street.value);
    const ticket = ++adviceTicket;
    try {
      const response = await fetch(suggestBox.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
      });
      if (response.ok && ticket === adviceTicket) render(await response.json());
    } catch {
      // Offline or leaving the page: keep what the panel shows.
    }
  }, 400);
  field("description").addEventListener("input", advise);
  field("address").addEventListener("input", advise);
  if (field("description").value || field("address").value) advise();

  // Alt+S queues for dispatch, Alt+A answers directly, Alt+X closes: the outcome buttons'
  // shortcuts (by key position, so they work with any keyboard layout); Alt+1…5 takes a
  // suggested category.
  const shortcuts = { KeyS: "dispatch", KeyA: "answer", KeyX: "close" };
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const digit = /^Digit([1-5])$/.exec(event.code);
    if (digit) {
      const suggestion = categorySuggestions[Number(digit[1]) - 1];
      if (suggestion) {
        event.preventDefault();
        takeCategory(suggestion);
      }
      return;
    }
    const outcome = shortcuts[event.code];
    if (!outcome) return;
    event.preventDefault();
    form.querySelector(`button[name="outcome"][value="${outcome}"]`).click();
  });

  // Closing needs its outcome: refused at once, with the server's words, where the agent looks.
  const disposition = field("disposition");
  const closeOutcome = disposition.closest(".close-outcome");
  form.addEventListener("submit", (event) => {
    const submitter = event.submitter;
    if (!submitter || submitter.name !== "outcome" || submitter.value !== "close" || disposition.value) return;
    event.preventDefault();
    let errorList = document.getElementById("id_disposition_error");
    if (!errorList) {
      errorList = document.createElement("ul");
      errorList.className = "errorlist";
      errorList.id = "id_disposition_error";
      errorList.append(text("li", closeOutcome.dataset.required));
      form.querySelector(".outcomes").after(errorList);
    }
    disposition.setAttribute("aria-invalid", "true");
    disposition.setAttribute("aria-describedby", errorList.id);
    showError(errorList, disposition);
  });
  disposition.addEventListener("change", () => {
    const errorList = document.getElementById("id_disposition_error");
    if (!disposition.value || !errorList) return;
    errorList.remove();
    disposition.removeAttribute("aria-invalid");
    disposition.removeAttribute("aria-describedby");
  });

  // Knowledge base beside the form: articles of the chosen category first, then those the
  // description speaks of, narrowed by the panel's own search box.
  const kbQuery = document.getElementById("kb-q");
  const kbResults = document.getElementById("kb-results");
  const searchArticles = debounce(
    () =>
      load(kbResults, kbQuery.dataset.url, {
        q: kbQuery.value,
        category: category.value,
        description: field("description").value.slice(0, DESCRIPTION_SENT),
      }),
    300,
  );
  kbQuery.addEventListener("input", searchArticles);
  category.addEventListener("change", searchArticles);
  field("description").addEventListener("input", searchArticles);
  kbQuery.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      searchArticles();
    }
  });
})();
