// The screen's wiring: signing in and out, loading the caller's city, and
// the controls. The parts it wires are in screen-core/map/panel/live/command.
(function (S) {
  "use strict";

  var state = S.state, $ = S.$;

  S.COUNTS = "area residents dwellings { ownerOccupied rented office vacant } openCases { open green yellow red }";

  var GRID_PAGE = "query($after: String) { grids(first: 100, after: $after) {" +
    " pageInfo { hasNextPage endCursor }" +
    " edges { node { code name boundary ancestors { code name level } worker { displayName phone } } } } }";
  var LEVEL_NAMES = { DISTRICT: "区", STREET: "街道", COMMUNITY: "社区", GRID: "网格" };

  // ---- signing in and out ------------------------------------------------

  function signIn(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    $("sign-in").disabled = true;
    S.anonymous("mutation($input: LoginInput!) { login(input: $input) { " + S.SESSION_FIELDS + " } }", {
      input: { username: $("username").value.trim(), password: $("password").value },
    })
      .then(function (data) {
        var answer = data.login;
        if (!answer.session) {
          $("login-error").textContent = answer.userErrors.map(function (e) { return e.message; }).join(";") || "登录失败";
          return;
        }
        reset();
        S.keep(answer.session);
        $("password").value = "";
        return start();
      })
      .catch(function (error) { $("login-error").textContent = error.message || "无法连接服务器"; })
      .then(function () { $("sign-in").disabled = false; });
  }

  // Everything the last user saw goes with them: the next person at a
  // shared screen starts from nothing.
  function reset() {
    state.generation++;
    S.live.stop();
    state.grids.clear();
    state.areas.clear();
    state.stats.clear();
    state.pending.clear();
    state.findings.clear();
    state.selected = null;
    S.map.clear();
    S.panel.clear();
    S.live.clear();
    S.command.clear();
    $("whoami").textContent = "";
    $("area").innerHTML = "";
    S.status("");
    document.body.dataset.ready = "";
  }

  S.signedOut = function (reason) {
    var session = state.session;
    state.session = null;
    S.forget();
    reset();
    if (session && !reason) {
      S.anonymous("mutation($input: RefreshTokenInput!) { logout(input: $input) { userErrors { message } } }",
        { input: { refreshToken: session.refreshToken } }).catch(function () {});
    }
    $("screen").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = reason || "";
  };

  // ---- loading the caller's city ------------------------------------------

  function loadGrids(after) {
    return S.gql(GRID_PAGE, { after: after || null }).then(function (data) {
      data.grids.edges.forEach(function (edge) {
        var grid = edge.node;
        state.grids.set(grid.code, grid);
        grid.ancestors.forEach(function (area) { state.areas.set(area.code, area); });
      });
      if (data.grids.pageInfo.hasNextPage) return loadGrids(data.grids.pageInfo.endCursor);
    });
  }

  // Every grid's counts, and everything's as the panel shows it (one scan
  // for both). Resolves to the latter.
  function loadCounts() {
    return Promise.all([
      S.gql("{ statistics(level: GRID) { " + S.panel.FIELDS + " children { " + S.COUNTS + " } } }"),
      S.optional("{ verificationCounts { gridCode pending } }"),
      S.optional("{ findingCounts(level: GRID) { areaCode open } }"),
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
      return statistics;
    });
  }

  function loadLabels() {
    return S.gql('{ labels(enums: ["CareFlag", "CaseState", "AssignmentState"]) { name values { value label } } }')
      .then(function (data) {
        data.labels.forEach(function (labels) {
          state.labels[labels.name] = {};
          labels.values.forEach(function (v) { state.labels[labels.name][v.value] = v.label; });
        });
      });
  }

  // After a gap in the live stream: the counts again, as they are now.
  S.catchUp = function () {
    loadCounts().then(function () {
      S.map.recolour();
      S.panel.refreshSoon();
    }).catch(S.quietly);
  };

  // The smallest area holding every grid the caller sees: a community
  // manager lands on the community, an admin on the whole city ("").
  S.topArea = function () {
    var codes = Array.from(state.grids.keys());
    if (!codes.length) return "";
    var widths = [12, 9, 6];
    for (var i = 0; i < widths.length; i++) {
      var prefix = codes[0].slice(0, widths[i]);
      if (codes.every(function (c) { return c.indexOf(prefix) === 0; })) return prefix;
    }
    return "";
  };

  function fillAreaChoice() {
    var choice = $("area");
    choice.innerHTML = "";
    var everything = document.createElement("option");
    everything.value = "";
    everything.textContent = "全部(" + state.grids.size + " 个网格)";
    choice.appendChild(everything);
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

  function start() {
    $("login").hidden = true;
    $("screen").hidden = false;
    S.status("正在载入……");
    var began = performance.now();
    return Promise.all([
      S.gql("{ me { username displayName roles { role area } } }"),
      loadGrids(),
      loadCounts(),
      loadLabels(),
    ])
      .then(function (answers) {
        var me = answers[0].me;
        $("whoami").textContent = (me.displayName || me.username) + " · " + me.roles.map(function (r) {
          return r.role + "@" + (r.area === "*" ? "全市" : r.area);
        }).join(",");
        S.map.draw(select, function (community) { zoomTo(community); });
        fillAreaChoice();
        S.live.listen();
        // A grid worker starts on their grid; anyone else on everything
        // they see, whose statistics came with the map's.
        var only = state.grids.size === 1 ? state.grids.keys().next().value : null;
        var first = only ? select(only) : select("", answers[2]);
        return first.then(function () {
          S.timings.load = Math.round(performance.now() - began);
          S.status("共 " + state.grids.size + " 个网格 · 载入 " + S.timings.load + " 毫秒");
          document.body.dataset.ready = "true";
        });
      })
      .catch(function (error) {
        if (!error.stale && state.session) S.status("载入失败:" + (error.message || error));
      });
  }

  // ---- choosing what is in view -----------------------------------------------

  function select(code, known) {
    state.selected = code;
    S.command.describeTarget();
    S.map.mark(code);
    if (code.length < 15) $("area").value = code;
    return S.panel.show(code, known).catch(function (error) {
      if (!error.stale && state.session) $("panel").textContent = "无法载入:" + (error.message || error);
    });
  }

  function zoomTo(code) {
    S.map.zoomTo(code);
    select(code);
  }

  // For the browser tests and bench/screen.py (and a curious operator).
  window.gridgovScreen = {
    timings: S.timings,
    gridPoint: S.map.gridPoint,
    value: S.map.value,
  };

  $("login").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", function () { S.signedOut(); });
  $("layer").addEventListener("change", S.map.recolour);
  $("area").addEventListener("change", function () { zoomTo($("area").value); });
  $("panel").addEventListener("click", function (event) {
    var target = event.target.closest("[data-area]");
    if (target) zoomTo(target.dataset.area);
  });
  S.command.wire();

  // A reload keeps the sign-in of this tab: the kept refresh token is
  // traded for a fresh access token before anything is asked.
  var kept = S.keptSession();
  if (kept) {
    state.session = kept;
    S.renew().then(function () { if (state.session) start(); });
  }
})(GridgovScreen);
