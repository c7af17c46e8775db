// Model page: the model's online Elo by day (the "elo-data" JSON), drawn with the shared
// chart helper (static/js/charts.js). The table beside it is the no-JS fallback.
(function () {
  "use strict";
  const dataElement = document.getElementById("elo-data");
  const chart = dataElement && window.arenaChart ? window.arenaChart("elo") : null;
  if (!chart) return;
  const points = JSON.parse(dataElement.textContent);
  chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 20, bottom: 40 },
    tooltip: {
      trigger: "axis",
      formatter: function (params) {
        const p = points[params[0].dataIndex];
        return p.date + "<br>online Elo " + p.rating + " after " + p.votes + " votes";
      },
    },
    xAxis: { type: "time" },
    yAxis: { type: "value", scale: true, name: "online Elo" },
    series: [{ name: "online Elo", type: "line", showSymbol: points.length < 60, symbolSize: 5,
               itemStyle: { color: "#0b57d0" },
               data: points.map(function (p) { return [p.date, p.rating]; }) }],
  });
})();
