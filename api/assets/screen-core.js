// The command centre's screen, built as any third-party frontend would be:
// the public GraphQL API (queries over HTTP, live updates over graphql-ws)
// with the signed-in user's own token, so every number on it is cut to what
// that user may see, and nothing on it is more than any client could show.
//
// The page's scripts share one namespace, `GridgovScreen`, filled in this
// order: core (state, talking to the API, the sign-in), map, panel, live,
// command, and screen.js, which wires them to the page.
var GridgovScreen = (function () {
  "use strict";

  var ENDPOINT = "/graphql";
  var STORE = "gridgov.screen.session";
  var SESSION_FIELDS = "session { accessToken refreshToken expiresIn username } userErrors { message }";

  var $ = function (id) { return document.getElementById(id); };

  var state = {
    session: null,
    // Bumped at every sign-in and sign-out: answers and events of an
    // earlier session are dropped, never shown to the next user.
    generation: 0,
    grids: new Map(),      // code → {code, name, boundary, ancestors, worker}
    areas: new Map(),      // code → {code, name, level}
    stats: new Map(),      // grid code → its counts
    pending: new Map(),    // grid code → records waiting for sign-off
    findings: new Map(),   // grid code → open findings
    campaigns: new Map(),  // task id → the level its progress rolls up to
    selected: null,        // the code in the panel ("" for everything)
    labels: {},            // enum → value → Chinese label
    chart: null,
    socket: null,
    refreshTimer: null,
  };

  // How long the last load and panel took, in the page (for bench/screen.py).
  var timings = { load: null, panel: null };

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function label(kind, value) {
    return (state.labels[kind] && state.labels[kind][value]) || value;
  }

  function status(text) { $("status").textContent = text; }

  // ---- talking to the API ---------------------------------------------

  function GraphQLError(errors) {
    this.errors = errors;
    this.code = errors[0] && errors[0].extensions && errors[0].extensions.code;
    this.message = (errors[0] && errors[0].message) || "错误";
  }

  // An answer that arrived after its session ended.
  function Stale() { this.stale = true; this.message = "stale"; }

  function post(query, variables, token) {
    var generation = state.generation;
    var headers = { "content-type": "application/json", accept: "application/graphql-response+json" };
    if (token) headers.authorization = "Bearer " + token;
    return fetch(ENDPOINT, {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ query: query, variables: variables || {} }),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (generation !== state.generation) throw new Stale();
        if (body.errors && body.errors.length) throw new GraphQLError(body.errors);
        return body.data;
      });
    });
  }

  // A query with the session's token. A lapsed token is renewed once with
  // the refresh token and the query asked again.
  function gql(query, variables) {
    var token = state.session && state.session.accessToken;
    return post(query, variables, token).catch(function (error) {
      if (error.code !== "UNAUTHENTICATED" || !state.session) throw error;
      return renew().then(function () {
        if (!state.session) throw error;
        return post(query, variables, state.session.accessToken);
      });
    });
  }

  // Signing in, renewing and signing out carry no access token: the one
  // held may be the lapsed one being replaced.
  function anonymous(query, variables) {
    return post(query, variables, null);
  }

  // A query that some callers may not make (a layer their role does not
  // cover) answers null instead of failing the whole screen.
  function optional(query, variables) {
    return gql(query, variables).catch(function (error) {
      if (error.code === "FORBIDDEN") return null;
      throw error;
    });
  }

  // Errors of an ended session are nobody's business; others are shown.
  function quietly(error) {
    if (!(error && error.stale) && state.session) status("出错:" + (error.message || error));
  }

  // ---- staying signed in ------------------------------------------------

  function keep(session) {
    state.session = session;
    sessionStorage.setItem(STORE, JSON.stringify(session));
    clearTimeout(state.refreshTimer);
    // Renewed well before the access token lapses.
    state.refreshTimer = setTimeout(function () {
      renew().then(function () { if (state.session && GridgovScreen.live) GridgovScreen.live.listen(); });
    }, Math.max(10, session.expiresIn * 0.8) * 1000);
  }

  var renewing = null;

  // Trades the refresh token for a new session, once at a time. A refused
  // refresh token ends the session; a network that is down keeps it and
  // tries again, so a wall display rides out an outage.
  function renew() {
    if (!state.session) return Promise.resolve();
    if (!renewing) {
      var done = function () { renewing = null; };
      renewing = attempt().then(done, done);
    }
    return renewing;
  }

  function attempt() {
    if (!state.session) return Promise.resolve();
    return anonymous("mutation($input: RefreshTokenInput!) { refresh(input: $input) { " + SESSION_FIELDS + " } }",
      { input: { refreshToken: state.session.refreshToken } })
      .then(function (data) {
        if (data.refresh.session) keep(data.refresh.session);
        else GridgovScreen.signedOut("登录已过期,请重新登录");
      })
      .catch(function (error) {
        if (error.stale) return;
        if (error instanceof GraphQLError) {
          GridgovScreen.signedOut("登录已过期,请重新登录");
          return;
        }
        status("网络中断,稍后重试……");
        return new Promise(function (resolve) { setTimeout(resolve, 10000); }).then(attempt);
      });
  }

  function keptSession() {
    try {
      var kept = JSON.parse(sessionStorage.getItem(STORE));
      return kept && kept.refreshToken ? kept : null;
    } catch (e) {
      return null;
    }
  }

  function forget() {
    sessionStorage.removeItem(STORE);
    clearTimeout(state.refreshTimer);
  }

  return {
    $: $,
    state: state,
    timings: timings,
    esc: esc,
    label: label,
    status: status,
    gql: gql,
    optional: optional,
    anonymous: anonymous,
    quietly: quietly,
    keep: keep,
    renew: renew,
    keptSession: keptSession,
    forget: forget,
    SESSION_FIELDS: SESSION_FIELDS,
    ENDPOINT: ENDPOINT,
  };
})();
