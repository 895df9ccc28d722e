// The live chart of a public sensor stream: draws the page's JSON twin with uPlot (served from
// our origin) and refreshes it every 15 seconds. The table on the page carries the same figures
// for people without JavaScript.
(function () {
  'use strict';
  var el = document.getElementById('stream-chart');
  if (!el || typeof window.uPlot !== 'function') return;
  var source = el.getAttribute('data-source');
  var palette = ['#1d70b8', '#d4351c', '#00703c', '#f47738', '#4c2c92', '#5694ca'];
  var plot = null;

  function toData(json) {
    var names = json.stream.measures.map(function (m) { return m.name; });
    return {
      names: names,
      labels: json.stream.measures.map(function (m) { return (m.title || m.name) + ' (' + m.unit + ')'; }),
      data: [json.series.times].concat(names.map(function (n) { return json.series.values[n] || []; })),
    };
  }

  function draw(json) {
    var d = toData(json);
    if (plot) { plot.setData(d.data); return; }
    var width = Math.max(280, el.clientWidth || 600);
    plot = new window.uPlot({
      width: width,
      height: 280,
      series: [{}].concat(d.labels.map(function (label, i) { return { label: label, stroke: palette[i % palette.length], width: 2, spanGaps: true }; })),
      axes: [{}, {}],
    }, d.data, el);
  }

  function refresh() {
    fetch(source, { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) { if (json) draw(json); })
      .catch(function () { /* the next refresh tries again */ });
  }

  refresh();
  setInterval(refresh, 15000);
})();
