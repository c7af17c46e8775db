// Frontier page: choosing a named comparison shows it; the two groups' monthly best with
// bands, and the lag as bars (the downloadable figures are drawn by the server).
(function () {
  "use strict";
  const compare = document.querySelector("[data-compare]");
  if (compare) {
    compare.addEventListener("change", function () {
      if (compare.value) compare.form.submit();
    });
  }
  const dataElement = document.getElementById("frontier-data");
  if (!dataElement || typeof window.echarts === "undefined") return;
  const data = JSON.parse(dataElement.textContent);
  const rows = data.rows;
  const months = rows.map(function (r) { return r.month; });
  const colours = { a: "#0b57d0", b: "#c5221f" };

  const chart = window.arenaChart; // static/js/charts.js

  function band(side) {
    const low = rows.map(function (r) { return r[side + "_ci_low"]; });
    const high = rows.map(function (r) {
      const l = r[side + "_ci_low"], h = r[side + "_ci_high"];
      return l === null || h === null ? null : h - l;
    });
    return [
      { name: side + "-low", type: "line", stack: "band-" + side, symbol: "none", silent: true,
        lineStyle: { opacity: 0 }, data: low, connectNulls: false },
      { name: side + "-band", type: "line", stack: "band-" + side, symbol: "none", silent: true,
        lineStyle: { opacity: 0 }, areaStyle: { color: colours[side], opacity: 0.15 }, data: high },
    ];
  }

  // A row without a scale is a gap: no counted votes (or, as of, no month-end snapshot).
  function gap(r) {
    if (r.scale !== null) return null;
    return r.month + ": " + (r.month_votes ? "no month-end snapshot" : "no counted votes (a gap)");
  }

  function describe(r, side) {
    const model = r[side + "_name"];
    if (model === null) return data[side] + ": no model with enough votes";
    let text = data[side] + ": " + model + " " + r[side + "_score"];
    if (r[side + "_ci_low"] !== null) text += " (" + r[side + "_ci_low"] + "–" + r[side + "_ci_high"] + ")";
    if (r[side + "_provisional_name"] !== null) {
      text += "; provisional above it: " + r[side + "_provisional_name"] + " " + r[side + "_provisional_score"];
    }
    return text;
  }

  const tops = chart("tops");
  if (tops) {
    tops.setOption({
      animation: false,
      legend: { data: [data.a, data.b], top: 0 },
      grid: { left: 50, right: 16, top: 30, bottom: 40, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          const r = rows[items[0].dataIndex];
          if (gap(r)) return gap(r);
          let text = r.month + "<br>" + describe(r, "a") + "<br>" + describe(r, "b");
          if (r.gap !== null) text += "<br>gap " + r.gap + (r.tied ? " (statistically tied)" : "");
          return text;
        },
      },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", scale: true, name: "score" },
      series: band("a").concat(band("b")).concat([
        { name: data.a, type: "line", symbolSize: 6, itemStyle: { color: colours.a },
          data: rows.map(function (r) { return r.a_score; }) },
        { name: data.b, type: "line", symbolSize: 6, itemStyle: { color: colours.b },
          data: rows.map(function (r) { return r.b_score; }) },
      ]),
    });
  }

  const lag = chart("lag");
  if (lag) {
    lag.setOption({
      animation: false,
      grid: { left: 40, right: 16, top: 20, bottom: 40, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          const r = rows[items[0].dataIndex];
          if (gap(r)) return gap(r);
          if (r.lag_months === null) return r.month + ": no lag (no model to compare)";
          let text = r.month + ": lag " + (r.lag_censored ? "≥ " : "") + r.lag_months + " months";
          if (r.lag_ci_low !== null) text += " (" + r.lag_ci_low + "–" + (r.lag_ci_high_censored ? "≥" : "") + r.lag_ci_high + ")";
          return text;
        },
      },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1, name: "months" },
      series: [{
        type: "bar",
        data: rows.map(function (r) {
          return {
            value: r.lag_months,
            itemStyle: r.lag_censored
              ? { color: "rgba(197, 34, 31, 0.25)", borderColor: colours.b, borderWidth: 1, borderType: "dashed" }
              : { color: colours.b },
          };
        }),
      }],
    });
  }

})();
