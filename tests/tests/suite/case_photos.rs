//! Photos of cases over the wire, as a phone app sends them: a GraphQL
//! multipart request with the report or a move, read back as `photos` and
//! fetched from each photo's `url` by those who see the case — and by
//! nobody else, with the same 404 as a photo that does not exist; each
//! handing over in the audit log. What an image is comes from its bytes;
//! the limits hold.

use entities::audit_log;
use gridgov_tests::{
    TestServer, UploadFile, on_each_backend, upload, user_error, user_error_field,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const GRID: &str = "420502003001001";
const NEIGHBOUR: &str = "420502003001002";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

const REPORT: &str = "mutation($input: ReportCaseInput!) { reportCase(input: $input) {
    case { id version photos { url contentType sizeBytes step uploadedBy } }
    userErrors { field message code } } }";

const MOVE: &str = "mutation($input: MoveCaseInput!) { moveCase(input: $input) {
    case { state photos { url step }
           timeline(first: 20) { nodes { action photos { url } } } }
    userErrors { field message code } } }";

/// A GraphQL multipart request (operations, map, files) with `files` at
/// `variables.input.photos.N`, as `token` sends it.
async fn multipart(
    server: &TestServer,
    token: Option<&str>,
    query: &str,
    input: Value,
    files: &[(&str, &str, &[u8])],
) -> (u16, Value) {
    let mut input = input;
    input["photos"] = json!(vec![Value::Null; files.len()]);
    let paths: Vec<String> = (0..files.len())
        .map(|n| format!("variables.input.photos.{n}"))
        .collect();
    let paths: Vec<[&str; 1]> = paths.iter().map(|path| [path.as_str()]).collect();
    let files: Vec<UploadFile<'_>> = files
        .iter()
        .zip(&paths)
        .map(|((name, kind, bytes), paths)| UploadFile {
            paths,
            name,
            kind,
            bytes,
        })
        .collect();
    upload(
        server,
        token,
        &json!({"query": query, "variables": {"input": input}}),
        &files,
    )
    .await
}

/// A multipart request whose operations are a batch of two reports, each
/// with the one file.
async fn multipart_batch(server: &TestServer, token: &str, input: Value) -> (u16, Value) {
    let mut input = input;
    input["photos"] = json!([null]);
    let one = json!({"query": REPORT, "variables": {"input": input}});
    let file = UploadFile {
        paths: &["0.variables.input.photos.0", "1.variables.input.photos.0"],
        name: "a.png",
        kind: "image/png",
        bytes: PNG,
    };
    upload(server, Some(token), &json!([one, one]), &[file]).await
}

/// SHA-256 of `bytes` in hex, as the photo store names a picture.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Fetches a photo's url as `token`: the status, the type and the bytes.
async fn fetch(server: &TestServer, token: Option<&str>, url: &str) -> (u16, String, Vec<u8>) {
    fetch_tagged(server, token, url, None).await
}

/// [`fetch`] for a browser holding a copy tagged `tag`.
async fn fetch_tagged(
    server: &TestServer,
    token: Option<&str>,
    url: &str,
    tag: Option<&str>,
) -> (u16, String, Vec<u8>) {
    let mut request = server.client.get(server.url(url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(tag) = tag {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    if status == 200 {
        // Kept privately, and asked for again each time.
        let cache = response
            .headers()
            .get("cache-control")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        assert!(
            cache.contains("private") && cache.contains("no-cache"),
            "{cache}"
        );
    }
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let nosniff = response.headers().get("x-content-type-options").cloned();
    let bytes = response.bytes().await.expect("a body").to_vec();
    if status == 200 {
        assert_eq!(
            nosniff.as_ref().and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
    }
    (status, kind, bytes)
}

#[tokio::test]
async fn a_photo_goes_with_its_case_to_those_who_see_it_and_to_nobody_else() {
    on_each_backend(|server| async move {
        let worker = server.token_for(&format!("worker-{GRID}")).await;
        let report = json!({"title": "井盖缺失", "description": "人行道上污水井盖缺失。",
            "gridCode": GRID, "location": "3 栋门前"});

        // Reported with a photo, which reads back with the case.
        let (status, body) = multipart(
            &server,
            Some(&worker),
            REPORT,
            report.clone(),
            &[("well.png", "image/png", PNG)],
        )
        .await;
        assert_eq!(status, 200, "{body:#}");
        let case = body["data"]["reportCase"]["case"].clone();
        assert!(case.is_object(), "{body:#}");
        let photos = case["photos"].as_array().expect("photos");
        assert_eq!(photos.len(), 1);
        assert_eq!(photos[0]["contentType"], "image/png");
        assert_eq!(photos[0]["sizeBytes"], PNG.len());
        assert_eq!(photos[0]["step"], "report");
        let url = photos[0]["url"].as_str().expect("a url").to_owned();

        // Those who see the case fetch it as sent; others get the 404 of a
        // photo that does not exist; without a token, 401.
        for who in [
            format!("worker-{GRID}"),
            "operator".to_owned(),
            "community-420502003001".to_owned(),
        ] {
            let token = server.token_for(&who).await;
            let (status, kind, bytes) = fetch(&server, Some(&token), &url).await;
            assert_eq!((status, kind.as_str()), (200, "image/png"), "{who}");
            assert_eq!(bytes, PNG, "{who}");
        }
        // Each handing over is in the audit log, by whom and of which photo.
        let photo_id = url.rsplit('/').next().and_then(|n| n.parse::<i64>().ok());
        let db = server.db().await;
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("case_photo.read_unmasked"))
            .all(&db)
            .await
            .expect("audit rows");
        db.close().await.expect("close");
        let handed: Vec<&str> = rows
            .iter()
            .filter(|row| {
                row.detail["ids"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|id| id.as_i64() == photo_id))
            })
            .map(|row| row.actor_name.as_str())
            .collect();
        assert_eq!(handed.len(), 3, "one row per fetch: {handed:?}");

        // A browser's copy is confirmed by its tag, to those who still see
        // the case; to anyone else the tag gives nothing away.
        let tag = format!("\"{}\"", sha256_hex(PNG));
        let (status, _, bytes) = fetch_tagged(&server, Some(&worker), &url, Some(&tag)).await;
        assert_eq!((status, bytes.len()), (304, 0));
        let stranger = server.token_for(&format!("worker-{NEIGHBOUR}")).await;
        let (status, _, _) = fetch_tagged(&server, Some(&stranger), &url, Some(&tag)).await;
        assert_eq!(status, 404);
        let (hidden, _, hidden_body) = fetch(&server, Some(&stranger), &url).await;
        let (absent, _, absent_body) = fetch(&server, Some(&stranger), "/photos/999999999").await;
        assert_eq!((hidden, absent), (404, 404));
        assert_eq!(hidden_body, absent_body, "out of sight reads as absent");
        assert_eq!(fetch(&server, None, &url).await.0, 401);

        // What an image is comes from its bytes, not from its label; a
        // multipart request needs a token.
        let (_, body) = multipart(
            &server,
            Some(&worker),
            REPORT,
            report.clone(),
            &[("x.png", "image/png", b"<svg onload=alert(1)></svg>")],
        )
        .await;
        assert_eq!(user_error(&body), Some("INVALID"), "{body:#}");
        let (status, _) = multipart(
            &server,
            None,
            REPORT,
            report.clone(),
            &[("well.png", "image/png", PNG)],
        )
        .await;
        assert_eq!(status, 401);
        // A forged file marker (no file behind it) files nothing: a marker
        // that is not one is a bad variable, one naming no file of the
        // request a user error; the connection stays.
        for (photos, code) in [
            (json!(["#__graphql_file__:x"]), None),
            (json!(["#__graphql_file__:0"]), Some("INVALID")),
        ] {
            let mut input = report.clone();
            input["photos"] = photos;
            let response = server
                .client
                .post(server.url("/graphql"))
                .bearer_auth(&worker)
                .json(&json!({"query": REPORT, "variables": {"input": input}}))
                .send()
                .await
                .expect("an answer, not a dropped connection");
            let body: Value = response.json().await.expect("JSON");
            assert!(body["data"]["reportCase"]["case"].is_null(), "{body:#}");
            match code {
                Some(code) => assert_eq!(user_error(&body), Some(code), "{body:#}"),
                None => assert_eq!(
                    body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                    "{body:#}"
                ),
            }
        }
        // Photos go with one operation, not a batch.
        let (status, _) = multipart_batch(&server, &worker, report.clone()).await;
        assert_eq!(status, 400);
        // Seven photos are one too many; a file over 5 MiB is refused.
        let seven = vec![("p.png", "image/png", PNG); 7];
        let (status, body) =
            multipart(&server, Some(&worker), REPORT, report.clone(), &seven).await;
        assert!(
            status == 400 || user_error(&body) == Some("INVALID"),
            "{status} {body:#}"
        );
        let mut large = PNG.to_vec();
        large.resize(5 * 1024 * 1024 + 1, 0);
        let (status, body) = multipart(
            &server,
            Some(&worker),
            REPORT,
            report.clone(),
            &[("big.png", "image/png", &large)],
        )
        .await;
        // Over 5 MiB it would be read as it arrives, as a registry's file
        // is; a photo refuses that.
        assert_eq!(status, 200, "{body:#}");
        assert_eq!(user_error(&body), Some("INVALID"), "{body:#}");
        assert_eq!(
            user_error_field(&body).as_deref(),
            Some("input.photos"),
            "{body:#}"
        );

        // A photo is evidence as good as a URL: fixed on the spot with a
        // note and a photo (another picture: the same one sent again is
        // kept once), and nothing else.
        let after = [PNG, b"after".as_slice()].concat();
        let input = json!({"id": case["id"], "version": case["version"],
            "transition": "RESOLVE_ON_SPOT", "note": "已临时加盖。"});
        let (status, body) = multipart(
            &server,
            Some(&worker),
            MOVE,
            input,
            &[("after.png", "image/png", &after)],
        )
        .await;
        assert_eq!(status, 200, "{body:#}");
        let moved = &body["data"]["moveCase"]["case"];
        assert_eq!(moved["state"], "CHECKED", "{body:#}");
        let steps: Vec<&str> = moved["photos"]
            .as_array()
            .expect("photos")
            .iter()
            .filter_map(|photo| photo["step"].as_str())
            .collect();
        assert_eq!(steps, ["report", "resolve_on_spot"]);
        // The timeline shows each photo beside the step it came with.
        let timeline: Vec<(String, usize)> = moved["timeline"]["nodes"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|step| {
                (
                    step["action"].as_str().unwrap_or("report").to_owned(),
                    step["photos"].as_array().map_or(0, Vec::len),
                )
            })
            .collect();
        assert_eq!(
            timeline,
            [("report".to_owned(), 1), ("RESOLVE_ON_SPOT".to_owned(), 1)]
        );
        server
    })
    .await;
}

/// graphql-ws runs mutations too, with no multipart reader in front: a file
/// marker that names no file is a user error there, not a dropped
/// connection.
#[tokio::test]
async fn a_marker_without_its_file_is_refused_over_graphql_ws() {
    on_each_backend(|server| async move {
        let worker = server.token_for(&format!("worker-{GRID}")).await;
        let input = json!({"title": "井盖缺失", "description": "x", "gridCode": GRID,
            "location": "x", "photos": ["#__graphql_file__:0"]});
        let mut live = server
            .try_subscribe(&worker, REPORT, json!({"input": input}))
            .await
            .expect("a connection");
        let data = live
            .next(std::time::Duration::from_secs(10))
            .await
            .expect("an answer on the open connection");
        assert!(data["reportCase"]["case"].is_null(), "{data:#}");
        assert_eq!(
            data["reportCase"]["userErrors"][0]["code"], "INVALID",
            "{data:#}"
        );
        server
    })
    .await;
}
