// The big screen (大屏): draws the figures of /api/v1/analytics/screen/ (the first answer comes
// with the page as JSON) and asks again every data-poll-seconds, re-drawing without a reload.
// A failed refresh keeps the last figures and shows the stale warning until one succeeds.
(function () {
  "use strict";

  var body = document.querySelector("[data-screen]");
  if (!body) {
    return;
  }
  var language = body.dataset.language || "zh-hans";
  var locale = language.indexOf("zh") === 0 ? "zh-CN" : language;
  var timeZone = body.dataset.timeZone || undefined;
  var pollSeconds = Math.max(1, parseFloat(body.dataset.pollSeconds) || 30);
  var numbers = new Intl.NumberFormat(locale);

  function number(value) {
    return value === null || value === undefined ? "—" : numbers.format(Number(value));
  }

  function percent(rate) {
    if (rate === null || rate === undefined) {
      return "—";
    }
    return (Number(rate) * 100).toFixed(1) + "%";
  }

  function time(value, withSeconds) {
    if (!value) {
      return "—";
    }
    var options = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: timeZone };
    if (withSeconds) {
      options.second = "2-digit";
    }
    return new Date(value).toLocaleTimeString(locale, options);
  }

  function day(value) {
    return new Date(value).toLocaleDateString(locale, {
      year: "numeric", month: "2-digit", day: "2-digit", timeZone: timeZone,
    });
  }

  function clone(selector) {
    return document.querySelector(selector).content.firstElementChild.cloneNode(true);
  }

  function drawFigures(data) {
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      element.textContent = number(data[element.dataset.figure]);
    });
    document.querySelectorAll("[data-rate]").forEach(function (element) {
      element.textContent = percent(data[element.dataset.rate]);
    });
    // The rollups' time of day, with the date when it is not today's (the refresh has stalled).
    var asOf = time(data.rollups_as_of, false);
    if (data.rollups_as_of && day(data.rollups_as_of) !== day(new Date().toISOString())) {
      asOf = day(data.rollups_as_of) + " " + asOf;
    }
    document.querySelector("[data-rollups-as-of]").textContent = asOf;
  }

  function drawTiles(data) {
    var map = document.querySelector("[data-tile-map]");
    var tiles = data.districts.map(function (district) {
      var tile = clone("[data-tile-template]");
      tile.dataset.district = String(district.district);
      tile.classList.add("r" + district.row, "c" + district.column);
      tile.classList.add(district.level === null ? "level-none" : "level-" + district.level);
      tile.querySelector("[data-tile-name]").textContent = district.name;
      tile.querySelector("[data-tile-per-10k]").textContent =
        district.per_10k === null ? "—" : Number(district.per_10k).toFixed(1);
      tile.querySelector("[data-tile-today]").textContent = number(district.received_today);
      tile.title = district.name + ": " + number(district.received_month);
      return tile;
    });
    map.replaceChildren.apply(map, tiles);
    document.querySelectorAll("[data-legend] [data-level]").forEach(function (swatch) {
      var step = data.scale[Number(swatch.dataset.level)];
      swatch.textContent = step ? Number(step.lower) + "–" + Number(step.upper) : "";
    });
  }

  function drawCategories(data) {
    var list = document.querySelector("[data-categories]");
    var most = data.top_categories.length ? data.top_categories[0].count : 0;
    var items = data.top_categories.map(function (line) {
      var item = clone("[data-category-template]");
      var bar = item.querySelector("[data-category-share]");
      item.dataset.category = String(line.category);
      item.querySelector("[data-category-name]").textContent = line.name;
      // The bar is the count against the busiest category's; the share of today is its tooltip.
      bar.max = Math.max(most, 1);
      bar.value = line.count;
      bar.title = percent(line.share);
      item.querySelector("[data-category-count]").textContent = number(line.count);
      return item;
    });
    list.replaceChildren.apply(list, items);
    document.querySelector("[data-categories-empty]").hidden = items.length > 0;
  }

  function draw(data) {
    drawFigures(data);
    drawTiles(data);
    drawCategories(data);
    document.querySelector("[data-updated]").textContent = time(new Date().toISOString(), true);
    document.querySelector("[data-stale]").hidden = true;
    body.dataset.drawn = String(Number(body.dataset.drawn || 0) + 1);
  }

  function refresh() {
    fetch(body.dataset.screenUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(draw)
      .catch(function () {
        document.querySelector("[data-stale]").hidden = false;
      })
      .finally(function () {
        window.setTimeout(refresh, pollSeconds * 1000);
      });
  }

  function tick() {
    document.querySelector("[data-clock]").textContent = new Date().toLocaleString(locale, {
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hour12: false,
      timeZone: timeZone,
    });
  }

  draw(JSON.parse(document.getElementById("screen-data").textContent));
  tick();
  window.setInterval(tick, 1000);
  window.setTimeout(refresh, pollSeconds * 1000);
})();
