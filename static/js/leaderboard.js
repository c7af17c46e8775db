// Leaderboard and model pages: sortable, searchable table; figures drawn with ECharts.
(function () {
  "use strict";

  // --- tables (one per connected component): sort by a column heading, filter by a search box ---
  const tables = Array.from(document.querySelectorAll("table.sortable"));
  tables.forEach(function (table) {
    const body = table.tBodies[0];
    table.querySelectorAll("th[data-sort] button").forEach(function (button) {
      button.addEventListener("click", function () {
        const th = button.closest("th");
        const index = Array.from(th.parentNode.children).indexOf(th);
        const numeric = th.dataset.sort === "number";
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th[aria-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const rows = Array.from(body.rows);
        rows.sort(function (a, b) {
          const x = a.cells[index].dataset.value || a.cells[index].textContent;
          const y = b.cells[index].dataset.value || b.cells[index].textContent;
          const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  // A two-letter search that is some row's country code ("CN", "us") keeps that country's
  // models only; anything else matches names, labs and countries as text.
  const search = document.querySelector("[data-table-search]");
  const empty = document.querySelector("[data-search-empty]");
  if (search) {
    search.addEventListener("input", function () {
      const needle = search.value.trim().toLowerCase();
      const rows = [];
      tables.forEach(function (table) { rows.push.apply(rows, Array.from(table.tBodies[0].rows)); });
      const code = needle.length === 2 && rows.some(function (row) {
        return (row.dataset.country || "").toLowerCase() === needle;
      });
      let shown = 0;
      rows.forEach(function (row) {
        const match = needle === "" || (code
          ? (row.dataset.country || "").toLowerCase() === needle
          : row.textContent.toLowerCase().includes(needle));
        row.hidden = !match;
        if (match) shown += 1;
      });
      if (empty) {
        empty.hidden = shown > 0;
        empty.textContent = shown > 0 ? "" : "No model matches “" + search.value.trim() + "”.";
      }
    });
  }

  if (typeof window.echarts === "undefined") return;

  const chart = window.arenaChart; // static/js/charts.js

  const dataElement = document.getElementById("chart-data");
  if (dataElement) {
    const data = JSON.parse(dataElement.textContent);
    const scores = data.scores.slice().reverse(); // best at the top
    const scoreChart = chart("scores");
    if (scoreChart) {
      scoreChart.getDom().style.height = Math.max(240, 18 * scores.length + 60) + "px";
      scoreChart.resize();
      scoreChart.setOption({
        animation: false,
        // containLabel: the names fit whatever their length; the axis title sits under the
        // middle of the axis, inside the grid's bottom margin, so it is never cut off.
        grid: { left: 10, right: 30, top: 10, bottom: 40, containLabel: true },
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            const s = scores[p.dataIndex];
            // null: the votes do not bound the score on that side.
            const low = s.low === null ? "−∞" : s.low;
            const high = s.high === null ? "+∞" : s.high;
            return s.model + "<br>score " + s.score + " (95% CI " + low + " to " + high + ")";
          },
        },
        xAxis: { type: "value", scale: true, name: "score", nameLocation: "middle", nameGap: 26 },
        yAxis: { type: "category", data: scores.map(function (s) { return s.model; }),
                 axisLabel: { fontSize: 11, width: 170, overflow: "truncate" } },
        series: [
          {
            type: "custom",
            renderItem: function (params, api) {
              const s = scores[params.dataIndex];
              const y = api.coord([s.score, params.dataIndex])[1];
              // An open side (null) runs to the edge of the plot, without an end cap.
              const left = params.coordSys.x;
              const right = params.coordSys.x + params.coordSys.width;
              const low = s.low === null ? left : api.coord([s.low, params.dataIndex])[0];
              const high = s.high === null ? right : api.coord([s.high, params.dataIndex])[0];
              const style = { stroke: "#0b57d0", lineWidth: 1.5 };
              const children = [{ type: "line", shape: { x1: low, y1: y, x2: high, y2: y }, style: style }];
              if (s.low !== null) children.push({ type: "line", shape: { x1: low, y1: y - 4, x2: low, y2: y + 4 }, style: style });
              if (s.high !== null) children.push({ type: "line", shape: { x1: high, y1: y - 4, x2: high, y2: y + 4 }, style: style });
              return { type: "group", children: children };
            },
            encode: { x: [1, 2], y: 0 },
            data: scores.map(function (s, i) {
              return [i, s.low === null ? s.score : s.low, s.high === null ? s.score : s.high];
            }),
          },
          { type: "scatter", symbolSize: 7, itemStyle: { color: "#0b57d0" },
            data: scores.map(function (s, i) { return [s.score, i]; }) },
        ],
      });
    }
    [["observed", 0, 1, "win rate"], ["predicted", 0, 1, "win rate"], ["battles", 0, null, "battles"]].forEach(function (spec) {
      const heat = chart(spec[0]);
      if (!heat) return;
      const values = data[spec[0]].map(function (c) { return c[2]; }).filter(function (v) { return v !== null; });
      heat.setOption({
        animation: false,
        grid: { left: 10, right: 20, top: 10, bottom: 60, containLabel: true },
        tooltip: {
          formatter: function (p) {
            const v = p.value[2];
            return data.labels[p.value[1]] + " vs " + data.labels[p.value[0]] + ": " +
              (v === null ? "never met" : (spec[3] === "win rate" ? Math.round(v * 100) + "%" : v));
          },
        },
        xAxis: { type: "category", data: data.labels,
                 axisLabel: { rotate: 60, fontSize: 10, width: 140, overflow: "truncate" } },
        yAxis: { type: "category", data: data.labels, inverse: true,
                 axisLabel: { fontSize: 10, width: 140, overflow: "truncate" } },
        visualMap: { min: spec[1], max: spec[2] === null ? Math.max(1, Math.max.apply(null, values)) : spec[2],
                     calculable: true, orient: "horizontal", left: "center", bottom: 0,
                     inRange: { color: spec[0] === "battles" ? ["#f7fbff", "#08306b"] : ["#b2182b", "#f7f7f7", "#2166ac"] } },
        series: [{ type: "heatmap", data: data[spec[0]].filter(function (c) { return c[2] !== null; }) }],
      });
    });
  }

  const historyElement = document.getElementById("history-data");
  if (historyElement) {
    const series = JSON.parse(historyElement.textContent);
    const low = function (p) { return p.low === null ? p.score : p.low; };
    const high = function (p) { return p.high === null ? p.score : p.high; };
    const history = chart("history");
    history.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 20, right: 20, top: 20, bottom: 30, containLabel: true },
      xAxis: { type: "time" },
      yAxis: { type: "value", scale: true, name: "score", nameLocation: "middle", nameGap: 44 },
      series: [
        // An open side (null) has no band: it is drawn at the score.
        { name: "lower", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          data: series.map(function (p) { return [p.cutoff, low(p)]; }) },
        { name: "95% interval", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: "rgba(11, 87, 208, 0.15)" },
          data: series.map(function (p) { return [p.cutoff, high(p) - low(p)]; }) },
        { name: "score", type: "line", symbolSize: 6, itemStyle: { color: "#0b57d0" },
          data: series.map(function (p) { return [p.cutoff, p.score]; }) },
      ],
    });
  }
})();
