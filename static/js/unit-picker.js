// Unit pickers (hotline/widgets.py): turns each [data-unit-picker] select, which holds only the
// chosen units and the suggestions, into an ARIA combobox searching GET /api/v1/units/search/.
// The select stays in the form, hidden, and carries the value. No dependencies.
// data-within="id" limits the search to the district chosen in that select. Enter picks the
// highlighted unit, or the only match; with several and none highlighted it highlights the
// first. An Enter that picks goes on to the page (the desk moves to the next field); one
// pressed before the results arrive waits for them.
(function () {
  "use strict";
  var DEBOUNCE_MS = 150;
  var pickers = 0;

  // Labels are in the page's language; Chinese takes full-width brackets.
  var chinese = document.documentElement.lang.indexOf("zh") === 0;

  function labelOf(unit) {
    var district = "";
    if (unit.district && unit.district.id !== unit.id) {
      district = chinese ? "（" + unit.district.label + "）" : " (" + unit.district.label + ")";
    }
    return unit.label + district;
  }

  function groupOf(unit) {
    return unit.district ? unit.kind_label + " · " + unit.district.label : unit.kind_label;
  }

  // Items grouped under their header, groups in the order of their best item.
  function grouped(items) {
    var order = [];
    var groups = {};
    items.forEach(function (item) {
      if (!groups[item.group]) { groups[item.group] = []; order.push(item.group); }
      groups[item.group].push(item);
    });
    return order.reduce(function (all, group) { return all.concat(groups[group]); }, []);
  }

  function setUp(root) {
    var select = root.querySelector("select");
    var data = root.dataset;
    var multiple = root.hasAttribute("data-multiple");
    var listId = (select.id || "unit-picker-" + (++pickers)) + "-listbox";
    var input = document.createElement("input");
    var listbox = document.createElement("ul");
    var chips = document.createElement("ul");
    var items = [];
    var active = -1;
    var timer = null;
    var sequence = 0;
    var pending = false;  // a search is waiting for its debounce or its answer
    var enterPending = false;
    var within = data.within && document.getElementById(data.within);

    input.type = "text";
    input.id = select.id + "-search";
    input.autocomplete = "off";
    input.placeholder = data.labelPlaceholder;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    listbox.id = listId;
    listbox.className = "unit-picker-list";
    listbox.setAttribute("role", "listbox");
    listbox.hidden = true;
    chips.className = "unit-picker-chips";
    var label = select.id && document.querySelector("label[for='" + select.id + "']");
    if (label) { label.htmlFor = input.id; }
    if (multiple) { listbox.setAttribute("aria-multiselectable", "true"); }
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (select.hasAttribute(name)) { input.setAttribute(name, select.getAttribute(name)); }
    });
    select.hidden = true;
    root.append(chips, input, listbox);

    function suggestions() {
      var group = root.querySelector("optgroup");
      if (!group) { return []; }
      return Array.prototype.map.call(group.querySelectorAll("option"), function (option) {
        return { id: option.value, label: option.textContent, group: data.labelSuggested };
      });
    }

    function chosenLabel() {
      var option = select.selectedOptions[0];
      return option && option.value ? option.textContent : "";
    }

    function renderChips() {
      chips.textContent = "";
      if (!multiple) { return; }
      Array.prototype.forEach.call(select.selectedOptions, function (option) {
        var chip = document.createElement("li");
        var remove = document.createElement("button");
        chip.className = "chip";
        chip.dataset.unit = option.value;
        chip.textContent = option.textContent;
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", data.labelRemove + " " + option.textContent);
        remove.addEventListener("click", function () {
          option.selected = false;
          select.dispatchEvent(new Event("change", { bubbles: true }));
          renderChips();
          input.focus();
        });
        chip.append(" ", remove);
        chips.append(chip);
      });
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      listbox.querySelectorAll("[role=option]").forEach(function (option) {
        var on = Number(option.dataset.index) === index;
        option.setAttribute("aria-selected", on ? "true" : "false");
        option.classList.toggle("active", on);
        if (on) {
          input.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
    }

    function show(found, query) {
      items = grouped(found);
      listbox.textContent = "";
      var header = null;
      items.forEach(function (item, index) {
        if (item.group !== header) {
          header = item.group;
          var heading = document.createElement("li");
          heading.className = "unit-picker-group";
          heading.setAttribute("role", "presentation");
          heading.textContent = header;
          listbox.append(heading);
        }
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.dataset.index = index;
        option.dataset.unit = item.id;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = item.label;
        listbox.append(option);
      });
      if (!items.length && query) {
        var empty = document.createElement("li");
        empty.className = "unit-picker-empty muted";
        empty.setAttribute("role", "presentation");
        empty.textContent = data.labelEmpty;
        listbox.append(empty);
      }
      var open = items.length > 0 || Boolean(query);
      listbox.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      highlight(-1);
    }

    function search() {
      var query = input.value.trim();
      var mine = ++sequence;
      window.clearTimeout(timer);
      if (!query) { pending = false; show(suggestions(), ""); answerEnter(); return; }
      pending = true;
      var params = new URLSearchParams({ q: query });
      data.kinds.split(",").filter(Boolean).forEach(function (kind) { params.append("kind", kind); });
      if (within && within.value) { params.set("within", within.value); }
      fetch(data.searchUrl + "?" + params, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .catch(function () { return []; })
        .then(function (units) {
          if (mine !== sequence || document.activeElement !== input) { return; }
          pending = false;
          show(units.map(function (unit) {
            return { id: String(unit.id), label: labelOf(unit), group: groupOf(unit) };
          }), query);
          answerEnter();
        });
    }

    // Enter on an open list: true when it picked a unit. Several matches and none highlighted:
    // the first is highlighted, never silently taken.
    function enter() {
      if (active >= 0) { choose(items[active]); return true; }
      if (items.length === 1) { choose(items[0]); return true; }
      if (items.length) { highlight(0); }
      return false;
    }

    // The Enter pressed while the search was pending, now that its results are shown: a pick, or
    // an empty box (nothing to pick), hands it on to the page as if it had come now.
    function answerEnter() {
      if (!enterPending) { return; }
      enterPending = false;
      if (listbox.hidden || enter()) {
        input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
      }
    }

    function choose(item) {
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === item.id; });
      if (!option) {
        option = new Option(item.label, item.id);
        select.append(option);
      }
      if (multiple) {
        option.selected = true;
        input.value = "";
      } else {
        select.value = item.id;
        input.value = option.textContent;
      }
      select.dispatchEvent(new Event("change", { bubbles: true }));
      renderChips();
      close();
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      pending = true;
      timer = window.setTimeout(search, DEBOUNCE_MS);
    });
    // On focus the suggestions; a single picker's current unit is selected, so typing replaces it.
    input.addEventListener("focus", function () {
      if (!multiple) { input.select(); }
      show(suggestions(), "");
    });
    input.addEventListener("blur", function () {
      window.clearTimeout(timer);
      sequence++;  // a late answer must not reopen the list
      pending = enterPending = false;
      close();
      if (multiple) { input.value = ""; return; }
      if (!input.value.trim() && select.value) {
        select.value = "";
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      input.value = chosenLabel();
    });
    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.isComposing) { return; }  // Enter confirms the input method's characters
      if (event.key === "Enter" && (pending || (open && active < 0 && items.length !== 1))) {
        // Not for the page yet: the results are coming, or the agent is to see the highlight.
        event.preventDefault();
        event.stopPropagation();
        if (pending) {
          enterPending = true;
          search();
        } else {
          enter();
        }
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { search(); } else if (items.length) { highlight(Math.min(active + 1, items.length - 1)); }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open && items.length) { highlight(Math.max(active - 1, 0)); }
      } else if (event.key === "Enter" && open) {
        event.preventDefault();  // choosing a unit must not submit the form
        enter();
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    // mousedown, not click: the input keeps the focus, so blur does not close the list first.
    listbox.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      event.preventDefault();
      if (option) { choose(items[Number(option.dataset.index)]); }
    });

    // Another script may set the select (the desk's place fill, a chained district): show it.
    select.addEventListener("change", function () {
      if (document.activeElement !== input) { input.value = multiple ? "" : chosenLabel(); }
      renderChips();
    });

    input.value = multiple ? "" : chosenLabel();
    renderChips();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-unit-picker]").forEach(setUp);
  });
})();
