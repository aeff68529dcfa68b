// GraphiQL on this server's /graphql. Live operations go over graphql-ws on
// the same address; GraphiQL sends the Headers tab as the connection's
// parameters, so one {"Authorization": "Bearer …"} serves both.
(function () {
  var endpoint = new URL("/graphql", window.location.href);
  var live = new URL(endpoint);
  live.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  var firstQuery = [
    "# gridgov. Every query needs a caller: sign in, then put the token in the",
    "# Headers tab below as {\"Authorization\": \"Bearer <accessToken>\"}.",
    "# The demo city's accounts are printed when the server first starts.",
    "mutation SignIn {",
    "  login(input: {username: \"admin\", password: \"gridgov-demo\"}) {",
    "    session { accessToken }",
    "    userErrors { field code message }",
    "  }",
    "}",
    "",
    "query Me {",
    "  me { username userKind roles { role area } }",
    "}",
    "",
  ].join("\n");
  // GraphiQL's logo corner links to the command centre's screen.
  var toScreen = React.createElement(
    GraphiQL.Logo,
    null,
    React.createElement("a", { href: "/screen", id: "to-screen" }, "gridgov · 指挥大屏 /screen")
  );
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(
      GraphiQL,
      {
        fetcher: GraphiQL.createFetcher({
          url: endpoint.toString(),
          subscriptionUrl: live.toString(),
        }),
        defaultQuery: firstQuery,
        defaultEditorToolsVisibility: true,
      },
      toScreen
    )
  );
})();
