// Live: one graphql-ws connection carrying the screen's subscriptions, the
// feed they fill, and the map and panel following them.
GridgovScreen.live = (function (S) {
  "use strict";

  var state = S.state, $ = S.$;
  var FEED_LIMIT = 60;
  var VERIFICATION_NAMES = { PENDING: "待核验", SIGNED_OFF: "已签收", RETURNED: "已退回" };

  var ANSWER_FIELDS = "id areaCode state progress target area { name } grid { name } task { id title }";
  var SUBSCRIPTIONS = {
    cases: "subscription { caseChanged { id number title state light gridCode grid { name } } }",
    records: "subscription { residentVerificationChanged { gridCode verification } }",
    people: "subscription { residentRegistered { gridCode name birthDate } }",
    feedback: "subscription { assignmentAnswered { " + ANSWER_FIELDS + " } }",
  };

  var connected = false;  // whether this session's stream has been up before

  function indicator(on) {
    $("live").classList.toggle("on", on);
    $("live").textContent = on ? "● 实时" : "○ 实时";
  }

  function listen() {
    if (state.socket) state.socket.close(1000);
    state.socket = null;
    if (!state.session) return;
    var generation = state.generation;
    var url = new URL(S.ENDPOINT, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(url.toString(), "graphql-transport-ws");
    state.socket = socket;
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: "Bearer " + state.session.accessToken } }));
    };
    socket.onmessage = function (message) {
      if (state.socket !== socket || generation !== state.generation) return;
      var frame = JSON.parse(message.data);
      if (frame.type === "connection_ack") {
        indicator(true);
        Object.keys(SUBSCRIPTIONS).forEach(function (id) {
          socket.send(JSON.stringify({ id: id, type: "subscribe", payload: { query: SUBSCRIPTIONS[id] } }));
        });
        // Back after a gap: what happened meanwhile was not heard.
        if (connected) S.catchUp();
        connected = true;
      } else if (frame.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (frame.type === "next" && frame.payload && frame.payload.data) {
        heard(frame.payload.data);
      } else if (frame.type === "complete" || frame.type === "error") {
        // A stream ends when its token expires, and is refused when the
        // token has lapsed: start again on a fresh one.
        socket.close(1000);
      }
    };
    socket.onclose = function () {
      if (state.socket !== socket) return;
      state.socket = null;
      indicator(false);
      if (!state.session || generation !== state.generation) return;
      setTimeout(function () {
        if (!state.session || generation !== state.generation || state.socket) return;
        S.renew().then(function () { if (generation === state.generation && !state.socket) listen(); });
      }, 3000);
    };
  }

  function stop() {
    var socket = state.socket;
    state.socket = null;
    connected = false;
    if (socket) socket.close(1000);
    indicator(false);
  }

  function heard(data) {
    if (data.caseChanged) caseChanged(data.caseChanged);
    if (data.residentVerificationChanged) recordChanged(data.residentVerificationChanged);
    if (data.residentRegistered) personJoined(data.residentRegistered);
    if (data.assignmentAnswered) taskAnswered(data.assignmentAnswered);
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

  function gridName(code) {
    return state.grids.has(code) ? " · " + state.grids.get(code).name : "";
  }

  // One grid's counts again; the panel follows if it shows that grid or an
  // area around it.
  function refreshGrid(code) {
    if (!state.grids.has(code)) return;
    S.gql("query($area: String) { statistics(area: $area) { " + S.COUNTS + " } }", { area: code })
      .then(function (data) {
        if (data.statistics) state.stats.set(code, data.statistics);
        S.map.recolour();
        if (state.selected != null && code.indexOf(state.selected) === 0) S.panel.refreshSoon();
      })
      .catch(S.quietly);
  }

  function caseChanged(one) {
    feed("案件 " + one.number + " " + one.title + " · " + S.label("CaseState", one.state) +
      (one.grid ? " · " + one.grid.name : ""), "case");
    refreshGrid(one.gridCode);
  }

  function recordChanged(record) {
    feed("人口信息核验:" + (VERIFICATION_NAMES[record.verification] || record.verification) + gridName(record.gridCode), "record");
    S.optional("query($within: String) { verificationCounts(within: $within) { gridCode pending } }", { within: record.gridCode })
      .then(function (data) {
        if (!data) return;
        var row = data.verificationCounts[0];
        state.pending.set(record.gridCode, row ? row.pending : 0);
        S.map.recolour();
      })
      .catch(S.quietly);
  }

  // A birth is recorded within a year of it (recordBirth refuses older
  // ones), so a person joining the record under a year old is a newborn.
  function personJoined(person) {
    var born = person.birthDate && (Date.now() - Date.parse(person.birthDate)) < 366 * 86400000;
    feed((born ? "新生儿登记:" : "新登记人口:") + (person.name || "") + gridName(person.gridCode), born ? "birth" : "person");
    refreshGrid(person.gridCode);
  }

  function taskAnswered(answer) {
    var place = answer.area ? answer.area.name : answer.grid ? answer.grid.name : answer.areaCode;
    var reached = answer.target ? " " + answer.progress + "/" + answer.target : "";
    feed("任务反馈:" + (answer.task ? answer.task.title : "") + " · " + place + " · " +
      S.label("AssignmentState", answer.state) + reached, "feedback");
    if (answer.task && state.campaigns.has(answer.task.id)) S.command.showProgress(answer.task.id);
  }

  function clear() {
    $("feed").innerHTML = "";
  }

  return { listen: listen, stop: stop, feed: feed, clear: clear };
})(GridgovScreen);
