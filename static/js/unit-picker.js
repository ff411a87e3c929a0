// Unit pickers (hotline/widgets.py): turns each [data-unit-picker] select, which holds only the
// chosen units and the suggestions, into an ARIA combobox searching GET /api/v1/units/search/.
// The select stays in the form, hidden, and carries the value. No dependencies.
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
      if (!query) { show(suggestions(), ""); return; }
      var params = new URLSearchParams({ q: query });
      data.kinds.split(",").filter(Boolean).forEach(function (kind) { params.append("kind", kind); });
      fetch(data.searchUrl + "?" + params, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (units) {
          if (mine !== sequence || document.activeElement !== input) { return; }
          show(units.map(function (unit) {
            return { id: String(unit.id), label: labelOf(unit), group: groupOf(unit) };
          }), query);
        });
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
      close();
      if (multiple) { input.value = ""; return; }
      if (!input.value.trim()) { select.value = ""; }
      input.value = chosenLabel();
    });
    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { search(); } else if (items.length) { highlight(Math.min(active + 1, items.length - 1)); }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open && items.length) { highlight(Math.max(active - 1, 0)); }
      } else if (event.key === "Enter" && open) {
        event.preventDefault();  // choosing a unit must not submit the form
        if (active >= 0) { choose(items[active]); }
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

    input.value = multiple ? "" : chosenLabel();
    renderChips();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-unit-picker]").forEach(setUp);
  });
})();
