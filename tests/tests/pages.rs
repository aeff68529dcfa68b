//! The server's pages in a real browser (headless Chromium) that can reach
//! nothing but the server: what a command centre on a cut-off network sees.

use gridgov_tests::browser::Chromium;
use gridgov_tests::{Backend, TestServer};

#[tokio::test]
async fn graphiql_draws_without_the_internet() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let server = TestServer::start(Backend::Sqlite).await.expect("SQLite");
    let page = chromium.rendered(&server.url("/graphql"), 10_000).await;
    assert!(
        page.contains("graphiql-container"),
        "GraphiQL did not draw:\n{page}"
    );
    assert!(!page.contains("Loading GraphiQL"), "{page}");
    // Its editor holds the first query our own script gave it.
    assert!(page.contains("SignIn"), "{page}");
    server.stop().await;
}
