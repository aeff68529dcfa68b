//! The server's pages in a real browser (headless Chromium) that can reach
//! nothing but the server: what a command centre on a cut-off network sees.

use std::time::Duration;

use gridgov_tests::browser::{Browser, Chromium};
use gridgov_tests::{Backend, DEMO_PASSWORD, TestServer};
use serde_json::{Value, json};

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
    // Its editor holds the first query our own script gave it, and it
    // links to the screen.
    assert!(page.contains("SignIn"), "{page}");
    assert!(page.contains(r#"href="/screen""#), "{page}");
    server.stop().await;
}

const GRID_STATS: &str = "query($area: String) { statistics(area: $area) {
    residents men women sexRatio ageBands { count }
    populationTypes { registered floating foreign }
    dwellings { ownerOccupied rented office vacant } openCases { open } } }";

/// The numbers a panel shows, by `data-field`, as the API would spell them.
const PANEL_NUMBERS: &str = "var out = {};
    document.querySelectorAll('#panel [data-field]').forEach(function (e) {
        out[e.dataset.field] = e.textContent; });
    return out;";

/// The command centre's screen as an admin and a grid worker use it: sign
/// in, the map of their grids, a click on a grid and its numbers, a case
/// reported elsewhere arriving live and recolouring its grid, and nothing
/// asked of any other origin.
#[tokio::test]
async fn the_screen_shows_each_caller_their_city_live() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let server = TestServer::start(Backend::Sqlite).await.expect("SQLite");
    let admin = server.as_user("admin").await;
    let grids = admin.data("{ grids { totalCount } }", json!({})).await["grids"]["totalCount"]
        .as_i64()
        .expect("a count");
    // A grid with people and without open cases, to watch a case arrive.
    let by_grid = admin
        .data(
            "{ statistics(level: GRID) { children { area residents openCases { open } } } }",
            json!({}),
        )
        .await;
    let grid = by_grid["statistics"]["children"]
        .as_array()
        .expect("grids")
        .iter()
        .find(|g| g["residents"].as_i64() > Some(3) && g["openCases"]["open"] == 0)
        .expect("a quiet grid with people")["area"]
        .as_str()
        .expect("a code")
        .to_owned();

    let browser = chromium.open(1600, 1000).await;
    browser.goto(&server.url("/screen")).await;
    sign_in(&browser, "admin").await;
    let drawn = browser
        .run(
            "return document.getElementById('map').dataset.grids",
            json!([]),
        )
        .await;
    assert_eq!(
        drawn,
        json!(grids.to_string()),
        "the map draws every grid the admin sees"
    );
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    browser.screenshot(&shots.join("screen-city.png")).await;

    // A real click on the grid's place on the map fills the panel with
    // what the API says of that grid.
    let point = browser
        .run(
            "return window.gridgovScreen.gridPoint(arguments[0])",
            json!([grid]),
        )
        .await;
    let (x, y) = (point[0].as_i64().expect("x"), point[1].as_i64().expect("y"));
    browser.click_at("#map", x, y).await;
    browser
        .wait_for(
            "the grid's panel",
            "return document.getElementById('panel').dataset.code === arguments[0]",
            json!([grid]),
            Duration::from_secs(5),
        )
        .await;
    let shown = browser.run(PANEL_NUMBERS, json!([])).await;
    let truth = admin.data(GRID_STATS, json!({"area": grid})).await["statistics"].clone();
    let as_shown = |value: &Value| match value {
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    };
    for (field, value) in [
        ("residents", &truth["residents"]),
        ("men", &truth["men"]),
        ("women", &truth["women"]),
        ("sexRatio", &truth["sexRatio"]),
        ("registered", &truth["populationTypes"]["registered"]),
        ("floating", &truth["populationTypes"]["floating"]),
        ("foreign", &truth["populationTypes"]["foreign"]),
        ("ownerOccupied", &truth["dwellings"]["ownerOccupied"]),
        ("rented", &truth["dwellings"]["rented"]),
        ("office", &truth["dwellings"]["office"]),
        ("vacant", &truth["dwellings"]["vacant"]),
        ("openCases", &truth["openCases"]["open"]),
    ] {
        assert_eq!(shown[field], json!(as_shown(value)), "{field} of {grid}");
    }
    for band in 0..6 {
        assert_eq!(
            shown[format!("band-{band}")],
            json!(as_shown(&truth["ageBands"][band]["count"])),
            "age band {band}"
        );
    }
    browser.screenshot(&shots.join("screen-grid.png")).await;

    // A case reported through the API arrives in the feed and recolours
    // its grid on the cases layer, within two seconds.
    browser.click("#layer option[value=cases]").await;
    let before = browser
        .run(
            "return window.gridgovScreen.value(arguments[0])",
            json!([grid]),
        )
        .await;
    assert_eq!(before, json!(0), "{grid} has no open case yet");
    let worker = server.as_user(&format!("worker-{grid}")).await;
    let reported = worker
        .data(
            "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { number } } }",
            json!({"input": {"title": "楼道堆放杂物", "description": "三单元楼道堆放纸箱,有消防隐患。",
                "gridCode": grid, "location": "二号楼三单元"}}),
        )
        .await;
    let number = reported["reportCase"]["case"]["number"]
        .as_str()
        .expect("a case number")
        .to_owned();
    browser
        .wait_for(
            "the case in the feed",
            "return document.getElementById('feed').textContent.indexOf(arguments[0]) >= 0",
            json!([number]),
            Duration::from_secs(2),
        )
        .await;
    browser
        .wait_for(
            "the grid recoloured",
            "return window.gridgovScreen.value(arguments[0]) >= 1",
            json!([grid]),
            Duration::from_secs(2),
        )
        .await;

    // A task sent from the screen to the selected grid reaches its worker,
    // and the worker's receipt comes back to the screen live.
    browser.type_into("#task-title", "清理楼道杂物").await;
    browser
        .type_into("#task-body", "今日内清理二号楼楼道堆放的纸箱。")
        .await;
    browser.click("#task-send").await;
    browser
        .wait_for(
            "the task's progress",
            "return document.querySelector('#campaigns li') !== null",
            json!([]),
            Duration::from_secs(5),
        )
        .await;
    let mine = worker
        .data(
            "{ myAssignments(filter: {states: [PENDING]}, first: 100) { nodes { id version task { title } } } }",
            json!({}),
        )
        .await;
    let assignment = mine["myAssignments"]["nodes"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["task"]["title"] == "清理楼道杂物")
        .expect("the task reached the grid's worker")
        .clone();
    worker
        .data(
            "mutation($id: ID!, $v: Int!) { acknowledgeAssignment(input: {id: $id, version: $v}) { assignment { id } } }",
            json!({"id": assignment["id"], "v": assignment["version"]}),
        )
        .await;
    browser
        .wait_for(
            "the receipt on the screen",
            "var item = document.querySelector('#campaigns li');
             return item.dataset.acknowledged === '1' &&
                 document.getElementById('feed').textContent.indexOf('任务反馈') >= 0",
            json!([]),
            Duration::from_secs(2),
        )
        .await;

    // A newborn recorded in the grid shows in the feed.
    let household = worker
        .data(
            "query($g: String) { households(filter: {within: $g}, first: 1) { nodes { id } } }",
            json!({"g": grid}),
        )
        .await["households"]["nodes"][0]["id"]
        .clone();
    let born_on = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let child = gridgov::domain::id_number::IdNumber::compose("420502", born_on, 77);
    let born = worker
        .data(
            "mutation($input: RecordBirthInput!) { recordBirth(input: $input) { resident { id } userErrors { message } } }",
            json!({"input": {"idNumber": child, "name": "小满", "householdId": household}}),
        )
        .await;
    assert!(
        born["recordBirth"]["resident"]["id"].is_string(),
        "{born:#}"
    );
    browser
        .wait_for(
            "the birth in the feed",
            "return document.getElementById('feed').textContent.indexOf('新生儿登记') >= 0",
            json!([]),
            Duration::from_secs(2),
        )
        .await;

    // Everything the page loaded came from the server.
    let loaded = browser
        .run(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })",
            json!([]),
        )
        .await;
    let loaded = loaded.as_array().expect("resources");
    assert!(loaded.len() >= 3, "{loaded:?}");
    for name in loaded {
        let name = name.as_str().expect("a URL");
        assert!(
            name.starts_with(&server.base_url),
            "{name} is not the server's"
        );
    }

    // A grid worker's screen holds their grid and nothing else.
    browser.click("#sign-out").await;
    sign_in(&browser, &format!("worker-{grid}")).await;
    let drawn = browser
        .run(
            "return document.getElementById('map').dataset.grids",
            json!([]),
        )
        .await;
    assert_eq!(drawn, json!("1"));
    let panel = browser
        .run(
            "return document.getElementById('panel').dataset.code",
            json!([]),
        )
        .await;
    assert_eq!(panel, json!(grid));
    browser.close().await;
    server.stop().await;
}

async fn sign_in(browser: &Browser, username: &str) {
    browser
        .wait_for(
            "the sign-in form",
            "return !document.getElementById('login').hidden",
            json!([]),
            Duration::from_secs(5),
        )
        .await;
    browser
        .run(
            "document.getElementById('username').value = ''; document.body.dataset.ready = '';",
            json!([]),
        )
        .await;
    browser.type_into("#username", username).await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("#sign-in").await;
    browser
        .wait_for(
            "the screen to load",
            "return document.body.dataset.ready === 'true'",
            json!([]),
            Duration::from_secs(20),
        )
        .await;
}
