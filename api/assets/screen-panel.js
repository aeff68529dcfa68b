// The panel of the grid or area in view: its population, dwellings, worker
// and open cases, as the caller may see them.
GridgovScreen.panel = (function (S) {
  "use strict";

  var state = S.state, $ = S.$, esc = S.esc;

  var OPEN_STATES = ["REPORTED", "VERIFIED", "FILED", "DISPATCHED", "IN_PROGRESS", "SUSPENDED", "HANDLED", "CHECKED"];
  var BAND_NAMES = ["0–6岁", "7–17岁", "18–34岁", "35–59岁", "60–79岁", "80岁以上"];

  // What the panel shows of an area's statistics.
  var FIELDS = "area name residents men women sexRatio suppressed" +
    " ageBands { from to count men women } populationTypes { registered floating foreign }" +
    " careFlags { flag count } dwellings { ownerOccupied rented office vacant }" +
    " organisations { valid expired none } openCases { open green yellow red }";
  var CASES = "cases(filter: { within: $within, states: $states }, first: 8) { totalCount" +
    " edges { node { number title light state gridCode } } }";
  var QUERY = "query($area: String, $within: String, $states: [CaseState!]) {" +
    " statistics(area: $area) { " + FIELDS + " } " + CASES + " }";
  var CASES_ONLY = "query($within: String, $states: [CaseState!]) { " + CASES + " }";

  // Shows `code` ("" for everything the caller may see) in the panel. With
  // `known`, its statistics as already asked (the first screen's, which
  // cost a scan of everything), only its cases are asked.
  function show(code, known) {
    var area = code || null;
    var began = performance.now();
    var asked = known
      ? S.gql(CASES_ONLY, { within: area, states: OPEN_STATES }).then(function (data) {
        return { statistics: known, cases: data.cases };
      })
      : S.gql(QUERY, { area: area, within: area, states: OPEN_STATES });
    return asked.then(function (data) {
      if (state.selected !== code) return;
      render(code, data.statistics, data.cases);
      S.timings.panel = Math.round(performance.now() - began);
    });
  }

  // Live changes refresh the panel at most once a second, and a panel of
  // a district or more (whose counts cost a scan of it) every ten: a burst
  // of events asks for it once.
  var again = null;
  function refreshSoon() {
    if (again || state.selected == null) return;
    var wide = state.selected.length < 9;
    again = setTimeout(function () {
      again = null;
      if (state.session && state.selected != null) show(state.selected).catch(S.quietly);
    }, wide ? 10000 : 1000);
  }

  // A count, or a dash where it is withheld (a small group the caller's
  // role may not see).
  function count(value) {
    return value == null ? '<span class="withheld" title="小于统计阈值,不予显示">—</span>' : esc(value);
  }
  function big(field, value, caption) {
    return '<div><b data-field="' + field + '">' + count(value) + "</b><span>" + caption + "</span></div>";
  }
  function row(field, caption, value) {
    return "<tr><td>" + caption + '</td><td class="n" data-field="' + esc(field) + '">' + count(value) + "</td></tr>";
  }

  function crumbs(code) {
    var links = ['<button type="button" data-area="">全部</button>'];
    [6, 9, 12].forEach(function (width) {
      var area = code.length > width && state.areas.get(code.slice(0, width));
      if (area) links.push('<button type="button" data-area="' + esc(area.code) + '">' + esc(area.name) + "</button>");
    });
    return '<div class="crumbs">' + links.join(" › ") + "</div>";
  }

  // The age pyramid: men to the left, women to the right, the oldest band
  // on top, both halves on one scale so that their lengths compare.
  function ageBands(bands) {
    var most = Math.max.apply(null, bands.map(function (band) {
      return Math.max(band.men || 0, band.women || 0);
    }).concat([1]));
    var bar = function (value, side) {
      var width = value == null ? 0 : Math.round(value * 100 / most);
      return '<span class="half ' + side + '"><span class="bar" style="width:' + width + '%"></span></span>';
    };
    var rows = bands.map(function (band, i) {
      return '<span class="n" data-field="band-' + i + '-men">' + count(band.men) + "</span>" + bar(band.men, "men") +
        '<span class="band">' + BAND_NAMES[i] + '&ensp;<small data-field="band-' + i + '">' + count(band.count) + "</small></span>" +
        bar(band.women, "women") + '<span class="n women" data-field="band-' + i + '-women">' + count(band.women) + "</span>";
    }).reverse();
    return '<h3>人口金字塔</h3><div class="pyramid"><span class="n">男</span><span></span><span class="band">年龄</span>' +
      '<span></span><span class="n women">女</span>' + rows.join("") + "</div>";
  }

  function openCases(lights, cases) {
    if (!lights) return "";
    var html = '<h3>在办案件 <b data-field="openCases">' + count(lights.open) + "</b></h3><p>" +
      '<span class="dot GREEN"></span>' + count(lights.green) + ' <span class="dot YELLOW"></span>' + count(lights.yellow) +
      ' <span class="dot RED"></span>' + count(lights.red) + "</p>";
    if (cases && cases.edges.length) {
      html += "<table>" + cases.edges.map(function (edge) {
        var one = edge.node;
        return '<tr><td><span class="dot ' + esc(one.light || "none") + '"></span>' + esc(one.number) + "</td><td>" +
          esc(one.title) + "</td><td>" + esc(S.label("CaseState", one.state)) + "</td></tr>";
      }).join("") + "</table>";
    }
    return html;
  }

  function render(code, stats, cases) {
    var panel = $("panel");
    panel.dataset.code = code || "";
    if (!stats) {
      panel.innerHTML = crumbs(code || "") + "<p>此区域不在您的权限范围内。</p>";
      return;
    }
    var grid = code && state.grids.get(code);
    var title = stats.name || (code ? code : "全部辖区");
    var ratio = stats.sexRatio == null ? null : stats.sexRatio.toFixed(1);
    var html = crumbs(code || "") +
      "<h2>" + esc(title) + (code ? ' <small class="hint">' + esc(code) + "</small>" : "") + "</h2>" +
      '<div class="big">' + big("residents", stats.residents, "总人口") + big("men", stats.men, "男") +
      big("women", stats.women, "女") + big("sexRatio", ratio, "性别比(女=100)") + "</div>";
    if (grid) {
      var worker = grid.worker;
      html += "<p>网格员:" + (worker ? esc(worker.displayName) + (worker.phone ? " · " + esc(worker.phone) : "") : "未配备") + "</p>";
    }
    html += ageBands(stats.ageBands);
    var types = stats.populationTypes;
    html += "<h3>人口类型</h3><table>" + row("registered", "户籍人口", types.registered) +
      row("floating", "流动人口", types.floating) + row("foreign", "境外人员", types.foreign) + "</table>";
    if (stats.careFlags.length) {
      html += "<h3>关爱对象</h3><table>" + stats.careFlags.map(function (flag) {
        return row("care-" + flag.flag, esc(S.label("CareFlag", flag.flag)), flag.count);
      }).join("") + "</table>";
    }
    var homes = stats.dwellings;
    html += "<h3>房屋(四色)</h3><table>" +
      row("ownerOccupied", '<span class="dot owner"></span>自住', homes.ownerOccupied) +
      row("rented", '<span class="dot rented"></span>出租', homes.rented) +
      row("office", '<span class="dot office"></span>办公', homes.office) +
      row("vacant", '<span class="dot vacant"></span>空置', homes.vacant) + "</table>";
    html += openCases(stats.openCases, cases);
    if (stats.suppressed) html += '<p class="hint">小于统计阈值的数字以“—”表示。</p>';
    panel.innerHTML = html;
  }

  function clear() {
    $("panel").innerHTML = "";
    delete $("panel").dataset.code;
  }

  return { show: show, refreshSoon: refreshSoon, clear: clear, FIELDS: FIELDS };
})(GridgovScreen);
