// The one chart helper of the pages with figures (leaderboard, model, frontier), loaded after
// the vendored ECharts and before the page's own script: an ECharts instance drawn as SVG in
// the element [data-chart="name"], resized with the window; null where there is no such
// element or no ECharts.
(function () {
  "use strict";
  window.arenaChart = function (name) {
    const element = document.querySelector('[data-chart="' + name + '"]');
    if (!element || typeof window.echarts === "undefined") return null;
    const instance = window.echarts.init(element, null, { renderer: "svg" });
    window.addEventListener("resize", function () { instance.resize(); });
    return instance;
  };
})();
