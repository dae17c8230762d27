/* The analytics dashboards' charts: every [data-chart] element holds its ECharts option as
   JSON in a child <script type="application/json">; draw it with the vendored echarts.min.js. */
(function () {
  "use strict";
  var drawn = [];
  function draw(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(function (box) {
      if (box.dataset.drawn) return;
      var source = box.querySelector("script[type='application/json']");
      if (!source || typeof echarts === "undefined") return;
      var option = JSON.parse(source.textContent);
      var target = document.createElement("div");
      target.className = "chart-canvas";
      if (box.dataset.height) target.style.height = box.dataset.height + "px";
      box.appendChild(target);
      var chart = echarts.init(target, null, { renderer: "canvas" });
      chart.setOption(option);
      box.dataset.drawn = "1";
      drawn.push(chart);
    });
  }
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:load", function (e) { draw(e.target); });
})();
