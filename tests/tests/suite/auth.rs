//! Who is calling: sign-in, refresh rotation, sign-out, bad tokens, `me`,
//! and scoped API tokens — all over HTTP, on each backend.

use gridgov::auth::jwt::JwtKeys;
use gridgov_tests::{
    DEMO_PASSWORD, TestServer, department_id, error_code, on_each_backend, user_error,
    user_error_field,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { session { accessToken refreshToken expiresIn tokenType } } }";
const REFRESH: &str = "mutation($t: String!) { refresh(input: {refreshToken: $t}) { session { accessToken refreshToken } } }";
const ME: &str = "{ me { via username userKind roles { role area } department { code } tokenScopes tokenAreas } }";
const TEST_SECRET: &[u8] = b"a test secret of at least thirty-two bytes";

#[tokio::test]
async fn users_sign_in_and_learn_who_they_are() {
    on_each_backend(|server| async move {
        let body = server
            .graphql(
                LOGIN,
                json!({"u": "police-420502003001", "p": DEMO_PASSWORD}),
            )
            .await;
        let session = &body["data"]["login"]["session"];
        assert_eq!(session["tokenType"], "Bearer");
        assert_eq!(session["expiresIn"], 900);
        let token = session["accessToken"].as_str().expect("an access token");
        let me = server.with_bearer(token).data(ME, json!({})).await;
        assert_eq!(
            me["me"],
            json!({
                "via": "USER",
                "username": "police-420502003001",
                "userKind": "POLICE",
                "roles": [{"role": "police", "area": "420502003001"}],
                "department": null,
                "tokenScopes": null,
                "tokenAreas": null
            })
        );
        server
    })
    .await;
}

#[tokio::test]
async fn wrong_names_and_passwords_get_the_same_answer() {
    on_each_backend(|server| async move {
        let wrong_password = server
            .graphql(LOGIN, json!({"u": "admin", "p": "not the password"}))
            .await;
        let unknown_user = server
            .graphql(LOGIN, json!({"u": "nobody-at-all", "p": DEMO_PASSWORD}))
            .await;
        assert_eq!(error_code(&wrong_password), Some("UNAUTHENTICATED"));
        assert_eq!(
            wrong_password["errors"][0]["message"],
            unknown_user["errors"][0]["message"]
        );
        assert_eq!(error_code(&unknown_user), Some("UNAUTHENTICATED"));
        server
    })
    .await;
}

#[tokio::test]
async fn a_blank_field_is_the_forms_to_fix_and_no_failed_attempt() {
    on_each_backend(|server| async move {
        let login = "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
            session { accessToken } userErrors { field message code } } }";
        for (username, password, field) in [("  ", DEMO_PASSWORD, "input.username"), ("admin", "", "input.password")] {
            let body = server.graphql(login, json!({"u": username, "p": password})).await;
            assert_eq!(error_code(&body), None, "{body}");
            assert_eq!(user_error(&body), Some("REQUIRED"), "{body}");
            assert_eq!(user_error_field(&body).as_deref(), Some(field));
            assert_eq!(body["data"]["login"]["session"], Value::Null);
        }
        // Blank passwords are not guesses: however many, the account still
        // signs in at once.
        for _ in 0..12 {
            server.graphql(login, json!({"u": "admin", "p": ""})).await;
        }
        server.as_user("admin").await;
        let body = server
            .graphql(
                "mutation { logout(input: {refreshToken: \" \"}) { signedOut userErrors { field code } } }",
                json!({}),
            )
            .await;
        assert_eq!(user_error(&body), Some("REQUIRED"), "{body}");
        assert_eq!(user_error_field(&body).as_deref(), Some("input.refreshToken"));
        server
    })
    .await;
}

#[tokio::test]
async fn no_data_without_credentials() {
    on_each_backend(|server| async move {
        for query in [
            "{ grids { totalCount } }",
            "{ areas { totalCount } }",
            "{ me { username } }",
            r#"{ grid(code: "420502003001001") { code } }"#,
        ] {
            let body = server.graphql(query, json!({})).await;
            assert_eq!(
                error_code(&body),
                Some("UNAUTHENTICATED"),
                "{query}: {body}"
            );
            assert!(body["data"].is_null(), "{query}: {body}");
        }
        server
    })
    .await;
}

#[tokio::test]
async fn every_bad_token_gets_the_same_401() {
    on_each_backend(|server| async move {
        let keys = JwtKeys::hs256(TEST_SECRET).expect("valid secret");
        let (expired, _) = keys.issue("admin", 1, -120).expect("signs");
        let (good, _) = keys.issue("admin", 1, 600).expect("signs");
        let other = JwtKeys::hs256(b"some other secret, also 32 bytes long").expect("valid");
        let (foreign, _) = other.issue("admin", 1, 600).expect("signs");
        let mut tampered = good.clone();
        tampered.pop();
        let mut bodies = Vec::new();
        for header in [
            format!("Bearer {expired}"),
            format!("Bearer {foreign}"),
            format!("Bearer {tampered}"),
            "Bearer garbage".to_owned(),
            "Bearer ggv_not-a-real-token".to_owned(),
            "Basic YWRtaW46Z3JpZGdvdi1kZW1v".to_owned(),
            format!("Bearer {}", "x".repeat(5000)),
        ] {
            let response = server
                .client
                .post(server.url("/graphql"))
                .header("authorization", &header)
                .json(&json!({"query": "{ me { username } }"}))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header:.40}");
            let challenge = response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap_or_default().to_owned());
            assert_eq!(
                challenge.as_deref(),
                Some(r#"Bearer error="invalid_token""#)
            );
            bodies.push(response.text().await.expect("body"));
        }
        assert!(
            bodies.windows(2).all(|pair| pair[0] == pair[1]),
            "{bodies:?}"
        );
        // The same keys' fresh token works: the refusals above were about the tokens.
        let me = server
            .with_bearer(&good)
            .data("{ me { username } }", json!({}))
            .await;
        assert_eq!(me["me"]["username"], "admin");
        server
    })
    .await;
}

async fn login(server: &gridgov_tests::TestServer, username: &str) -> Value {
    server
        .anonymous()
        .data(LOGIN, json!({"u": username, "p": DEMO_PASSWORD}))
        .await["login"]["session"]
        .clone()
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family() {
    on_each_backend(|server| async move {
        let first = login(&server, "worker-420502003001001").await;
        let first_refresh = first["refreshToken"].as_str().expect("refresh token");
        let second = server
            .anonymous()
            .data(REFRESH, json!({"t": first_refresh}))
            .await["refresh"]["session"]
            .clone();
        let second_refresh = second["refreshToken"].as_str().expect("rotated");
        assert_ne!(first_refresh, second_refresh);
        let me = server
            .with_bearer(second["accessToken"].as_str().expect("access"))
            .data("{ me { username } }", json!({}))
            .await;
        assert_eq!(me["me"]["username"], "worker-420502003001001");

        // The first token again: a copy is in use somewhere. Refused, and the
        // family is revoked, so the newest token fails too.
        let reused = server.graphql(REFRESH, json!({"t": first_refresh})).await;
        assert_eq!(error_code(&reused), Some("UNAUTHENTICATED"));
        let after = server.graphql(REFRESH, json!({"t": second_refresh})).await;
        assert_eq!(error_code(&after), Some("UNAUTHENTICATED"));
        server
    })
    .await;
}

#[tokio::test]
async fn of_two_concurrent_refreshes_exactly_one_wins() {
    on_each_backend(|server| async move {
        let session = login(&server, "admin").await;
        let token = session["refreshToken"]
            .as_str()
            .expect("refresh token")
            .to_owned();
        let (a, b) = tokio::join!(
            server.graphql(REFRESH, json!({"t": token})),
            server.graphql(REFRESH, json!({"t": token}))
        );
        let wins = [&a, &b]
            .iter()
            .filter(|body| body["data"]["refresh"]["session"]["accessToken"].is_string())
            .count();
        assert_eq!(wins, 1, "{a}\n{b}");
        server
    })
    .await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    on_each_backend(|server| async move {
        let session = login(&server, "analyst").await;
        let token = session["refreshToken"].as_str().expect("refresh token");
        let out = server
            .anonymous()
            .data(
                "mutation($t: String!) { logout(input: {refreshToken: $t}) { signedOut } }",
                json!({"t": token}),
            )
            .await;
        assert_eq!(out["logout"]["signedOut"], true);
        let body = server.graphql(REFRESH, json!({"t": token})).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
        server
    })
    .await;
}

const ISSUE: &str = "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret apiToken { id prefix scopes areas lastUsedAt revokedAt } userErrors { field message code } } }";

#[tokio::test]
async fn scoped_tokens_are_cut_to_subject_scopes_and_areas_and_revocable() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let issued = admin
            .data(
                ISSUE,
                json!({"input": {
                    "name": "market inspections app",
                    "departmentId": department_id(&admin, "market-420502").await,
                    "scopes": ["area:read"],
                    "areas": ["420502003"],
                    "expiresAt": expires
                }}),
            )
            .await["issueApiToken"]
            .clone();
        let secret = issued["secret"]
            .as_str()
            .expect("secret shown once")
            .to_owned();
        assert!(secret.starts_with("ggv_"));
        assert_eq!(issued["apiToken"]["prefix"].as_str(), Some(&secret[..12]));
        let token = server.with_bearer(&secret);

        let me = token.data(ME, json!({})).await;
        assert_eq!(me["me"]["via"], "TOKEN");
        assert_eq!(me["me"]["department"]["code"], "market-420502");
        assert_eq!(me["me"]["tokenScopes"], json!(["area:read"]));
        assert_eq!(me["me"]["tokenAreas"], json!(["420502003"]));

        // The department may read the map of its district; the token only of one street.
        let grids = token
            .data(
                "{ grids(first: 100) { totalCount edges { node { code } } } }",
                json!({}),
            )
            .await;
        let codes: Vec<&str> = grids["grids"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .filter_map(|e| e["node"]["code"].as_str())
            .collect();
        assert!(!codes.is_empty());
        assert!(
            codes.iter().all(|code| code.starts_with("420502003")),
            "{codes:?}"
        );
        let outside = token
            .data(r#"{ grid(code: "420502001001001") { code } }"#, json!({}))
            .await;
        assert_eq!(outside["grid"], Value::Null);

        // Listed without its secret, with its last use; then revoked at once.
        let listed = admin
            .data(
                "{ apiTokens { totalCount edges { node { id prefix lastUsedAt } } } }",
                json!({}),
            )
            .await;
        let text = listed.to_string();
        assert!(!text.contains(&secret), "the secret is never listed");
        assert!(listed["apiTokens"]["edges"][0]["node"]["lastUsedAt"].is_string());
        let id = issued["apiToken"]["id"].clone();
        let revoked = admin
            .data(
                "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { apiToken { revokedAt } } }",
                json!({"id": id}),
            )
            .await;
        assert!(revoked["revokeApiToken"]["apiToken"]["revokedAt"].is_string());
        let (status, _) = token.post(&json!({"query": "{ me { via } }"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        server
    })
    .await;
}

#[tokio::test]
async fn bad_token_requests_name_their_field_and_only_admins_issue() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let market = department_id(&admin, "market-420502").await;
        let input = |scopes: Value, areas: Value, expires: &str| {
            json!({"input": {"name": "t", "departmentId": market, "scopes": scopes, "areas": areas, "expiresAt": expires}})
        };
        for (variables, field, code) in [
            (input(json!(["cases:read"]), json!(["420502"]), &expires), "scopes", "INVALID"),
            (input(json!(["case:read"]), json!(["4205"]), &expires), "areas", "INVALID"),
            (input(json!(["case:read"]), json!([]), &expires), "areas", "REQUIRED"),
            (input(json!(["case:read"]), json!(["420502"]), "2001-01-01T00:00:00Z"), "expiresAt", "INVALID"),
        ] {
            let body = admin.graphql(ISSUE, variables).await;
            assert_eq!(error_code(&body), None, "{body}");
            assert_eq!(user_error(&body), Some(code), "{body}");
            assert_eq!(user_error_field(&body), Some(format!("input.{field}")), "{body}");
            assert_eq!(body["data"]["issueApiToken"]["secret"], Value::Null, "no secret without a token");
        }
        let worker = server.as_user("worker-420502003001001").await;
        let body = worker.graphql(ISSUE, input(json!(["case:read"]), json!(["420502"]), &expires)).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"));
        let body = worker.graphql("{ apiTokens { totalCount } }", json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"));
        server
    })
    .await;
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_slowed_down() {
    on_each_backend(|server| async move {
        for _ in 0..10 {
            let body = server
                .graphql(LOGIN, json!({"u": "street-420502003", "p": "guess"}))
                .await;
            assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
        }
        // Even the right password waits out the window now.
        let body = server
            .graphql(LOGIN, json!({"u": "street-420502003", "p": DEMO_PASSWORD}))
            .await;
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
        // Other accounts are unaffected.
        let body = server
            .graphql(LOGIN, json!({"u": "street-420502004", "p": DEMO_PASSWORD}))
            .await;
        assert!(
            body["data"]["login"]["session"]["accessToken"].is_string(),
            "{body}"
        );
        server
    })
    .await;
}

/// How sign-ins of one burst ended: wrong password, limited, signed in.
async fn burst(
    clients: &[gridgov_tests::Client<'_>],
    username: &str,
    passwords: &[String],
) -> (usize, usize, usize) {
    let attempts = passwords.iter().enumerate().map(|(index, password)| {
        clients[index % clients.len()].graphql(LOGIN, json!({"u": username, "p": password}))
    });
    let mut outcome = (0, 0, 0);
    for body in futures_util::future::join_all(attempts).await {
        match error_code(&body) {
            Some("UNAUTHENTICATED") => outcome.0 += 1,
            Some("RATE_LIMITED") => outcome.1 += 1,
            None if body["data"]["login"]["session"]["accessToken"].is_string() => outcome.2 += 1,
            _ => panic!("unexpected answer: {body}"),
        }
    }
    outcome
}

#[tokio::test]
async fn the_sign_in_limit_holds_under_any_concurrency_and_across_replicas() {
    on_each_backend(|server| async move {
        let replica = TestServer::start_on(gridgov_tests::TestDatabase::share(&server), |config| {
            config.no_seed = true
        })
        .await;
        let clients = [server.anonymous(), replica.anonymous()];
        // 200 wrong passwords at once, on two replicas: at most ten are checked.
        let wrong: Vec<String> = (0..200).map(|n| format!("guess {n}")).collect();
        let (checked, limited, signed_in) = burst(&clients, "street-420502005", &wrong).await;
        assert!(checked <= 10, "{checked} wrong passwords were checked");
        assert_eq!(checked + limited, 200);
        assert_eq!(signed_in, 0);
        // Whatever the burst left of the window is used up one by one…
        let mut failures = checked;
        loop {
            let body = server
                .graphql(LOGIN, json!({"u": "street-420502005", "p": "guess"}))
                .await;
            match error_code(&body) {
                Some("UNAUTHENTICATED") => failures += 1,
                Some("RATE_LIMITED") => break,
                other => panic!("{other:?}: {body}"),
            }
        }
        assert_eq!(failures, 10, "ten failures in the window, no more");
        // …and then the right password among 50 parallel tries does not get in.
        let mut tries: Vec<String> = (0..49).map(|n| format!("guess {n}")).collect();
        tries.insert(17, DEMO_PASSWORD.to_owned());
        let (checked, limited, signed_in) = burst(&clients, "street-420502005", &tries).await;
        assert_eq!((checked, limited, signed_in), (0, 50, 0));
        replica.stop_keeping_database().await;
        server
    })
    .await;
}

/// A department officer issues its own department a token no wider than
/// its own rights, lists and revokes the tokens it issued, and nothing
/// else.
#[tokio::test]
async fn an_officer_issues_its_department_tokens_narrower_than_itself() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let officer = server.as_user("officer-market-420502").await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
        let market = department_id(&admin, "market-420502").await;
        let other = department_id(&admin, "market-420503").await;
        let input = |department: &String, scopes: Value, areas: Value| {
            json!({"input": {"name": "inspections", "departmentId": department, "scopes": scopes, "areas": areas, "expiresAt": expires}})
        };

        let issued = officer.data(ISSUE, input(&market, json!(["case:read"]), json!(["420502003"]))).await;
        let secret = issued["issueApiToken"]["secret"].as_str().expect("a secret").to_owned();
        let cases = server.with_bearer(&secret).data("{ cases { totalCount } }", json!({})).await;
        assert!(cases["cases"]["totalCount"].as_i64() >= Some(0), "{cases}");

        for (variables, field) in [
            // The officer cannot dispatch, nor read residents.
            (input(&market, json!(["case:dispatch"]), json!(["420502"])), "scopes"),
            (input(&market, json!(["*:*"]), json!(["420502"])), "scopes"),
            (input(&market, json!(["resident:read"]), json!(["420502003"])), "scopes"),
            // Beyond its jurisdiction, or for another department.
            (input(&market, json!(["case:read"]), json!(["420503"])), "areas"),
            (input(&market, json!(["case:read"]), json!(["*"])), "areas"),
            (input(&other, json!(["case:read"]), json!(["420502"])), "departmentId"),
        ] {
            let body = officer.graphql(ISSUE, variables.clone()).await;
            assert_eq!(user_error(&body), Some("INVALID"), "{variables}: {body}");
            assert_eq!(user_error_field(&body), Some(format!("input.{field}")), "{variables}: {body}");
            assert_eq!(body["data"]["issueApiToken"]["secret"], Value::Null);
        }
        let application = json!({"input": {"name": "x", "username": "officer-market-420502", "scopes": ["case:read"], "areas": ["420502"], "expiresAt": expires}});
        let body = officer.graphql(ISSUE, application).await;
        assert_eq!(user_error_field(&body), Some("input.departmentId".to_owned()), "{body}");

        // A role of its own that lapses bounds its tokens' lives.
        let end = chrono::Utc::now() + chrono::Duration::days(2);
        admin.data(
            "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }",
            json!({"input": {"comment": "campaign", "subject": {"kind": "USER", "name": "officer-market-420502"},
                "role": "analyst", "area": "420502", "validUntil": end.to_rfc3339()}}),
        ).await;
        let body = officer.graphql(ISSUE, input(&market, json!(["case:read"]), json!(["420502"]))).await;
        assert_eq!(user_error_field(&body), Some("input.expiresAt".to_owned()), "{body}");

        // It sees and revokes the tokens it issued, not the admin's.
        let by_admin = admin.data(ISSUE, input(&market, json!(["area:read"]), json!(["420502"]))).await["issueApiToken"]["apiToken"]["id"].clone();
        let listed = officer.data("{ apiTokens { totalCount nodes { id } } }", json!({})).await;
        assert_eq!(listed["apiTokens"]["totalCount"], 1, "{listed}");
        let own = listed["apiTokens"]["nodes"][0]["id"].clone();
        // By id it reads back what it lists, and nothing else.
        let node = "query($id: ID!) { node(id: $id) { ... on ApiToken { id } } }";
        let body = officer.data(node, json!({"id": own})).await;
        assert_eq!(body["node"]["id"], own, "{body}");
        let body = officer.data(node, json!({"id": by_admin})).await;
        assert_eq!(body["node"], Value::Null, "{body}");
        let revoke = "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { apiToken { revokedAt } userErrors { code } } }";
        let body = officer.graphql(revoke, json!({"id": by_admin})).await;
        assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body}");
        let body = officer.data(revoke, json!({"id": own})).await;
        assert!(body["revokeApiToken"]["apiToken"]["revokedAt"].is_string(), "{body}");
        let body = server.with_bearer(&secret).graphql("{ cases { totalCount } }", json!({})).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
        server
    })
    .await;
}

#[tokio::test]
async fn the_throttle_keeps_no_name_typed_at_sign_in() {
    on_each_backend(|server| async move {
        // A password typed into the name field, and a real name mistyped.
        for (name, password) in [("Tr0ub4dor&3-secret", "x"), ("admin", "wrong")] {
            let body = server
                .graphql(LOGIN, json!({"u": name, "p": password}))
                .await;
            assert!(body["data"]["login"]["session"].is_null(), "{body}");
        }
        use sea_orm::EntityTrait;
        let db = server.db().await;
        let kept: Vec<String> = entities::sign_in_attempt::Entity::find()
            .all(&db)
            .await
            .expect("attempts")
            .into_iter()
            .map(|attempt| attempt.username)
            .collect();
        db.close().await.expect("close");
        assert_eq!(kept.len(), 2, "both failures count: {kept:?}");
        for name in &kept {
            assert!(
                name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()),
                "a keyed hash, not {name}"
            );
        }
        assert_ne!(kept[0], kept[1]);
        server
    })
    .await;
}
