// The command centre's screen, built as any third-party frontend would be:
// the public GraphQL API (queries over HTTP, live updates over graphql-ws)
// with the signed-in user's own token, so every number on it is cut to what
// that user may see, and nothing on it is more than any client could show.
(function () {
  "use strict";

  var ENDPOINT = "/graphql";
  var STORE = "gridgov.screen.session";
  var OPEN_STATES = ["REPORTED", "VERIFIED", "FILED", "DISPATCHED", "IN_PROGRESS", "SUSPENDED", "HANDLED", "CHECKED"];
  // The cases layer: a grid takes the colour of its worst open case; one
  // reported and not yet filed has no light yet.
  var LIGHT_NAMES = ["无在办案件", "待立案", "绿灯", "黄灯", "红灯"];
  var BAND_NAMES = ["0–6岁", "7–17岁", "18–34岁", "35–59岁", "60–79岁", "80岁以上"];
  var FEED_LIMIT = 60;

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    session: null,
    grids: new Map(),      // code → {code, name, boundary, ancestors, worker}
    areas: new Map(),      // code → {code, name, level}
    stats: new Map(),      // grid code → its counts
    pending: new Map(),    // grid code → records waiting for sign-off
    findings: new Map(),   // grid code → open findings
    selected: null,        // the code in the panel
    labels: {},            // enum → value → Chinese label
    chart: null,
    socket: null,
    refreshTimer: null,
  };

  // ---- talking to the API ---------------------------------------------

  function GraphQLError(errors) {
    this.errors = errors;
    this.code = errors[0] && errors[0].extensions && errors[0].extensions.code;
    this.message = (errors[0] && errors[0].message) || "错误";
  }

  function gql(query, variables) {
    return post(query, variables, state.session && state.session.accessToken);
  }

  // Signing in, renewing and signing out carry no access token: the one
  // held may be the lapsed one being replaced.
  function anonymous(query, variables) {
    return post(query, variables, null);
  }

  function post(query, variables, token) {
    var headers = { "content-type": "application/json", accept: "application/graphql-response+json" };
    if (token) headers.authorization = "Bearer " + token;
    return fetch(ENDPOINT, {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ query: query, variables: variables || {} }),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (body.errors && body.errors.length) {
          var error = new GraphQLError(body.errors);
          if (error.code === "UNAUTHENTICATED" && state.session) signedOut("登录已过期,请重新登录");
          throw error;
        }
        return body.data;
      });
    });
  }

  // A query that some callers may not make (a layer their role does not
  // cover) answers null instead of failing the whole screen.
  function optional(query, variables) {
    return gql(query, variables).catch(function (error) {
      if (error.code === "FORBIDDEN") return null;
      throw error;
    });
  }

  // ---- signing in and staying signed in -------------------------------

  var SESSION_FIELDS = "session { accessToken refreshToken expiresIn username } userErrors { message }";

  function keep(session) {
    state.session = session;
    sessionStorage.setItem(STORE, JSON.stringify(session));
    clearTimeout(state.refreshTimer);
    // Renewed well before the access token lapses; the stream is restarted
    // on the new token (the server ends a stream when its token expires).
    state.refreshTimer = setTimeout(renew, Math.max(10, session.expiresIn * 0.8) * 1000);
  }

  function renew() {
    if (!state.session) return Promise.resolve();
    var refreshToken = state.session.refreshToken;
    return anonymous("mutation($input: RefreshTokenInput!) { refresh(input: $input) { " + SESSION_FIELDS + " } }",
      { input: { refreshToken: refreshToken } })
      .then(function (data) {
        var answer = data.refresh;
        if (!answer.session) return signedOut("登录已过期,请重新登录");
        keep(answer.session);
        if (state.chart) listen();
      })
      .catch(function () { signedOut("登录已过期,请重新登录"); });
  }

  function signIn(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    $("sign-in").disabled = true;
    state.session = null;
    anonymous("mutation($input: LoginInput!) { login(input: $input) { " + SESSION_FIELDS + " } }", {
      input: { username: $("username").value.trim(), password: $("password").value },
    })
      .then(function (data) {
        var answer = data.login;
        if (!answer.session) {
          $("login-error").textContent = answer.userErrors.map(function (e) { return e.message; }).join(";") || "登录失败";
          return;
        }
        keep(answer.session);
        $("password").value = "";
        return start();
      })
      .catch(function (error) { $("login-error").textContent = error.message || "无法连接服务器"; })
      .then(function () { $("sign-in").disabled = false; });
  }

  function signedOut(reason) {
    var session = state.session;
    state.session = null;
    sessionStorage.removeItem(STORE);
    clearTimeout(state.refreshTimer);
    if (state.socket) state.socket.close(1000);
    state.socket = null;
    if (session && !reason) {
      anonymous("mutation($input: RefreshTokenInput!) { logout(input: $input) { userErrors { message } } }",
        { input: { refreshToken: session.refreshToken } }).catch(function () {});
    }
    $("screen").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = reason || "";
  }

  // ---- loading the caller's city ----------------------------------------

  var GRID_PAGE = "query($after: String) { grids(first: 100, after: $after) {" +
    " pageInfo { hasNextPage endCursor }" +
    " edges { node { code name boundary ancestors { code name level } worker { displayName phone } } } } }";

  function loadGrids(after) {
    return gql(GRID_PAGE, { after: after || null }).then(function (data) {
      data.grids.edges.forEach(function (edge) {
        var grid = edge.node;
        state.grids.set(grid.code, grid);
        grid.ancestors.forEach(function (area) { state.areas.set(area.code, area); });
      });
      if (data.grids.pageInfo.hasNextPage) return loadGrids(data.grids.pageInfo.endCursor);
    });
  }

  var COUNTS = "area residents dwellings { ownerOccupied rented office vacant } openCases { open green yellow red }";

  function loadCounts() {
    return Promise.all([
      gql("{ statistics(level: GRID) { " + COUNTS + " children { " + COUNTS + " } } }"),
      optional("{ verificationCounts { gridCode pending } }"),
      optional("{ findingCounts(level: GRID) { areaCode open } }"),
    ]).then(function (answers) {
      var statistics = answers[0].statistics;
      state.stats.clear();
      if (statistics) statistics.children.forEach(function (grid) { state.stats.set(grid.area, grid); });
      state.pending.clear();
      if (answers[1]) answers[1].verificationCounts.forEach(function (row) { state.pending.set(row.gridCode, row.pending); });
      state.findings.clear();
      if (answers[2]) answers[2].findingCounts.forEach(function (row) {
        state.findings.set(row.areaCode, (state.findings.get(row.areaCode) || 0) + row.open);
      });
    });
  }

  function loadLabels() {
    return gql('{ labels(enums: ["CareFlag", "CaseState", "AssignmentState"]) { name values { value label } } }').then(function (data) {
      data.labels.forEach(function (labels) {
        state.labels[labels.name] = {};
        labels.values.forEach(function (v) { state.labels[labels.name][v.value] = v.label; });
      });
    });
  }

  function label(kind, value) {
    return (state.labels[kind] && state.labels[kind][value]) || value;
  }

  function start() {
    $("login").hidden = true;
    $("screen").hidden = false;
    status("正在载入……");
    state.grids.clear();
    state.areas.clear();
    var began = performance.now();
    return Promise.all([
      gql("{ me { username displayName roles { role area } } }"),
      loadGrids(),
      loadCounts(),
      loadLabels(),
    ])
      .then(function (answers) {
        var me = answers[0].me;
        $("whoami").textContent = (me.displayName || me.username) + " · " +
          me.roles.map(function (r) { return r.role + "@" + r.area; }).join(",");
        drawMap();
        fillAreaChoice();
        listen();
        var first = state.grids.size === 1 ? state.grids.keys().next().value : topArea();
        return select(first).then(function () {
          status("共 " + state.grids.size + " 个网格 · 载入 " + Math.round(performance.now() - began) + " 毫秒");
          document.body.dataset.ready = "true";
        });
      })
      .catch(function (error) {
        if (state.session) status("载入失败:" + (error.message || error));
      });
  }

  function status(text) { $("status").textContent = text; }

  // ---- the map --------------------------------------------------------

  function ringOf(boundary) {
    if (!boundary) return null;
    if (boundary.type === "Polygon") return boundary.coordinates[0];
    if (boundary.type === "MultiPolygon") return boundary.coordinates[0][0];
    return null;
  }

  // Square kilometres of a small lon/lat ring (shoelace, scaled at its latitude).
  function km2(ring) {
    if (!ring || ring.length < 4) return 0;
    var lat = ring[0][1] * Math.PI / 180, kx = 111.32 * Math.cos(lat), ky = 110.57, sum = 0;
    for (var i = 0; i + 1 < ring.length; i++) {
      sum += ring[i][0] * kx * ring[i + 1][1] * ky - ring[i + 1][0] * kx * ring[i][1] * ky;
    }
    return Math.abs(sum) / 2;
  }

  // The edges a group of grids does not share among themselves: its outline.
  function outlines(width) {
    var edges = new Map();
    state.grids.forEach(function (grid) {
      var ring = ringOf(grid.boundary);
      if (!ring) return;
      var group = grid.code.slice(0, width);
      for (var i = 0; i + 1 < ring.length; i++) {
        var a = ring[i], b = ring[i + 1];
        var key = group + "|" + [a.join(","), b.join(",")].sort().join("|");
        var seen = edges.get(key);
        if (seen) seen.count++; else edges.set(key, { count: 1, coords: [a, b] });
      }
    });
    var lines = [];
    edges.forEach(function (edge) { if (edge.count === 1) lines.push({ coords: edge.coords }); });
    return lines;
  }

  function value(code, layer) {
    var counts = state.stats.get(code);
    switch (layer) {
      case "density": {
        var area = km2(ringOf(state.grids.get(code).boundary));
        return counts && counts.residents != null && area > 0 ? Math.round(counts.residents / area) : null;
      }
      case "cases": {
        var lights = counts && counts.openCases;
        if (!lights) return null;
        return lights.red > 0 ? 4 : lights.yellow > 0 ? 3 : lights.green > 0 ? 2 : lights.open > 0 ? 1 : 0;
      }
      case "pending": return state.pending.has(code) ? state.pending.get(code) : 0;
      case "findings": return state.findings.get(code) || 0;
      case "rented": {
        var d = counts && counts.dwellings;
        if (!d || d.rented == null) return null;
        var all = (d.ownerOccupied || 0) + d.rented + (d.office || 0) + (d.vacant || 0);
        return all > 0 ? Math.round(d.rented * 100 / all) : 0;
      }
    }
    return null;
  }

  function visualMap(layer, values) {
    if (layer === "cases") {
      // Only the grids take the layer's colours, not the outlines.
      return {
        type: "piecewise", seriesIndex: 0, left: 10, bottom: 10, textStyle: { color: "#e4ecf7" },
        pieces: [
          { value: 0, label: LIGHT_NAMES[0], color: "#2b4a6f" },
          { value: 1, label: LIGHT_NAMES[1], color: "#4fc3f7" },
          { value: 2, label: LIGHT_NAMES[2], color: "#27ae60" },
          { value: 3, label: LIGHT_NAMES[3], color: "#f1c40f" },
          { value: 4, label: LIGHT_NAMES[4], color: "#e74c3c" },
        ],
      };
    }
    var max = Math.max(1, Math.max.apply(null, values.filter(function (v) { return v != null; }).concat([0])));
    var units = { density: "人/平方公里", pending: "条", findings: "条", rented: "%" };
    return {
      type: "continuous", seriesIndex: 0, min: 0, max: max, left: 10, bottom: 10, calculable: true,
      text: [String(max) + " " + units[layer], "0"], textStyle: { color: "#e4ecf7" },
      inRange: { color: ["#123a63", "#1f77b4", "#7fc97f", "#ffdd57", "#ff7f0e", "#e74c3c"] },
    };
  }

  function seriesData(layer) {
    var data = [];
    state.grids.forEach(function (grid, code) {
      data.push({ name: code, value: value(code, layer), gridName: grid.name });
    });
    return data;
  }

  function drawMap() {
    var features = [];
    state.grids.forEach(function (grid, code) {
      if (grid.boundary) features.push({ type: "Feature", properties: { name: code }, geometry: grid.boundary });
    });
    echarts.registerMap("gridgov", { type: "FeatureCollection", features: features });
    if (!state.chart) {
      state.chart = echarts.init($("map"), null, { renderer: "canvas" });
      window.addEventListener("resize", function () { state.chart.resize(); });
      state.chart.on("click", function (params) {
        if (params.componentType === "series" && state.grids.has(params.name)) select(params.name);
      });
    }
    var layer = $("layer").value;
    var data = seriesData(layer);
    state.chart.setOption({
      backgroundColor: "transparent",
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (!p.data || !p.data.gridName) return "";
          var v = p.data.value;
          var shown = layer === "cases" ? LIGHT_NAMES[v] || "—" : v == null ? "—" : v;
          return p.data.gridName + "<br>" + $("layer").selectedOptions[0].textContent + ":" + shown;
        },
      },
      visualMap: visualMap(layer, data.map(function (d) { return d.value; })),
      geo: {
        map: "gridgov", roam: true, zoom: 1, center: null,
        itemStyle: { areaColor: "#2b4a6f", borderColor: "#0b1a2e", borderWidth: 0.5 },
        emphasis: { itemStyle: { areaColor: "#4fc3f7" }, label: { show: false } },
        select: { itemStyle: { areaColor: "#4fc3f7" }, label: { show: false } },
      },
      series: [
        { id: "grids", type: "map", geoIndex: 0, data: data },
        { id: "communities", type: "lines", coordinateSystem: "geo", silent: true, polyline: false,
          lineStyle: { color: "#9fc5e8", width: 1.2, opacity: 0.8 }, data: outlines(12) },
        { id: "streets", type: "lines", coordinateSystem: "geo", silent: true, polyline: false,
          lineStyle: { color: "#ffffff", width: 2.4, opacity: 0.9 }, data: outlines(9) },
      ],
    }, { replaceMerge: ["series"] });
    $("map").dataset.grids = String(features.length);
  }

  function recolour() {
    var layer = $("layer").value;
    var data = seriesData(layer);
    state.chart.setOption({
      visualMap: visualMap(layer, data.map(function (d) { return d.value; })),
      series: [{ id: "grids", data: data }],
    });
    $("map").dataset.layer = layer;
  }

  function extentOf(codes) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    codes.forEach(function (code) {
      var ring = ringOf(state.grids.get(code) && state.grids.get(code).boundary) || [];
      ring.forEach(function (p) {
        box[0] = Math.min(box[0], p[0]); box[1] = Math.min(box[1], p[1]);
        box[2] = Math.max(box[2], p[0]); box[3] = Math.max(box[3], p[1]);
      });
    });
    return box[0] === Infinity ? null : box;
  }

  function zoomTo(code) {
    var codes = Array.from(state.grids.keys()).filter(function (g) { return g.indexOf(code) === 0; });
    var box = extentOf(codes);
    if (!box) return;
    // The box's size on screen with the whole map in view, and the zoom
    // that makes it fill most of the view.
    state.chart.setOption({ geo: { center: null, zoom: 1 } });
    var a = state.chart.convertToPixel({ geoIndex: 0 }, [box[0], box[1]]);
    var b = state.chart.convertToPixel({ geoIndex: 0 }, [box[2], box[3]]);
    if (!a || !b) return;
    var wide = Math.max(Math.abs(b[0] - a[0]), 1), high = Math.max(Math.abs(b[1] - a[1]), 1);
    var zoom = 0.85 * Math.min(state.chart.getWidth() / wide, state.chart.getHeight() / high);
    state.chart.setOption({
      geo: { center: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], zoom: Math.max(1, Math.min(zoom, 60)) },
    });
  }

  // For the browser tests (and a curious operator): a grid's centre on the page.
  window.gridgovScreen = {
    gridPoint: function (code) {
      var box = extentOf([code]);
      if (!box || !state.chart) return null;
      var point = state.chart.convertToPixel({ geoIndex: 0 }, [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]);
      return point ? [Math.round(point[0]), Math.round(point[1])] : null;
    },
    value: function (code) { return value(code, $("layer").value); },
  };

  // ---- areas to zoom to -------------------------------------------------

  var LEVEL_NAMES = { DISTRICT: "区", STREET: "街道", COMMUNITY: "社区", GRID: "网格" };

  function topArea() {
    // The smallest area holding every grid the caller sees: a community
    // manager lands on the community, an admin on the whole city ("").
    var codes = Array.from(state.grids.keys());
    if (!codes.length) return "";
    var widths = [12, 9, 6];
    for (var i = 0; i < widths.length; i++) {
      var prefix = codes[0].slice(0, widths[i]);
      if (codes.every(function (c) { return c.indexOf(prefix) === 0; })) return prefix;
    }
    return "";
  }

  function fillAreaChoice() {
    var choice = $("area");
    choice.innerHTML = "";
    var option = document.createElement("option");
    option.value = "";
    option.textContent = "全部(" + state.grids.size + " 个网格)";
    choice.appendChild(option);
    Array.from(state.areas.values())
      .sort(function (a, b) { return a.code < b.code ? -1 : 1; })
      .forEach(function (area) {
        var item = document.createElement("option");
        item.value = area.code;
        var depth = { DISTRICT: 0, STREET: 1, COMMUNITY: 2 }[area.level] || 0;
        item.textContent = "\u3000".repeat(depth) + area.name + "(" + LEVEL_NAMES[area.level] + ")";
        choice.appendChild(item);
      });
  }

  // ---- the panel ---------------------------------------------------------

  var PANEL = "query($area: String, $within: String, $states: [CaseState!]) {" +
    " statistics(area: $area) { area name residents men women sexRatio suppressed" +
    "  ageBands { from to count } populationTypes { registered floating foreign }" +
    "  careFlags { flag count } dwellings { ownerOccupied rented office vacant }" +
    "  organisations { valid expired none } openCases { open green yellow red } }" +
    " cases(filter: { within: $within, states: $states }, first: 8) { totalCount" +
    "  edges { node { number title light state gridCode } } } }";

  function select(code) {
    state.selected = code;
    describeTarget();
    // No area: everything the caller may see.
    var area = code || null;
    return gql(PANEL, { area: area, within: area, states: OPEN_STATES }).then(function (data) {
      if (state.selected !== code) return;
      renderPanel(code, data.statistics, data.cases);
      // The selected grid is drawn with a bright border.
      state.chart.setOption({
        geo: { regions: code && code.length === 15 ? [{ name: code, itemStyle: { borderColor: "#ffffff", borderWidth: 3 } }] : [] },
      });
      $("area").value = code && code.length < 15 ? code : $("area").value;
    }).catch(function (error) {
      if (state.session) $("panel").textContent = "无法载入:" + (error.message || error);
    });
  }

  function n(v) { return v == null ? '<span class="withheld" title="小于统计阈值,不予显示">—</span>' : String(v); }
  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function field(name, v) { return '<b data-field="' + name + '">' + n(v) + "</b>"; }

  function crumbs(code) {
    var parts = ['<button type="button" data-area="">全部</button>'];
    [6, 9, 12].forEach(function (width) {
      if (code.length > width) {
        var area = state.areas.get(code.slice(0, width));
        if (area) parts.push('<button type="button" data-area="' + area.code + '">' + esc(area.name) + "</button>");
      }
    });
    return '<div class="crumbs">' + parts.join(" › ") + "</div>";
  }

  function renderPanel(code, s, cases) {
    var panel = $("panel");
    panel.dataset.code = code || "";
    if (!s) {
      panel.innerHTML = crumbs(code || "") + "<p>此区域不在您的权限范围内。</p>";
      return;
    }
    var grid = code && state.grids.get(code);
    var title = s.name || (code ? code : "全部辖区");
    var maxBand = Math.max.apply(null, s.ageBands.map(function (b) { return b.count || 0; }).concat([1]));
    var html = crumbs(code || "") +
      "<h2>" + esc(title) + (code ? ' <small class="hint">' + esc(code) + "</small>" : "") + "</h2>" +
      '<div class="big">' +
      "<div>" + field("residents", s.residents) + "<span>总人口</span></div>" +
      "<div>" + field("men", s.men) + "<span>男</span></div>" +
      "<div>" + field("women", s.women) + "<span>女</span></div>" +
      "<div>" + field("sexRatio", s.sexRatio == null ? null : s.sexRatio.toFixed(1)) + "<span>性别比(女=100)</span></div></div>";
    if (grid) {
      html += "<p>网格员:" + (grid.worker ? esc(grid.worker.displayName) + (grid.worker.phone ? " · " + esc(grid.worker.phone) : "") : "未配备") + "</p>";
    }
    html += "<h3>年龄结构</h3><div class=\"bars\">" + s.ageBands.map(function (band, i) {
      var width = band.count == null ? 0 : Math.round(band.count * 100 / maxBand);
      return "<span>" + BAND_NAMES[i] + '</span><span><span class="bar" style="display:block;width:' + width + '%"></span></span>' +
        '<span class="n" data-field="band-' + i + '">' + n(band.count) + "</span>";
    }).join("") + "</div>";
    var types = s.populationTypes;
    html += "<h3>人口类型</h3><table><tr><td>户籍人口</td><td class=\"n\" data-field=\"registered\">" + n(types.registered) +
      "</td></tr><tr><td>流动人口</td><td class=\"n\" data-field=\"floating\">" + n(types.floating) +
      "</td></tr><tr><td>境外人员</td><td class=\"n\" data-field=\"foreign\">" + n(types.foreign) + "</td></tr></table>";
    if (s.careFlags.length) {
      html += "<h3>关爱对象</h3><table>" + s.careFlags.map(function (flag) {
        return "<tr><td>" + esc(label("CareFlag", flag.flag)) + '</td><td class="n" data-field="care-' + flag.flag + '">' + n(flag.count) + "</td></tr>";
      }).join("") + "</table>";
    }
    var d = s.dwellings;
    html += "<h3>房屋(四色)</h3><table>" +
      '<tr><td><span class="dot owner"></span>自住</td><td class="n" data-field="ownerOccupied">' + n(d.ownerOccupied) + "</td></tr>" +
      '<tr><td><span class="dot rented"></span>出租</td><td class="n" data-field="rented">' + n(d.rented) + "</td></tr>" +
      '<tr><td><span class="dot office"></span>办公</td><td class="n" data-field="office">' + n(d.office) + "</td></tr>" +
      '<tr><td><span class="dot vacant"></span>空置</td><td class="n" data-field="vacant">' + n(d.vacant) + "</td></tr></table>";
    if (s.openCases) {
      var lights = s.openCases;
      html += "<h3>在办案件 " + field("openCases", lights.open) + "</h3><p>" +
        '<span class="dot GREEN"></span>' + lights.green + ' <span class="dot YELLOW"></span>' + lights.yellow +
        ' <span class="dot RED"></span>' + lights.red + "</p>";
      if (cases && cases.edges.length) {
        html += "<table>" + cases.edges.map(function (edge) {
          var c = edge.node;
          return '<tr><td><span class="dot ' + (c.light || "none") + '"></span>' + esc(c.number) + "</td><td>" +
            esc(c.title) + "</td><td>" + esc(label("CaseState", c.state)) + "</td></tr>";
        }).join("") + "</table>";
      }
    }
    if (s.suppressed) html += '<p class="hint">小于统计阈值的数字以“—”表示。</p>';
    panel.innerHTML = html;
  }

  // ---- live -------------------------------------------------------------

  var CASE_FIELDS = "id number title state light gridCode grid { name }";

  function listen() {
    if (state.socket) state.socket.close(1000);
    if (!state.session) return;
    var url = new URL(ENDPOINT, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(url.toString(), "graphql-transport-ws");
    state.socket = socket;
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: "Bearer " + state.session.accessToken } }));
    };
    socket.onmessage = function (message) {
      var frame = JSON.parse(message.data);
      if (frame.type === "connection_ack") {
        $("live").classList.add("on");
        $("live").textContent = "● 实时";
        socket.send(JSON.stringify({ id: "cases", type: "subscribe", payload: { query: "subscription { caseChanged { " + CASE_FIELDS + " } }" } }));
        socket.send(JSON.stringify({ id: "records", type: "subscribe", payload: { query: "subscription { residentVerificationChanged { gridCode verification } }" } }));
        socket.send(JSON.stringify({ id: "people", type: "subscribe", payload: { query: "subscription { residentRegistered { gridCode name birthDate } }" } }));
        socket.send(JSON.stringify({ id: "feedback", type: "subscribe", payload: { query: "subscription { assignmentAnswered { " + ANSWER_FIELDS + " } }" } }));
      } else if (frame.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (frame.type === "next" && frame.payload && frame.payload.data) {
        var data = frame.payload.data;
        if (data.caseChanged) caseChanged(data.caseChanged);
        if (data.residentVerificationChanged) recordChanged(data.residentVerificationChanged);
        if (data.residentRegistered) personJoined(data.residentRegistered);
        if (data.assignmentAnswered) taskAnswered(data.assignmentAnswered);
      }
    };
    socket.onclose = function () {
      if (state.socket !== socket) return;
      $("live").classList.remove("on");
      $("live").textContent = "○ 实时";
      state.socket = null;
      // Reconnect while signed in; a lapsed token is renewed first.
      if (state.session) setTimeout(function () { if (state.session && !state.socket) listen(); }, 3000);
    };
  }

  function feed(text, kind) {
    var item = document.createElement("li");
    item.dataset.kind = kind;
    var time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false });
    item.appendChild(time);
    item.appendChild(document.createTextNode(text));
    var list = $("feed");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > FEED_LIMIT) list.removeChild(list.lastChild);
  }

  // One grid's counts again, and the panel if it shows that grid or an area around it.
  function refreshGrid(code) {
    return gql("query($area: String) { statistics(area: $area) { " + COUNTS + " } }", { area: code }).then(function (data) {
      if (data.statistics) state.stats.set(code, data.statistics);
      recolour();
      if (state.selected != null && code.indexOf(state.selected) === 0) select(state.selected);
    });
  }

  function caseChanged(c) {
    feed("案件 " + c.number + " " + c.title + " · " + label("CaseState", c.state) + (c.grid ? " · " + c.grid.name : ""), "case");
    if (state.grids.has(c.gridCode)) refreshGrid(c.gridCode).catch(function () {});
  }

  function recordChanged(r) {
    feed("人口信息核验:" + (r.verification === "VERIFIED" ? "已签收" : r.verification === "RETURNED" ? "已退回" : "待核验") +
      (state.grids.has(r.gridCode) ? " · " + state.grids.get(r.gridCode).name : ""), "record");
    optional("query($within: String) { verificationCounts(within: $within) { gridCode pending } }", { within: r.gridCode })
      .then(function (data) {
        if (!data) return;
        state.pending.set(r.gridCode, data.verificationCounts.length ? data.verificationCounts[0].pending : 0);
        recolour();
      })
      .catch(function () {});
  }

  function personJoined(person) {
    var born = person.birthDate && (Date.now() - Date.parse(person.birthDate)) < 366 * 86400000;
    var place = state.grids.has(person.gridCode) ? " · " + state.grids.get(person.gridCode).name : "";
    feed((born ? "新生儿登记:" : "新登记人口:") + (person.name || "") + place, born ? "birth" : "person");
    if (state.grids.has(person.gridCode)) refreshGrid(person.gridCode).catch(function () {});
  }

  function taskAnswered(a) {
    var place = a.area ? a.area.name : a.grid ? a.grid.name : a.areaCode;
    var reached = a.target ? " " + a.progress + "/" + a.target : "";
    feed("任务反馈:" + (a.task ? a.task.title : "") + " · " + place + " · " + label("AssignmentState", a.state) + reached, "feedback");
    if (a.task && state.campaigns.has(a.task.id)) showProgress(a.task.id);
  }

  // ---- the command: tasks sent from the screen, and their progress ----------

  var ANSWER_FIELDS = "id areaCode state progress target area { name } grid { name } task { id title }";
  state.campaigns = new Map(); // task id → the level its progress rolls up to

  function targetsOf(code) {
    if (code) return [code];
    // Everything the caller sees: its districts (or narrower, for a narrower caller).
    var top = topArea();
    if (top) return [top];
    var districts = new Set();
    state.grids.forEach(function (grid, c) { districts.add(c.slice(0, 6)); });
    return Array.from(districts);
  }

  function describeTarget() {
    var code = state.selected || "";
    var area = code.length === 15 ? state.grids.get(code) : state.areas.get(code);
    $("command-target").textContent = "→ " + (area ? area.name : "全部辖区");
  }

  function sendTask(event) {
    event.preventDefault();
    $("task-error").textContent = "";
    var kind = $("task-kind").value;
    var deadline = new Date($("task-deadline").value);
    var targets = targetsOf(state.selected || "");
    var input = {
      title: $("task-title").value.trim(), body: $("task-body").value.trim(), kind: kind,
      deadlineAt: isNaN(deadline) ? null : deadline.toISOString(),
      targets: { areas: targets },
    };
    if (kind === "CAMPAIGN") input.targetPerGrid = parseInt($("task-target").value, 10) || null;
    $("task-send").disabled = true;
    gql("mutation($input: SendTaskInput!) { sendTask(input: $input) { task { id title } userErrors { field message } } }", { input: input })
      .then(function (data) {
        var answer = data.sendTask;
        if (!answer.task) {
          $("task-error").textContent = answer.userErrors.map(function (e) { return e.message; }).join(";");
          return;
        }
        var code = targets.length === 1 ? targets[0] : "";
        var level = code.length >= 12 ? "GRID" : code.length === 9 ? "COMMUNITY" : code.length === 6 ? "STREET" : "DISTRICT";
        state.campaigns.set(answer.task.id, level);
        feed("已下达:" + answer.task.title, "sent");
        $("task-title").value = "";
        $("task-body").value = "";
        return showProgress(answer.task.id);
      })
      .catch(function (error) { $("task-error").textContent = error.message || "下达失败"; })
      .then(function () { $("task-send").disabled = false; });
  }

  function showProgress(id) {
    var level = state.campaigns.get(id);
    return gql("query($id: ID!, $level: AreaLevel!) { task(id: $id) { id title kind" +
      " progress { assignments acknowledged completed target reached }" +
      " progressByArea(level: $level) { areaCode areaName assignments acknowledged completed target reached } } }",
      { id: id, level: level }).then(function (data) {
      var task = data.task;
      if (!task) return;
      var p = task.progress;
      var share = function (row) {
        return row.target ? Math.round(row.reached * 100 / row.target) : row.assignments ? Math.round(row.acknowledged * 100 / row.assignments) : 0;
      };
      var html = "<b>" + esc(task.title) + "</b> 已签收 " + p.acknowledged + "/" + p.assignments +
        " · 已完成 " + p.completed + (p.target ? " · 进度 " + p.reached + "/" + p.target : "") +
        '<div class="progress"><span style="width:' + share(p) + '%"></span></div>' +
        '<table>' + task.progressByArea.map(function (row) {
          return "<tr><td>" + esc(row.areaName || row.areaCode) + '</td><td class="n">' + row.acknowledged + "/" + row.assignments +
            "</td><td class=\"n\">" + (row.target ? row.reached + "/" + row.target : row.completed + " 完成") + "</td></tr>";
        }).join("") + "</table>";
      var item = document.querySelector('#campaigns li[data-task="' + id + '"]');
      if (!item) {
        item = document.createElement("li");
        item.dataset.task = id;
        $("campaigns").insertBefore(item, $("campaigns").firstChild);
      }
      item.innerHTML = html;
      item.dataset.acknowledged = String(p.acknowledged);
    });
  }

  function defaultDeadline() {
    var when = new Date(Date.now() + 2 * 86400000);
    when.setMinutes(when.getMinutes() - when.getTimezoneOffset());
    $("task-deadline").value = when.toISOString().slice(0, 16);
  }

  // ---- wiring -------------------------------------------------------------

  $("login").addEventListener("submit", signIn);
  $("task-form").addEventListener("submit", sendTask);
  $("task-kind").addEventListener("change", function () { $("task-target").hidden = $("task-kind").value !== "CAMPAIGN"; });
  defaultDeadline();
  $("sign-out").addEventListener("click", function () { signedOut(); });
  $("layer").addEventListener("change", recolour);
  $("area").addEventListener("change", function () {
    var code = $("area").value;
    if (code) zoomTo(code); else state.chart.setOption({ geo: { center: null, zoom: 1 } });
    select(code);
  });
  $("panel").addEventListener("click", function (event) {
    var target = event.target.closest("[data-area]");
    if (!target) return;
    var code = target.dataset.area;
    if (code) zoomTo(code); else state.chart.setOption({ geo: { center: null, zoom: 1 } });
    select(code);
  });

  // A reload keeps the sign-in of this tab: the kept refresh token is
  // traded for a fresh access token before anything is asked.
  var kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(STORE)); } catch (e) { kept = null; }
  if (kept && kept.refreshToken) {
    state.session = kept;
    renew().then(function () { if (state.session) start(); });
  }
})();
