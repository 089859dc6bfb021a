/* Situation map: area outlines from GeoJSON, coloured by mode; layers as circles at each
   community's centre; a card on click; polls the status endpoint and recolours. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { zoomSnap: 0.25 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "" }).addTo(map);
  }
  var communities = {};   // code -> Leaflet polygon layer
  var status = null;
  var overlays = {};      // layer key -> L.layerGroup
  var selected = null;

  function style(code) {
    var s = status && status.communities[code];
    return { color: code === selected ? "#000" : "#333", weight: code === selected ? 3 : 1,
             fillColor: s ? s.colour : "#9e9e9e", fillOpacity: 0.55 };
  }

  function showCard(code) {
    selected = code;
    Object.keys(communities).forEach(function (c) { communities[c].setStyle(style(c)); });
    fetch(el.dataset.card + encodeURIComponent(code), { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { document.getElementById("card").innerHTML = html; });
  }

  function drawLayers() {
    document.querySelectorAll(".layer-toggle").forEach(function (box) {
      var key = box.value, values = (status && status.layers[key]) || {};
      var group = overlays[key] || (overlays[key] = L.layerGroup());
      group.clearLayers();
      var total = 0;
      // resilience: 100 − index; sized between the least and the most resilient in view
      // a loop, not Math.min.apply: a city's communities could pass an engine's argument limit
      var lo = 0, hi = 0, seen = false;
      if (key === "resilience") {
        Object.keys(values).forEach(function (c) {
          var v = values[c];
          if (!seen || v < lo) { lo = v; }
          if (!seen || v > hi) { hi = v; }
          seen = true;
        });
      }
      Object.keys(values).forEach(function (code) {
        var shape = communities[code], v = values[code];
        total += v;
        if (!shape || !v) { return; }
        if (key === "alerts") {  // the area an alert covers: the community's outline
          L.polygon(shape.getLatLngs(), { color: box.dataset.colour, weight: 3,
            dashArray: "6 4", fill: false, interactive: false }).addTo(group);
          return;
        }
        var radius = key === "gaps" ? 4 + 12 * v : 4 + 3 * Math.sqrt(v);
        if (key === "resilience") { radius = 3 + 11 * (hi > lo ? (v - lo) / (hi - lo) : 0.5); }
        if (key === "warnings") { radius = 6 + 2 * v; }
        L.circleMarker(shape.getBounds().getCenter(), {
          radius: radius, color: box.dataset.colour, weight: 1, fillOpacity: 0.7,
          interactive: false }).addTo(group);
      });
      var out = document.getElementById("total-" + key);
      var known = status && Object.prototype.hasOwnProperty.call(status.layers, key);
      if (out) {
        out.textContent = !known ? "–" :
          (key === "gaps" || key === "warnings" || key === "alerts" ||
           key === "resilience") ? Object.keys(values).length
            : Math.round(total);
      }
      if (box.checked) { group.addTo(map); } else { group.remove(); }
    });
  }

  function applyStatus(data) {
    status = data;
    Object.keys(communities).forEach(function (c) { communities[c].setStyle(style(c)); });
    Object.keys(data.counts).forEach(function (mode) {
      var out = document.getElementById("count-" + mode);
      if (out) { out.textContent = data.counts[mode]; }
    });
    drawLayers();
    document.getElementById("updated").textContent =
      new Date(data.generated_at).toLocaleTimeString();
    document.body.dataset.refreshedAt = data.generated_at;
  }

  function poll() {
    var wanted = [];
    document.querySelectorAll(".layer-toggle:checked").forEach(function (box) {
      wanted.push(box.value);
    });
    var url = el.dataset.status + "?layers=" + encodeURIComponent(wanted.join(","));
    return fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (r.ok) { return r.json(); } throw new Error(r.status); })
      .then(applyStatus)
      .catch(function () { /* keep the last picture; try again at the next tick */ });
  }

  fetch(el.dataset.areas, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      var streets = L.geoJSON(geo, {
        filter: function (f) { return f.properties.kind === "street"; },
        style: { color: "#222", weight: 2.5, fill: false, dashArray: "6 4" },
        interactive: false });
      var shapes = L.geoJSON(geo, {
        filter: function (f) { return f.properties.kind === "community"; },
        style: function (f) {
          var s = style(f.properties.code);
          s.className = "community community-" + f.properties.code;
          return s;
        },
        onEachFeature: function (f, layer) {
          communities[f.properties.code] = layer;
          layer.bindTooltip(f.properties.name);
          layer.on("click", function () { showCard(f.properties.code); });
        } }).addTo(map);
      streets.addTo(map);
      if (shapes.getLayers().length) { map.fitBounds(shapes.getBounds()); }
      else { map.setView([31.2, 121.5], 11); }
      return poll();
    })
    .then(function () {
      document.body.dataset.mapReady = "1";
      document.body.dataset.mapReadyMs = String(Math.round(performance.now()));
      var seconds = parseInt(el.dataset.refresh, 10) || 15;
      setInterval(poll, seconds * 1000);
    });

  document.querySelectorAll(".layer-toggle").forEach(function (box) {
    box.addEventListener("change", function () { drawLayers(); poll(); });
  });
})();
