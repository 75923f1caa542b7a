// Draws every chart of the report with vega-embed and records the outcome on <body> so that a
// headless browser (tests/report/test_report.cpp) can check the page:
//   data-charts-total     chart specs on the page
//   data-charts-rendered  charts drawn (vega-embed resolved and an <svg> exists)
//   data-charts-done      "true" once every chart has finished or failed
//   data-errors           failed charts, uncaught errors and console.error messages, " | "-joined
//   data-warnings         console.warn messages (Vega's warnings about a spec)
// Errors raised before this script runs are collected by the page's first script in
// window.deeptirpErrors.
(function () {
  "use strict";
  const body = document.body;
  const errors = window.deeptirpErrors || [];
  const warnings = [];
  const show = function () {
    body.dataset.errors = errors.join(" | ");
    body.dataset.warnings = warnings.join(" | ");
  };
  window.deeptirpErrors = { push: function (message) { errors.push(message); show(); } };
  const text = function (args) { return Array.prototype.map.call(args, String).join(" "); };
  const record = function (list, original) {
    return function () {
      list.push(text(arguments));
      show();
      original.apply(console, arguments);
    };
  };
  console.error = record(errors, console.error);
  console.warn = record(warnings, console.warn);

  const specs = document.querySelectorAll("script.chart-spec");
  let rendered = 0;
  body.dataset.chartsTotal = String(specs.length);
  body.dataset.chartsRendered = "0";
  show();
  const draws = Array.prototype.map.call(specs, function (element) {
    const target = document.getElementById(element.dataset.chart);
    let spec;
    try {
      spec = JSON.parse(element.textContent);
    } catch (e) {
      errors.push(element.dataset.chart + ": " + e);
      show();
      return Promise.resolve();
    }
    return vegaEmbed(target, spec, { mode: "vega-lite", renderer: "svg", actions: false })
      .then(function () {
        if (target.querySelector("svg")) rendered += 1;
        else errors.push(element.dataset.chart + ": no svg drawn");
        body.dataset.chartsRendered = String(rendered);
        show();
      })
      .catch(function (e) {
        errors.push(element.dataset.chart + ": " + e);
        show();
      });
  });
  Promise.all(draws).then(function () { body.dataset.chartsDone = "true"; });
})();
