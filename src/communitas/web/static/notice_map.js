/* Drawing a notice's area with plain Leaflet events: click communities to tick them, click
   points of a polygon, or click a circle's centre. The form fields carry the result. */
(function () {
  "use strict";
  var el = document.getElementById("notice-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { zoomSnap: 0.25 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "" }).addTo(map);
  }
  var polygonField = document.getElementById("polygon");
  var latField = document.getElementById("circle_lat");
  var lonField = document.getElementById("circle_lon");
  var kmField = document.getElementById("circle_km");
  var outlines = {}, points = [], shape = null;

  function mode() {
    var chosen = document.querySelector("input[name=draw_mode]:checked");
    return chosen ? chosen.value : "areas";
  }
  function box(code) {
    return document.querySelector("input[name=area_codes][value='" + code + "']");
  }
  function paint(code) {
    var ticked = box(code) && box(code).checked;
    outlines[code].setStyle({ color: "#333", weight: 1, fillColor: ticked ? "#c62828" : "#9e9e9e",
                              fillOpacity: ticked ? 0.5 : 0.15 });
  }
  function drawShape() {
    if (shape) { shape.remove(); shape = null; }
    if (points.length) {
      shape = L.polygon(points, { color: "#c62828", weight: 2, interactive: false })
        .addTo(map);
      polygonField.value = points.map(function (p) {
        return p[0].toFixed(6) + "," + p[1].toFixed(6); }).join(";");
    } else if (latField.value && lonField.value) {
      var km = parseFloat(kmField.value) || 0.5;
      shape = L.circle([parseFloat(latField.value), parseFloat(lonField.value)],
                       { radius: km * 1000, color: "#c62828", weight: 2,
                         interactive: false }).addTo(map);
    }
  }
  function clicked(latlng, code) {
    if (mode() === "areas" && code && box(code)) {
      box(code).checked = !box(code).checked;
      paint(code);
    } else if (mode() === "polygon") {
      latField.value = lonField.value = "";
      points.push([latlng.lat, latlng.lng]);
      drawShape();
    } else if (mode() === "circle") {
      points = []; polygonField.value = "";
      latField.value = latlng.lat.toFixed(6); lonField.value = latlng.lng.toFixed(6);
      if (!kmField.value) { kmField.value = "0.5"; }
      drawShape();
    }
  }
  if (polygonField.value) {
    points = polygonField.value.split(";").map(function (p) {
      return p.split(",").map(parseFloat); });
  }
  map.on("click", function (e) { clicked(e.latlng, null); });
  kmField.addEventListener("input", drawShape);
  document.getElementById("clear-shape").addEventListener("click", function () {
    points = []; polygonField.value = latField.value = lonField.value = "";
    drawShape();
  });
  document.querySelectorAll("input[name=area_codes]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (outlines[input.value]) { paint(input.value); } });
  });
  fetch(el.dataset.areas, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        filter: function (f) { return f.properties.kind === "community"; },
        style: function (f) { return { className: "community-" + f.properties.code }; },
        onEachFeature: function (f, shapeLayer) {
          outlines[f.properties.code] = shapeLayer;
          shapeLayer.bindTooltip(f.properties.name);
          shapeLayer.on("click", function (e) {
            L.DomEvent.stopPropagation(e);
            clicked(e.latlng, f.properties.code);
          });
        }
      }).addTo(map);
      Object.keys(outlines).forEach(paint);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
      drawShape();
      el.dataset.ready = "1";
    });
}());
