/* The offline world map (templates/_archiver_map.html): zoom buttons, and in a form with
   latitude/longitude fields, click to pick a place (typing moves the marker too).
   SVG user units are degrees: x = longitude, y = -latitude. */
(function () {
  "use strict";
  var WORLD = { x: -180, y: -90, w: 360, h: 180 };

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function setup(svg) {
    var view = { x: WORLD.x, y: WORLD.y, w: WORLD.w, h: WORLD.h };
    var form = svg.closest("form");
    var lat = form && form.querySelector("input[name=latitude]");
    var lon = form && form.querySelector("input[name=longitude]");
    var pick = svg.querySelector(".archiver-pick");

    function draw() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
      var r = view.w / 120;
      svg.querySelectorAll("circle").forEach(function (c) {
        c.setAttribute("r", r);
        c.style.strokeWidth = r / 3;
      });
    }
    function centre() {
      if (pick && pick.getAttribute("visibility") !== "hidden") {
        return { x: +pick.getAttribute("cx"), y: +pick.getAttribute("cy") };
      }
      return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    }
    function zoomTo(c, w) {
      w = clamp(w, 0.02, WORLD.w);
      var h = w / 2;
      view = { x: clamp(c.x - w / 2, -180, 180 - w), y: clamp(c.y - h / 2, -90, 90 - h), w: w, h: h };
      draw();
    }
    function place(longitude, latitude) {
      pick.setAttribute("cx", longitude);
      pick.setAttribute("cy", -latitude);
      pick.setAttribute("visibility", "visible");
    }

    svg.parentNode.querySelectorAll("[data-map-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-map-zoom");
        if (how === "world") { zoomTo({ x: 0, y: 0 }, WORLD.w); }
        else { zoomTo(centre(), how === "in" ? view.w / 3 : view.w * 3); }
      });
    });

    if (pick && lat && lon) {
      svg.addEventListener("click", function (event) {
        var point = svg.createSVGPoint();
        point.x = event.clientX;
        point.y = event.clientY;
        var at = point.matrixTransform(svg.getScreenCTM().inverse());
        var latitude = clamp(-at.y, -90, 90), longitude = clamp(at.x, -180, 180);
        lat.value = latitude.toFixed(5);
        lon.value = longitude.toFixed(5);
        place(longitude, latitude);
      });
      var typed = function () {
        var latitude = parseFloat(lat.value), longitude = parseFloat(lon.value);
        if (isFinite(latitude) && isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
          place(longitude, latitude);
        }
      };
      lat.addEventListener("input", typed);
      lon.addEventListener("input", typed);
    }

    var focus = (svg.getAttribute("data-focus") || "").split(",").map(parseFloat);
    if (focus.length === 2 && isFinite(focus[0]) && isFinite(focus[1])) {
      zoomTo({ x: focus[0], y: -focus[1] }, 40);
    } else {
      draw();
    }
  }

  function start() { document.querySelectorAll("svg.archiver-map").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
