// The command: a task sent from the screen to the grid or area in view, and
// its progress rolled up one level down as workers answer.
GridgovScreen.command = (function (S) {
  "use strict";

  var state = S.state, $ = S.$, esc = S.esc;

  var SEND = "mutation($input: SendTaskInput!) { sendTask(input: $input) { task { id title } userErrors { field message } } }";
  var PROGRESS = "query($id: ID!, $level: AreaLevel!) { task(id: $id) { id title kind" +
    " progress { assignments acknowledged completed target reached }" +
    " progressByArea(level: $level) { areaCode areaName assignments acknowledged completed target reached } } }";

  // Where "everything" is sent: the smallest area holding all the
  // caller's grids, or each of their districts.
  function targetsOf(code) {
    if (code) return [code];
    var top = S.topArea();
    if (top) return [top];
    var districts = new Set();
    state.grids.forEach(function (grid, each) { districts.add(each.slice(0, 6)); });
    return Array.from(districts);
  }

  function rollUpLevel(targets) {
    var code = targets.length === 1 ? targets[0] : "";
    return code.length >= 12 ? "GRID" : code.length === 9 ? "COMMUNITY" : code.length === 6 ? "STREET" : "DISTRICT";
  }

  function describeTarget() {
    var code = state.selected || "";
    var area = code.length === 15 ? state.grids.get(code) : state.areas.get(code);
    $("command-target").textContent = "→ " + (area ? area.name : "全部辖区");
  }

  function send(event) {
    event.preventDefault();
    $("task-error").textContent = "";
    var deadline = new Date($("task-deadline").value);
    if (isNaN(deadline.getTime())) {
      $("task-error").textContent = "请填写截止时间";
      return;
    }
    var kind = $("task-kind").value;
    var targets = targetsOf(state.selected || "");
    var input = {
      title: $("task-title").value.trim(), body: $("task-body").value.trim(), kind: kind,
      deadlineAt: deadline.toISOString(), targets: { areas: targets },
    };
    if (kind === "CAMPAIGN") input.targetPerGrid = parseInt($("task-target").value, 10) || null;
    $("task-send").disabled = true;
    S.gql(SEND, { input: input })
      .then(function (data) {
        var answer = data.sendTask;
        if (!answer.task) {
          $("task-error").textContent = answer.userErrors.map(function (e) { return e.message; }).join(";");
          return;
        }
        state.campaigns.set(answer.task.id, rollUpLevel(targets));
        S.live.feed("已下达:" + answer.task.title, "sent");
        $("task-title").value = "";
        $("task-body").value = "";
        return showProgress(answer.task.id);
      })
      .catch(function (error) { if (!error.stale) $("task-error").textContent = error.message || "下达失败"; })
      .then(function () { $("task-send").disabled = false; });
  }

  // A share of the way: the number reached of a campaign, the receipts of
  // an instruction.
  function share(row) {
    if (row.target) return Math.round(row.reached * 100 / row.target);
    return row.assignments ? Math.round(row.acknowledged * 100 / row.assignments) : 0;
  }

  function showProgress(id) {
    return S.gql(PROGRESS, { id: id, level: state.campaigns.get(id) }).then(function (data) {
      var task = data.task;
      if (!task) return;
      var total = task.progress;
      var html = "<b>" + esc(task.title) + "</b> 已签收 " + total.acknowledged + "/" + total.assignments +
        " · 已完成 " + total.completed + (total.target ? " · 进度 " + total.reached + "/" + total.target : "") +
        '<div class="progress"><span style="width:' + share(total) + '%"></span></div>' +
        "<table>" + task.progressByArea.map(function (row) {
          return "<tr><td>" + esc(row.areaName || row.areaCode) + '</td><td class="n">' + row.acknowledged + "/" + row.assignments +
            '</td><td class="n">' + (row.target ? row.reached + "/" + row.target : row.completed + " 完成") + "</td></tr>";
        }).join("") + "</table>";
      var item = document.querySelector('#campaigns li[data-task="' + CSS.escape(id) + '"]');
      if (!item) {
        item = document.createElement("li");
        item.dataset.task = id;
        $("campaigns").insertBefore(item, $("campaigns").firstChild);
      }
      item.innerHTML = html;
      item.dataset.acknowledged = String(total.acknowledged);
    }).catch(S.quietly);
  }

  function defaultDeadline() {
    var when = new Date(Date.now() + 2 * 86400000);
    when.setMinutes(when.getMinutes() - when.getTimezoneOffset());
    $("task-deadline").value = when.toISOString().slice(0, 16);
  }

  function clear() {
    state.campaigns.clear();
    $("campaigns").innerHTML = "";
    $("task-error").textContent = "";
    $("task-compose").open = false;
  }

  function wire() {
    $("task-form").addEventListener("submit", send);
    $("task-kind").addEventListener("change", function () { $("task-target").hidden = $("task-kind").value !== "CAMPAIGN"; });
    defaultDeadline();
  }

  return { wire: wire, clear: clear, describeTarget: describeTarget, showProgress: showProgress };
})(GridgovScreen);
