//! The server's pages in a real browser (headless Chromium) that can reach
//! nothing but the server: what a command centre on a cut-off network sees.

use std::time::Duration;

use gridgov_tests::browser::{Browser, Chromium};
use gridgov_tests::{Backend, DEMO_PASSWORD, TestServer, pending_assignment};
use serde_json::{Value, json};

#[tokio::test]
async fn graphiql_draws_without_the_internet() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let server = TestServer::start(Backend::Sqlite).await.expect("SQLite");
    // Drawn, and without a blocked load or a script error on the way
    // (its fonts and icons are data: URLs its page policy must allow).
    let browser = chromium.open(1280, 800).await;
    browser.goto(&server.url("/graphql")).await;
    browser
        .wait_for(
            "GraphiQL",
            "return document.querySelector('.graphiql-container') !== null",
            json!([]),
            Duration::from_secs(10),
        )
        .await;
    // Before signing in, its schema request is refused (401): the only
    // error there may be.
    let refused = format!(
        "{} - Failed to load resource: the server responded with a status of 401",
        server.url("/graphql")
    );
    let errors = browser.console_errors().await;
    assert!(
        errors.iter().all(|line| line.starts_with(&refused)),
        "{errors:?}"
    );
    let page = browser
        .run("return document.documentElement.outerHTML", json!([]))
        .await;
    let page = page.as_str().expect("the page").to_owned();
    browser.close().await;
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
    residents men women sexRatio ageBands { count men women }
    populationTypes { registered floating foreign }
    dwellings { ownerOccupied rented office vacant } openCases { open } } }";

/// The numbers a panel shows, by `data-field`, as the API would spell them.
const PANEL_NUMBERS: &str = "var out = {};
    document.querySelectorAll('#panel [data-field]').forEach(function (e) {
        out[e.dataset.field] = e.textContent; });
    return out;";

const SOON: Duration = Duration::from_secs(2);

/// The command centre's screen as an admin, an analyst and a grid worker
/// use it, one after another at the same browser: each step a function of
/// its own, so a failure names it.
#[tokio::test]
async fn the_screen_shows_each_caller_their_city_live() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let server = TestServer::start(Backend::Sqlite).await.expect("SQLite");
    let browser = chromium.open(1600, 1000).await;
    browser.goto(&server.url("/screen")).await;
    let screen = Screen::new(&server, &browser).await;
    screen.admin_sees_every_grid().await;
    screen
        .a_click_shows_the_apis_numbers("admin", &screen.quiet_grid)
        .await;
    // The grid's age pyramid in view.
    browser
        .run(
            "document.querySelector('#panel .pyramid').scrollIntoView()",
            json!([]),
        )
        .await;
    screen.shots("screen-grid.png").await;
    let case = screen.a_case_arrives_and_recolours_its_grid().await;
    screen.a_task_goes_out_and_its_receipt_comes_back().await;
    screen.a_newborn_shows_in_the_feed().await;
    screen.nothing_came_from_elsewhere().await;
    screen.analyst_sees_withheld_counts_as_dashes().await;
    screen
        .worker_sees_only_their_grid_and_nothing_of_before(&case)
        .await;
    browser.close().await;
    server.stop().await;
}

struct Screen<'a> {
    server: &'a TestServer,
    browser: &'a Browser,
    /// A grid with people and no open case, to watch a case arrive.
    quiet_grid: String,
}

impl<'a> Screen<'a> {
    async fn new(server: &'a TestServer, browser: &'a Browser) -> Screen<'a> {
        let admin = server.as_user("admin").await;
        let by_grid = admin
            .data(
                "{ statistics(level: GRID) { children { area residents openCases { open } } } }",
                json!({}),
            )
            .await;
        let quiet_grid = by_grid["statistics"]["children"]
            .as_array()
            .expect("grids")
            .iter()
            .find(|g| g["residents"].as_i64() > Some(3) && g["openCases"]["open"] == 0)
            .expect("a quiet grid with people")["area"]
            .as_str()
            .expect("a code")
            .to_owned();
        Screen {
            server,
            browser,
            quiet_grid,
        }
    }

    async fn sign_in(&self, username: &str) {
        let browser = self.browser;
        browser
            .wait_for(
                "the sign-in form",
                "return !document.getElementById('login').hidden",
                json!([]),
                Duration::from_secs(5),
            )
            .await;
        browser
            .run("document.getElementById('username').value = '';", json!([]))
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

    async fn drawn(&self) -> Value {
        self.browser
            .run(
                "return document.getElementById('map').dataset.grids",
                json!([]),
            )
            .await
    }

    async fn shots(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        self.browser.screenshot(&dir.join(name)).await;
    }

    async fn admin_sees_every_grid(&self) {
        let admin = self.server.as_user("admin").await;
        let grids = admin.data("{ grids { totalCount } }", json!({})).await["grids"]["totalCount"]
            .as_i64()
            .expect("a count");
        self.sign_in("admin").await;
        assert_eq!(self.drawn().await, json!(grids.to_string()));
        self.shots("screen-city.png").await;
    }

    /// A real click on the grid's place on the map fills the panel with
    /// what the API tells `username` of that grid, withheld counts as `—`.
    async fn a_click_shows_the_apis_numbers(&self, username: &str, grid: &str) -> Value {
        let browser = self.browser;
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
        let caller = self.server.as_user(username).await;
        let truth = caller.data(GRID_STATS, json!({"area": grid})).await["statistics"].clone();
        let as_shown = |value: &Value| match value {
            Value::Null => "—".to_owned(),
            Value::Number(n) if n.is_f64() => format!("{:.1}", n.as_f64().unwrap_or_default()),
            other => other.to_string(),
        };
        let mut expected = vec![
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
        ];
        if !truth["openCases"].is_null() {
            expected.push(("openCases", &truth["openCases"]["open"]));
        }
        for (field, value) in expected {
            assert_eq!(
                shown[field],
                json!(as_shown(value)),
                "{field} of {grid} for {username}"
            );
        }
        for band in 0..6 {
            for (suffix, key) in [("", "count"), ("-men", "men"), ("-women", "women")] {
                assert_eq!(
                    shown[format!("band-{band}{suffix}")],
                    json!(as_shown(&truth["ageBands"][band][key])),
                    "age band {band}{suffix} of {grid} for {username}"
                );
            }
        }
        shown
    }

    /// A case reported through the API arrives in the feed and recolours
    /// its grid on the cases layer within two seconds; its number is
    /// returned.
    async fn a_case_arrives_and_recolours_its_grid(&self) -> String {
        let (browser, grid) = (self.browser, &self.quiet_grid);
        browser.click("#layer option[value=cases]").await;
        let before = browser
            .run(
                "return window.gridgovScreen.value(arguments[0])",
                json!([grid]),
            )
            .await;
        assert_eq!(before, json!(0), "{grid} has no open case yet");
        let worker = self.server.as_user(&format!("worker-{grid}")).await;
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
                SOON,
            )
            .await;
        browser
            .wait_for(
                "the grid recoloured",
                "return window.gridgovScreen.value(arguments[0]) >= 1",
                json!([grid]),
                SOON,
            )
            .await;
        number
    }

    /// A task sent from the screen to the selected grid reaches its worker,
    /// and the worker's receipt comes back to the screen live.
    async fn a_task_goes_out_and_its_receipt_comes_back(&self) {
        let (browser, grid) = (self.browser, &self.quiet_grid);
        browser.click("#task-compose summary").await;
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
        let worker = self.server.as_user(&format!("worker-{grid}")).await;
        let assignment =
            pending_assignment(&worker, "", |task| task["title"] == "清理楼道杂物").await;
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
                SOON,
            )
            .await;
    }

    async fn a_newborn_shows_in_the_feed(&self) {
        let grid = &self.quiet_grid;
        let worker = self.server.as_user(&format!("worker-{grid}")).await;
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
        self.browser
            .wait_for(
                "the birth in the feed",
                "return document.getElementById('feed').textContent.indexOf('新生儿登记') >= 0",
                json!([]),
                SOON,
            )
            .await;
    }

    /// Nothing the page did reached for another origin: the console holds
    /// no blocked or failed load. That the console would show one is
    /// tried first, with a request the page itself never makes.
    async fn nothing_came_from_elsewhere(&self) {
        let browser = self.browser;
        browser
            .run(
                "fetch('https://cdn.example.com/lib.js').catch(function () {});",
                json!([]),
            )
            .await;
        let mut caught = Vec::new();
        for _ in 0..40 {
            caught = browser.console_errors().await;
            if !caught.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            caught.iter().any(|line| line.contains("cdn.example.com")),
            "the console shows a load of another origin: {caught:?}"
        );
        // And that was all it held of everything done so far.
        assert!(
            caught.iter().all(|line| line.contains("cdn.example.com")),
            "{caught:?}"
        );
        self.browser.goto(&self.server.url("/screen")).await;
        browser
            .wait_for(
                "the screen again, on the kept sign-in",
                "return document.body.dataset.ready === 'true'",
                json!([]),
                Duration::from_secs(20),
            )
            .await;
        let errors = browser.console_errors().await;
        assert!(errors.is_empty(), "{errors:?}");
    }

    /// A statistics-only caller: the panel withholds what the API
    /// withholds, as dashes.
    async fn analyst_sees_withheld_counts_as_dashes(&self) {
        self.browser.click("#sign-out").await;
        self.sign_in("analyst").await;
        let analyst = self.server.as_user("analyst").await;
        let grids = analyst
            .data(
                "{ statistics(area: \"420502003\", level: GRID) { children { area residents men } } }",
                json!({}),
            )
            .await;
        let withheld = grids["statistics"]["children"]
            .as_array()
            .expect("grids")
            .iter()
            .find(|g| g["residents"].is_null() || g["men"].is_null())
            .expect("a grid with a withheld count")["area"]
            .as_str()
            .expect("a code")
            .to_owned();
        let shown = self
            .a_click_shows_the_apis_numbers("analyst", &withheld)
            .await;
        let dashes = shown
            .as_object()
            .expect("numbers")
            .values()
            .filter(|value| *value == "—")
            .count();
        assert!(dashes > 0, "{shown}");
    }

    /// The next user at the same browser: a grid worker, whose screen holds
    /// their grid, and nothing the earlier users saw.
    async fn worker_sees_only_their_grid_and_nothing_of_before(&self, case: &str) {
        let browser = self.browser;
        browser.click("#sign-out").await;
        let left = browser
            .run(
                "return [document.getElementById('feed').children.length,
                         document.getElementById('campaigns').children.length,
                         document.getElementById('panel').textContent.length]",
                json!([]),
            )
            .await;
        assert_eq!(left, json!([0, 0, 0]), "nothing stays after signing out");
        self.sign_in(&format!("worker-{}", self.quiet_grid)).await;
        assert_eq!(self.drawn().await, json!("1"));
        let panel = browser
            .run(
                "return document.getElementById('panel').dataset.code",
                json!([]),
            )
            .await;
        assert_eq!(panel, json!(self.quiet_grid));
        let feed = browser
            .run(
                "return document.getElementById('feed').textContent",
                json!([]),
            )
            .await;
        assert!(!feed.as_str().unwrap_or_default().contains(case), "{feed}");
    }
}
