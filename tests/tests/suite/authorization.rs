//! The authorizer through the API: lists agree with `check` row by row for
//! random callers, scopes stop at level boundaries, policy edits are
//! validated, audited and reach every replica within a second.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use gridgov::auth::{api_tokens, policy_history, policy_store};
use gridgov::domain::within::in_scope;
use gridgov_tests::{
    Client, Draw, TestServer, by_department_id, error_code, on_each_backend, user_error,
    user_error_field, user_message,
};
use policies::{Action, Object, Principal};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde_json::{Value, json};

/// Every code a list returns, walking all its pages.
async fn walk(client: &Client<'_>, field: &str) -> BTreeSet<String> {
    gridgov_tests::walk(client, "", field, "code")
        .await
        .iter()
        .map(|node| node["code"].as_str().expect("code").to_owned())
        .collect()
}

async fn codes_of(server: &TestServer, table: &str) -> Vec<String> {
    let db = server.db().await;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT code FROM {table} ORDER BY code"),
        ))
        .await
        .expect("codes");
    rows.iter()
        .map(|row| row.try_get::<String>("", "code").expect("code"))
        .collect()
}

#[tokio::test]
async fn lists_agree_with_check_for_random_callers() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let grid_codes = codes_of(&server, "grids").await;
        let area_codes = codes_of(&server, "areas").await;
        let mut all_codes = grid_codes.clone();
        all_codes.extend(area_codes.iter().cloned());
        let mut draw = Draw(20_261_126);

        // Beyond the demo accounts' own roles: a deny carved out of some
        // callers' areas, and extra roles in random places.
        admin
            .data(
                r#"mutation { addPolicy(input: {comment: "test", role: "no_map", object: "area", action: "read", effect: DENY}) { policy { id } } }"#,
                json!({}),
            )
            .await;
        let mut usernames = vec![
            "admin".to_owned(),
            "analyst".to_owned(),
            "auditor".to_owned(),
            "district-420503".to_owned(),
            "street-420502003".to_owned(),
            "community-420502003001".to_owned(),
            "worker-420502003001001".to_owned(),
            "police-420502003001".to_owned(),
            "officer-market-420502".to_owned(),
        ];
        for _ in 0..4 {
            let grid = &grid_codes[draw.below(grid_codes.len())];
            usernames.push(format!("worker-{grid}"));
        }
        for (index, username) in usernames.clone().iter().enumerate().skip(3) {
            if draw.below(2) == 0 {
                let all = &all_codes[draw.below(all_codes.len())];
                let role = ["no_map", "grid_worker", "police", "area_manager"][draw.below(4)];
                admin
                    .data(
                        "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }",
                        json!({"input": {"comment": "test", "subject": gridgov_tests::subject(&format!("user:{username}")), "role": role, "area": all}}),
                    )
                    .await;
            }
            // Carve a deny out of the caller's own area now and then.
            if index % 3 == 0 {
                let code = username.rsplit('-').next().unwrap_or_default();
                if code.len() >= 9 {
                    let inner = grid_codes.iter().find(|g| g.starts_with(code)).cloned().unwrap_or_default();
                    admin
                        .data(
                            "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }",
                            json!({"input": {"comment": "test", "subject": gridgov_tests::subject(&format!("user:{username}")), "role": "no_map", "area": inner}}),
                        )
                        .await;
                }
            }
        }

        // Scoped tokens: for departments and for applications, with and without area:read.
        let expires = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
        let mut secrets = Vec::new();
        for (subject, scopes, areas) in [
            (json!({"departmentCode": "police-420502"}), json!(["area:read", "case:read"]), json!(["420502003"])),
            (json!({"departmentCode": "urban-management-420503"}), json!(["*:read"]), json!(["*"])),
            (json!({"username": "street-420502003"}), json!(["area:*"]), json!(["420502003001", "420503"])),
            (json!({"username": "community-420502003001"}), json!(["case:read"]), json!(["*"])),
        ] {
            let mut input = json!({"name": "property test", "scopes": scopes, "areas": areas, "expiresAt": expires});
            for (key, value) in subject.as_object().expect("subject") {
                input[key] = value.clone();
            }
            let input = by_department_id(&admin, input).await;
            let issued = admin
                .data("mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }", json!({"input": input}))
                .await;
            secrets.push(issued["issueApiToken"]["secret"].as_str().expect("secret").to_owned());
        }

        let db = server.db().await;
        let authorizer = policy_store::authorizer(&db).await.expect("authorizer from the stored policies");
        let mut callers: Vec<(String, Principal, Client<'_>)> = Vec::new();
        for username in &usernames {
            callers.push((username.clone(), Principal::user(username), server.as_user(username).await));
        }
        for secret in &secrets {
            let caller = api_tokens::authenticate(&db, secret).await.ok().flatten().expect("token authenticates");
            callers.push((caller.name.clone(), caller.principal, server.with_bearer(secret)));
        }

        let mut nonempty = 0;
        for (name, principal, client) in &callers {
            let grids = walk(client, "grids").await;
            let areas = walk(client, "areas").await;
            for code in &grid_codes {
                let allowed = authorizer.check_code(principal, code, Object::Area, Action::Read);
                assert_eq!(grids.contains(code), allowed, "{name}: grid {code} listed vs check");
            }
            for code in &area_codes {
                let allowed = authorizer.check_code(principal, code, Object::Area, Action::Read);
                assert_eq!(areas.contains(code), allowed, "{name}: area {code} listed vs check");
            }
            nonempty += usize::from(!grids.is_empty());

            // The same scope as SQL over residents: rows selected ⇔ rows checked.
            let scope = authorizer.scope(principal, Object::Resident, Action::Read);
            let selected: BTreeSet<i64> = entities::resident::Entity::find()
                .select_only()
                .column(entities::resident::Column::Id)
                .filter(in_scope(entities::resident::Column::GridCode, &scope))
                .into_tuple::<i64>()
                .all(&db)
                .await
                .expect("residents in scope")
                .into_iter()
                .collect();
            let everyone: Vec<(i64, String)> = entities::resident::Entity::find()
                .select_only()
                .column(entities::resident::Column::Id)
                .column(entities::resident::Column::GridCode)
                .into_tuple()
                .all(&db)
                .await
                .expect("all residents");
            for (id, grid) in everyone {
                let allowed = authorizer.check_code(principal, &grid, Object::Resident, Action::Read);
                assert_eq!(selected.contains(&id), allowed, "{name}: resident {id} in {grid}");
            }
        }
        assert!(nonempty >= 8, "most callers see something: {nonempty}");
        db.close().await.expect("close");
        server
    })
    .await;
}

#[tokio::test]
async fn a_grid_scope_does_not_reach_the_grid_its_code_prefixes() {
    on_each_backend(|server| async move {
        let worker = server.as_user("worker-420502003001001").await;
        let data = worker
            .data(
                r#"{ grids { totalCount edges { node { code } } }
                     mine: grid(code: "420502003001001") { code }
                     tenth: grid(code: "420502003001010") { code }
                     community: area(code: "420502003001") { code }
                     inside: grids(filter: {within: "420502003001"}) { totalCount } }"#,
                json!({}),
            )
            .await;
        assert_eq!(data["grids"]["totalCount"], 1);
        assert_eq!(data["grids"]["edges"][0]["node"]["code"], "420502003001001");
        assert_eq!(data["mine"]["code"], "420502003001001");
        assert_eq!(data["tenth"], Value::Null);
        assert_eq!(data["community"], Value::Null);
        assert_eq!(data["inside"]["totalCount"], 1);
        server
    })
    .await;
}

#[tokio::test]
async fn a_forbidden_id_looks_like_a_missing_one() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let ids = admin
            .data(r#"{ grid(code: "420503001001001") { id } }"#, json!({}))
            .await;
        let worker = server.as_user("worker-420502003001001").await;
        let query = "query($id: ID!) { node(id: $id) { id } }";
        let forbidden = worker
            .graphql(query, json!({"id": ids["grid"]["id"]}))
            .await;
        let missing = worker
            .graphql(query, json!({"id": "R3JpZDo5OTk5OTk5OTk5OTk5OTk"}))
            .await;
        assert_eq!(forbidden, missing);
        assert_eq!(forbidden["data"]["node"], Value::Null);
        server
    })
    .await;
}

const ASSIGN: &str = "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id subject { kind name } role area } userErrors { field message code } } }";
const ADD_POLICY: &str = "mutation($input: PolicyInput!) { addPolicy(input: $input) { policy { id role object action effect } userErrors { field message code } } }";

#[tokio::test]
async fn policy_edits_are_validated_and_name_the_field() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let assign = |subject: &str, role: &str, area: &str| json!({"input": {"comment": "test", "subject": gridgov_tests::subject(subject), "role": role, "area": area}});
        for (variables, field, code) in [
            (assign("user:worker-420502003001001", "no_such_role", "420502003001001"), "role", "INVALID"),
            (assign("user:worker-420502003001001", "Grid Worker", "420502003001001"), "role", "INVALID"),
            (assign("user:nobody", "grid_worker", "420502003001001"), "subject.name", "NOT_FOUND"),
            (assign("user:a,b", "grid_worker", "420502003001001"), "subject.name", "INVALID"),
            (assign("dept:nobody", "grid_worker", "420502003001001"), "subject.name", "NOT_FOUND"),
            (assign("user:worker-420502003001001", "grid_worker", "42050200300101"), "area", "INVALID"),
            (assign("user:worker-420502003001001", "grid_worker", "420599"), "area", "NOT_FOUND"),
            (assign("user:worker-420502003001001", "grid_worker", "西陵区"), "area", "INVALID"),
        ] {
            let body = admin.graphql(ASSIGN, variables.clone()).await;
            assert_eq!(user_error(&body), Some(code), "{variables}: {body}");
            assert_eq!(user_error_field(&body), Some(format!("input.{field}")), "{variables}: {body}");
        }
        let policy = |role: &str, object: &str, action: &str| json!({"input": {"comment": "test", "role": role, "object": object, "action": action}});
        for (variables, field) in [
            (policy("grid_worker", "residents", "read"), "object"),
            (policy("grid_worker", "resident", "erase"), "action"),
            (policy("grid_worker, admin", "resident", "read"), "role"),
        ] {
            let body = admin.graphql(ADD_POLICY, variables.clone()).await;
            assert_eq!(user_error(&body), Some("INVALID"), "{variables}: {body}");
            assert_eq!(user_error_field(&body), Some(format!("input.{field}")), "{variables}: {body}");
        }
        let duplicate = admin.graphql(ADD_POLICY, policy("grid_worker", "resident", "read")).await;
        assert_eq!(user_error(&duplicate), Some("TAKEN"), "{duplicate}");
        let worker = server.as_user("worker-420502003001001").await;
        let body = worker.graphql(ADD_POLICY, policy("grid_worker", "case", "dispatch")).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"));
        server
    })
    .await;
}

#[tokio::test]
async fn an_edit_is_audited_and_enforced_at_once_and_by_another_replica_within_a_second() {
    on_each_backend(|server| async move {
        // A second replica on the same database.
        let replica_db = gridgov_tests::TestDatabase::share(&server);
        let replica = TestServer::start_on(replica_db, |config| config.no_seed = true).await;
        let admin = server.as_user("admin").await;
        let worker_here = server.as_user("worker-420502003001001").await;
        let worker_there = replica.as_user("worker-420502003001001").await;
        let count = "{ grids { totalCount } }";
        assert_eq!(worker_there.data(count, json!({})).await["grids"]["totalCount"], 1);

        admin
            .data(
                ASSIGN,
                json!({"input": {"comment": "test", "subject": gridgov_tests::subject("user:worker-420502003001001"), "role": "grid_worker", "area": "420502003002"}}),
            )
            .await;
        let here = worker_here.data(count, json!({})).await["grids"]["totalCount"].as_u64();
        assert!(here > Some(1), "the editing replica enforces at once: {here:?}");

        let started = Instant::now();
        loop {
            let there = worker_there.data(count, json!({})).await["grids"]["totalCount"].as_u64();
            if there == here {
                break;
            }
            assert!(started.elapsed() < Duration::from_millis(1500), "the other replica caught up within a second");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let db = server.db().await;
        let audited = entities::audit_log::Entity::find()
            .filter(entities::audit_log::Column::Action.eq("role.assign"))
            .all(&db)
            .await
            .expect("audit rows");
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].actor_name, "admin");
        assert_eq!(audited[0].area_code.as_deref(), Some("420502003002"));
        db.close().await.expect("close");

        // And back: revoking is enforced the same way.
        admin
            .data(
                "mutation($input: RoleAssignmentInput!) { revokeRole(input: $input) { roleAssignment { id } } }",
                json!({"input": {"comment": "test", "subject": gridgov_tests::subject("user:worker-420502003001001"), "role": "grid_worker", "area": "420502003002"}}),
            )
            .await;
        assert_eq!(worker_here.data(count, json!({})).await["grids"]["totalCount"], 1);
        replica.stop_keeping_database().await;
        server
    })
    .await;
}

/// Cover that ends by itself: an assignment with a window takes effect at
/// `validFrom` and lapses at `validUntil` on both replicas within a
/// second, is listed with its window meanwhile, and at its lapse is removed
/// once (whichever replica gets there) with an audit row.
#[tokio::test]
async fn cover_takes_effect_and_lapses_on_time_on_every_replica() {
    on_each_backend(|server| async move {
        let replica_db = gridgov_tests::TestDatabase::share(&server);
        let replica = TestServer::start_on(replica_db, |config| config.no_seed = true).await;
        let admin = server.as_user("admin").await;
        let worker = "user:worker-420502003001001";
        let workers = [
            server.as_user("worker-420502003001001").await,
            replica.as_user("worker-420502003001001").await,
        ];
        let count = "{ grids { totalCount } }";
        let grids = |data: Value| data["grids"]["totalCount"].as_u64().expect("a count");
        let assign = "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) {
            roleAssignment { id area validFrom validUntil } userErrors { code field } } }";

        // Windows that have closed, or close before they open, are refused.
        let now = chrono::Utc::now();
        for (from, until) in [
            (None, now - chrono::Duration::seconds(1)),
            (Some(now + chrono::Duration::seconds(5)), now + chrono::Duration::seconds(4)),
        ] {
            let refused = admin
                .graphql(assign, json!({"input": {"comment": "test", "subject": gridgov_tests::subject(worker), "role": "grid_worker",
                    "area": "420502003002", "validFrom": from.map(|at| at.to_rfc3339()), "validUntil": until.to_rfc3339()}}))
                .await;
            assert_eq!(user_error(&refused), Some("INVALID"), "{refused}");
            assert_eq!(user_error_field(&refused).as_deref(), Some("input.validUntil"), "{refused}");
        }

        let from = chrono::Utc::now() + chrono::Duration::seconds(3);
        let until = from + chrono::Duration::seconds(3);
        let made = admin
            .data(assign, json!({"input": {"comment": "test", "subject": gridgov_tests::subject(worker), "role": "grid_worker",
                "area": "420502003002", "validFrom": from.to_rfc3339(), "validUntil": until.to_rfc3339()}}))
            .await;
        let assignment = &made["assignRole"]["roleAssignment"];
        assert!(assignment["validUntil"].as_str().is_some_and(|at| at.starts_with(&until.format("%Y-%m-%dT%H:%M:%S").to_string())), "{made}");
        for worker in &workers {
            assert_eq!(grids(worker.data(count, json!({})).await), 1, "not in force before validFrom");
        }
        let listed = admin
            .data("query($s: RoleSubjectInput!) { roleAssignments(filter: {subject: $s}) { nodes { area validFrom validUntil } } }",
                json!({"s": gridgov_tests::subject(worker)}))
            .await;
        assert!(listed["roleAssignments"]["nodes"].as_array().expect("nodes").iter()
            .any(|row| row["area"] == "420502003002" && row["validUntil"] == assignment["validUntil"]), "{listed}");

        // In force from `from`, on both replicas, within a second.
        for (n, worker) in workers.iter().enumerate() {
            loop {
                let seen = grids(worker.data(count, json!({})).await);
                if seen > 1 {
                    assert!(chrono::Utc::now() >= from, "replica {n}: in force only from validFrom");
                    break;
                }
                assert!(chrono::Utc::now() < from + chrono::Duration::milliseconds(1500), "replica {n}: in force within a second of validFrom");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        // Lapsed at `until`, on both, within a second.
        for (n, worker) in workers.iter().enumerate() {
            loop {
                let seen = grids(worker.data(count, json!({})).await);
                if seen == 1 {
                    assert!(chrono::Utc::now() >= until, "replica {n}: lapsed only at validUntil");
                    break;
                }
                assert!(chrono::Utc::now() < until + chrono::Duration::milliseconds(1500), "replica {n}: lapsed within a second of validUntil");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        // Removed once, audited once, whichever replica got there first:
        // wait until both enforce the version the removal made, and a tick
        // more, so that a second removal would have shown.
        let db = server.db().await;
        let started = Instant::now();
        let version = "{ policyState { version } }";
        loop {
            let removed = entities::casbin_rule::Entity::find()
                .filter(entities::casbin_rule::Column::ValidUntil.is_not_null())
                .count(&db)
                .await
                .expect("rules")
                == 0;
            let here = admin.data(version, json!({})).await["policyState"]["version"].clone();
            let replica_admin = replica.as_user("admin").await;
            let there = replica_admin.data(version, json!({})).await["policyState"]["version"].clone();
            if removed && here == there {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(5), "the lapsed rule is removed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let lapses = entities::audit_log::Entity::find()
            .filter(entities::audit_log::Column::Action.eq("role.lapse"))
            .all(&db)
            .await
            .expect("audit rows");
        assert_eq!(lapses.len(), 1, "{lapses:?}");
        assert_eq!(lapses[0].area_code.as_deref(), Some("420502003002"));
        // The lapse is a version of its own in the history.
        let newest = admin
            .data("{ policyHistory(first: 1) { nodes { kind actor changeCount changes { nodes { op role area validUntil } } } } }", json!({}))
            .await["policyHistory"]["nodes"][0]
            .clone();
        assert_eq!(newest["kind"], "LAPSE", "{newest}");
        assert_eq!(newest["actor"], "system");
        assert_eq!(newest["changeCount"], 1);
        assert_eq!(newest["changes"]["nodes"][0]["op"], "REMOVE");
        assert_eq!(newest["changes"]["nodes"][0]["area"], "420502003002");
        assert!(newest["changes"]["nodes"][0]["validUntil"].is_string(), "{newest}");
        db.close().await.expect("close");
        replica.stop_keeping_database().await;
        server
    })
    .await;
}

/// A policy with a window lapses like an assignment; one that lapsed while
/// no server ran is removed, audited, when the next one starts, before it
/// answers anything.
#[tokio::test]
async fn a_lapse_missed_while_stopped_is_removed_at_the_next_start() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let until = chrono::Utc::now() + chrono::Duration::seconds(2);
        let added = admin
            .data(
                "mutation($input: PolicyInput!) { addPolicy(input: $input) { policy { validUntil } } }",
                json!({"input": {"comment": "test", "role": "campaign_viewer", "object": "statistics", "action": "read", "validUntil": until.to_rfc3339()}}),
            )
            .await;
        assert!(added["addPolicy"]["policy"]["validUntil"].is_string(), "{added}");
        drop(admin);
        let db = server.db().await;
        // Stopped before the lapse, started after it.
        let pause = (until - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(300);
        let server = server.restart(pause, |config| config.no_seed = true).await;
        let stored = entities::casbin_rule::Entity::find()
            .filter(entities::casbin_rule::Column::ValidUntil.is_not_null())
            .count(&db)
            .await
            .expect("rules");
        assert_eq!(stored, 0, "removed at start");
        let lapses = entities::audit_log::Entity::find()
            .filter(entities::audit_log::Column::Action.eq("policy.lapse"))
            .all(&db)
            .await
            .expect("audit rows");
        assert_eq!(lapses.len(), 1, "{lapses:?}");
        assert_eq!(lapses[0].actor_name, "system");
        db.close().await.expect("close");
        server
    })
    .await;
}

#[tokio::test]
async fn a_stored_rule_with_an_unknown_effect_grants_nothing() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        db.execute_unprepared(
            "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ('p', 'grid_worker', 'area', 'read', 'maybe', '', ''), \
             ('g', 'user:worker-420502003001001', 'admin', '*', '', '', ''), ('g', 'user:analyst', 'admin', '*', 'extra', '', '')",
        )
        .await
        .expect("rows written behind the API's back");
        // The unknown effect is harmless by itself; the second row is valid and
        // would make the worker an admin, so remove it again: only the third,
        // with a stray field, must be ignored.
        db.execute_unprepared("DELETE FROM casbin_rule WHERE v0 = 'user:worker-420502003001001' AND v1 = 'admin'")
            .await
            .expect("delete");
        let note = policy_history::Note {
            kind: entities::policy_version::VersionKind::Edit,
            actor: "test",
            comment: "rows written behind the API's back",
            rolled_back_to: None,
        };
        policy_history::record(&db, note, &[]).await.expect("bump");
        let authorizer = policy_store::authorizer(&db).await.expect("loads, skipping bad rows");
        let analyst = Principal::user("analyst");
        assert!(!authorizer.check_code(&analyst, "420502003001001", Object::Resident, Action::Read));
        let worker = Principal::user("worker-420502003001001");
        assert!(authorizer.check_code(&worker, "420502003001001", Object::Area, Action::Read));
        assert!(!authorizer.check_code(&worker, "420502003001002", Object::Area, Action::Read));
        let listed = server
            .as_user("admin")
            .await
            .data(r#"{ policies(filter: {role: "grid_worker"}, first: 100) { edges { node { effect } } } }"#, json!({}))
            .await;
        assert!(!listed.to_string().contains("maybe"));
        db.close().await.expect("close");
        server
    })
    .await;
}

#[tokio::test]
async fn query_limits_answer_with_query_too_complex() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let aliases: String = (0..31).map(|i| format!("a{i}: areas(first: 1) {{ totalCount }} ")).collect();
        let body = admin.graphql(&format!("{{ {aliases} }}"), json!({})).await;
        assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");

        let roots: String = (0..21).map(|i| format!("g{i}: grid(code: \"420502003001001\") {{ code }} ")).collect();
        let body = admin.graphql(&format!("{{ {roots} }}"), json!({})).await;
        assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");

        let mut deep = String::from("code");
        for _ in 0..14 {
            deep = format!("parent {{ {deep} }}");
        }
        let body = admin.graphql(&format!("{{ area(code: \"420502003001\") {{ {deep} }} }}"), json!({})).await;
        assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");

        let body = admin
            .graphql("{ areas(first: 100) { edges { node { grids(first: 100) { edges { node { code } } } } } } }", json!({}))
            .await;
        assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");

        // A validation kept for a document is not one for other values:
        // the page sizes are variables here, passed twice (kept), then
        // over the cost.
        let nested = "query($a: Int, $g: Int) { areas(first: $a) { edges { node { grids(first: $g) { edges { node { code } } } } } } }";
        for _ in 0..2 {
            let body = admin.graphql(nested, json!({"a": 2, "g": 2})).await;
            assert!(body.get("errors").is_none(), "{body}");
        }
        let body = admin.graphql(nested, json!({"a": 100, "g": 100})).await;
        assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
        let body = admin.graphql(nested, json!({"a": "two", "g": 2})).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");

        // Batches: up to ten operations.
        let batch: Vec<Value> = (0..11).map(|_| json!({"query": "{ me { username } }"})).collect();
        let (status, body) = admin.post(&Value::Array(batch)).await;
        assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
        assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"));
        let batch: Vec<Value> = (0..2).map(|_| json!({"query": "{ me { username } }"})).collect();
        let (status, body) = admin.post(&Value::Array(batch)).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        assert_eq!(body[1]["data"]["me"]["username"], "admin");

        // No field suggestions to map the schema with.
        let body = admin.graphql("{ gridz { totalCount } }", json!({})).await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(!message.contains("Did you mean"), "{message}");
        server
    })
    .await;
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let database = gridgov_tests::TestDatabase::create(gridgov_tests::Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let server = TestServer::start_on(database, |config| config.limits.introspection = false).await;
    let admin = server.as_user("admin").await;
    let body = admin
        .graphql(
            "{ __schema { queryType { name } } __type(name: \"Area\") { name } }",
            json!({}),
        )
        .await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    assert!(body["data"]["__type"].is_null(), "{body}");
    assert!(!body.to_string().contains("\"Query\""), "{body}");
    server.stop().await;
}

const EXPLAIN: &str = "query($subject: RoleSubjectInput, $object: String!, $area: String!) {
    explainAccess(subject: $subject, object: $object, action: \"read\", area: $area) {
        subject { kind name } allowed
        rules { role heldIn object action effect }
        token { scopesAllow areasCover }
        scope { everywhere within except condition } } }";

/// "Why can't I see this grid?", asked by a worker about itself, and by the
/// admin about a street manager kept out of one grid by a deny: the
/// decision, the rules that made it, and the SQL condition of the lists.
/// About anyone else only the admin may ask.
#[tokio::test]
async fn explain_access_says_why_and_only_admins_ask_about_others() {
    on_each_backend(|server| async move {
        let (own, next) = ("420502003001001", "420502003001002");
        let worker = server.as_user(&format!("worker-{own}")).await;
        let ask = |object: &str, area: &str, subject: Value| {
            json!({"object": object, "area": area, "subject": subject})
        };
        let mine = worker.data(EXPLAIN, ask("resident", own, Value::Null)).await["explainAccess"].clone();
        assert_eq!(mine["allowed"], true);
        assert_eq!(mine["subject"], json!({"kind": "USER", "name": format!("worker-{own}")}));
        assert!(
            mine["rules"].as_array().expect("rules").iter().any(|rule| rule["role"] == "grid_worker"
                && rule["heldIn"] == own
                && rule["effect"] == "ALLOW"),
            "{mine}"
        );
        assert_eq!(mine["scope"]["within"], json!([own]));
        assert!(mine["scope"]["condition"].as_str().is_some_and(|sql| sql.contains(own)), "{mine}");
        assert!(mine["token"].is_null());
        let neighbour = worker.data(EXPLAIN, ask("resident", next, Value::Null)).await["explainAccess"].clone();
        assert_eq!(neighbour["allowed"], false);
        assert_eq!(neighbour["rules"], json!([]), "no role of the worker reaches the next grid");

        // About someone else: the admin only, and the answer never says
        // whether that someone exists.
        for subject in ["user:admin", "user:nobody-at-all"] {
            let refused = worker
                .graphql(EXPLAIN, ask("resident", own, gridgov_tests::subject(subject)))
                .await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
        }
        let itself = worker
            .data(EXPLAIN, ask("resident", own, gridgov_tests::subject(&format!("user:worker-{own}"))))
            .await;
        assert_eq!(itself["explainAccess"]["allowed"], true);
        let unknown = worker.graphql(EXPLAIN, ask("residents", own, Value::Null)).await;
        assert_eq!(error_code(&unknown), Some("BAD_USER_INPUT"), "{unknown}");

        // A deny inside a wider allow, explained to the admin.
        let admin = server.as_user("admin").await;
        admin
            .data(
                r#"mutation { addPolicy(input: {comment: "test", role: "no_resident", object: "resident", action: "read", effect: DENY}) { policy { id } } }"#,
                json!({}),
            )
            .await;
        let street = "user:street-420502003";
        admin
            .data(
                "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }",
                json!({"input": {"comment": "test", "subject": gridgov_tests::subject(street), "role": "no_resident", "area": next}}),
            )
            .await;
        let denied = admin.data(EXPLAIN, ask("resident", next, gridgov_tests::subject(street))).await["explainAccess"].clone();
        assert_eq!(denied["allowed"], false, "{denied}");
        let effects: BTreeSet<String> = denied["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|rule| format!("{}@{} {}", rule["role"].as_str().unwrap_or_default(), rule["heldIn"].as_str().unwrap_or_default(), rule["effect"].as_str().unwrap_or_default()))
            .collect();
        assert!(effects.contains("area_manager@420502003 ALLOW"), "{effects:?}");
        assert!(effects.contains(&format!("no_resident@{next} DENY")), "{effects:?}");
        assert_eq!(denied["scope"]["within"], json!(["420502003"]));
        assert_eq!(denied["scope"]["except"], json!([next]));
        let condition = denied["scope"]["condition"].as_str().expect("condition");
        assert!(condition.contains("NOT") && condition.contains(next), "{condition}");
        let beside = admin.data(EXPLAIN, ask("resident", own, gridgov_tests::subject(street))).await;
        assert_eq!(beside["explainAccess"]["allowed"], true);

        // A token narrower than its subject says where it stops.
        let issued = admin
            .data(
                "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }",
                json!({"input": {"name": "cases only", "username": format!("worker-{own}"), "scopes": ["case:read"], "areas": [own],
                       "expiresAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
            )
            .await;
        let token = server.with_bearer(issued["issueApiToken"]["secret"].as_str().expect("secret"));
        let narrowed = token.data(EXPLAIN, ask("resident", own, Value::Null)).await["explainAccess"].clone();
        assert_eq!(narrowed["allowed"], false, "{narrowed}");
        assert_eq!(narrowed["token"], json!({"scopesAllow": false, "areasCover": true}));
        assert_eq!(narrowed["rules"], json!([]), "a narrower token does not show its subject's rights");
        assert_eq!(narrowed["scope"]["within"], json!([]));
        server
    })
    .await;
}

const DRY_RUN: &str = "query($input: PolicyChangesInput!) { dryRunPolicyChange(input: $input) {
    policyVersion subjects rowsTruncated
    changes { subject { kind name } object action
        before { within except } after { within except }
        rows { district gained lost } } } }";

/// The residents each subject would gain and lose, by district, as the
/// rule restated in the test suite says, from the rows in the database.
async fn resident_moves(
    db: &sea_orm::DatabaseConnection,
    (before, after): (&gridgov_tests::model::Rules, &gridgov_tests::model::Rules),
    subject: &str,
) -> Vec<Value> {
    let who = gridgov_tests::model::Who {
        subject: subject.to_owned(),
        token: None,
    };
    let mut by_district: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for row in entities::resident::Entity::find()
        .all(db)
        .await
        .expect("residents")
    {
        let code = Some(row.grid_code.as_str());
        let (was, is) = (
            before.allows(&who, code, "resident", "read"),
            after.allows(&who, code, "resident", "read"),
        );
        let moves = by_district
            .entry(row.grid_code[..6].to_owned())
            .or_default();
        moves.0 += i64::from(is && !was);
        moves.1 += i64::from(was && !is);
    }
    by_district
        .into_iter()
        .filter(|(_, (gained, lost))| *gained != 0 || *lost != 0)
        .map(|(district, (gained, lost))| json!({"district": district, "gained": gained, "lost": lost}))
        .collect()
}

/// A dry run says who would gain or lose what, and how many residents, as
/// the rule restated in the test suite does; and changes nothing.
#[tokio::test]
async fn a_dry_run_tells_what_a_change_would_do_and_does_nothing() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let db = server.db().await;
        let rules = gridgov_tests::model::Rules::load(&db).await;
        let version = admin.data("{ policyState { version } }", json!({})).await["policyState"]["version"].clone();
        let worker = "user:worker-420502003001001";

        // Cover: the worker also takes a community.
        let cover = json!({"assignRoles": [{"subject": gridgov_tests::subject(worker), "role": "grid_worker", "area": "420502003002"}]});
        let run = admin.data(DRY_RUN, json!({"input": cover})).await["dryRunPolicyChange"].clone();
        assert_eq!(run["policyVersion"], version);
        assert_eq!(run["subjects"], 1, "{run}");
        let changes = run["changes"].as_array().expect("changes");
        assert!(changes.iter().all(|c| c["subject"]["name"] == "worker-420502003001001"), "{run}");
        let residents = changes
            .iter()
            .find(|c| c["object"] == "resident" && c["action"] == "read")
            .expect("resident read changes");
        assert_eq!(residents["before"]["within"], json!(["420502003001001"]));
        assert_eq!(residents["after"]["within"], json!(["420502003001001", "420502003002"]));
        let after = rules.with_assignment(worker, "grid_worker", "420502003002");
        let expected = resident_moves(&db, (&rules, &after), worker).await;
        assert!(!expected.is_empty(), "the community has residents");
        assert_eq!(residents["rows"], json!(expected));

        // A new deny role placed on one grid of a street manager's street.
        let street = "user:street-420502003";
        let deny = json!({
            "addPolicies": [{"role": "no_resident", "object": "resident", "action": "read", "effect": "DENY"}],
            "assignRoles": [{"subject": gridgov_tests::subject(street), "role": "no_resident", "area": "420502003001002"}],
        });
        let run = admin.data(DRY_RUN, json!({"input": deny})).await["dryRunPolicyChange"].clone();
        let residents = run["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["subject"]["name"] == "street-420502003" && c["object"] == "resident" && c["action"] == "read")
            .expect("the street manager's residents change")
            .clone();
        assert_eq!(residents["after"]["except"], json!(["420502003001002"]));
        let after = rules
            .with_policy("no_resident", "resident", "read", false)
            .with_assignment(street, "no_resident", "420502003001002");
        let expected = resident_moves(&db, (&rules, &after), street).await;
        assert!(expected.iter().all(|moves| moves["gained"] == 0), "{expected:?}");
        assert_eq!(residents["rows"], json!(expected));
        // Only the street manager holds the new role: nobody else changes.
        assert!(run["changes"].as_array().expect("changes").iter().all(|c| c["subject"]["name"] == "street-420502003"), "{run}");

        // Taking the worker's own grid away: its residents are lost.
        let revoke = json!({"revokeRoles": [{"subject": gridgov_tests::subject(worker), "role": "grid_worker", "area": "420502003001001"}]});
        let run = admin.data(DRY_RUN, json!({"input": revoke})).await["dryRunPolicyChange"].clone();
        let residents = run["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["object"] == "resident" && c["action"] == "read")
            .expect("the worker's residents change")
            .clone();
        assert_eq!(residents["after"]["within"], json!([]));
        let all_gone = rules.without_assignment(worker, "grid_worker", "420502003001001");
        let expected = resident_moves(&db, (&rules, &all_gone), worker).await;
        assert!(expected.iter().all(|moves| moves["lost"].as_i64() > Some(0)), "{expected:?}");
        assert_eq!(residents["rows"], json!(expected));

        // Nothing was applied.
        assert_eq!(admin.data("{ policyState { version } }", json!({})).await["policyState"]["version"], version);
        let worker_client = server.as_user("worker-420502003001001").await;
        assert_eq!(worker_client.data("{ grids { totalCount } }", json!({})).await["grids"]["totalCount"], 1);

        // Refused: a rule already in force, and anyone but an admin.
        let existing = json!({"assignRoles": [{"subject": gridgov_tests::subject(worker), "role": "grid_worker", "area": "420502003001001"}]});
        let refused = admin.graphql(DRY_RUN, json!({"input": existing})).await;
        assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
        assert!(refused["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with("assignRoles.0")), "{refused}");
        let nobody = json!({"assignRoles": [{"subject": {"kind": "USER", "name": "nobody-here"}, "role": "grid_worker", "area": "420502003001001"}]});
        let refused = admin.graphql(DRY_RUN, json!({"input": nobody})).await;
        assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
        let refused = worker_client.graphql(DRY_RUN, json!({"input": cover})).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
        db.close().await.expect("close");
        server
    })
    .await;
}

const APPLY: &str = "mutation($input: ApplyPolicyChangeInput!) { applyPolicyChange(input: $input) {
    policyVersion { number kind actor comment changeCount rolledBackTo
        changes { totalCount nodes { op role object action effect subject { kind name } area } } }
    userErrors { field code message } } }";
const ROLLBACK: &str = "mutation($input: RollbackPolicyInput!) { rollbackPolicy(input: $input) {
    policyVersion { number kind comment rolledBackTo changes { nodes { op role area subject { name } } } }
    userErrors { field code message } } }";

/// Every change is a numbered version with who, when and why; a set of
/// edits is one version, refused whole when stale; a rollback restores an
/// earlier version's rules as a new version; only admins see or make any
/// of it.
#[tokio::test]
async fn policy_versions_are_kept_and_rolled_back_as_new_versions() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let worker = server.as_user("worker-420502003001001").await;
        let state = || async { admin.data("{ policyState { version } }", json!({})).await["policyState"]["version"].as_i64().expect("version") };
        let grids = || async { worker.data("{ grids { totalCount } }", json!({})).await["grids"]["totalCount"].as_i64() };
        let cases = || async { worker.data("{ cases { totalCount } }", json!({})).await["cases"]["totalCount"].as_i64() };

        // The history starts with the defaults and the demo city, oldest last.
        let history = admin.data("{ policyHistory(last: 2) { nodes { number kind actor } } }", json!({})).await;
        let oldest = history["policyHistory"]["nodes"].as_array().expect("versions").clone();
        assert_eq!(oldest.iter().map(|v| v["kind"].clone()).collect::<Vec<_>>(), vec![json!("SEED"), json!("DEFAULTS")], "{history}");
        assert_eq!(oldest[1]["actor"], "system");

        // An edit without a reason is refused and makes no version.
        let start = state().await;
        let body = admin
            .graphql("mutation($input: PolicyInput!) { addPolicy(input: $input) { policy { id } userErrors { field code } } }",
                json!({"input": {"role": "no_case", "object": "case", "action": "read", "effect": "DENY", "comment": "  "}}))
            .await;
        assert_eq!(user_error(&body), Some("REQUIRED"), "{body}");
        assert_eq!(user_error_field(&body), Some("input.comment".to_owned()));
        assert_eq!(state().await, start);

        // A set of edits: a deny role for the worker's grid and the worker's
        // own assignment taken away, as one version.
        let (before_grids, before_cases) = (grids().await, cases().await);
        assert!(before_cases > Some(0), "the worker's grid has cases");
        let own = json!({"subject": {"kind": "USER", "name": "worker-420502003001001"}, "role": "grid_worker", "area": "420502003001001"});
        let changes = json!({
            "addPolicies": [{"role": "no_case", "object": "case", "action": "read", "effect": "DENY"}],
            "assignRoles": [{"subject": {"kind": "USER", "name": "worker-420502003001002"}, "role": "no_case", "area": "420502003001002"}],
            "revokeRoles": [own],
        });
        let stale = admin.graphql(APPLY, json!({"input": {"changes": changes, "comment": "x", "version": start - 1}})).await;
        assert_eq!(user_error(&stale), Some("CONFLICT"), "{stale}");
        assert_eq!(user_error_field(&stale), Some("input.version".to_owned()));
        assert_eq!(state().await, start, "a stale set makes nothing");
        let wrong = json!({"revokeRoles": [own, {"subject": {"kind": "USER", "name": "analyst"}, "role": "grid_worker", "area": "420502003001001"}]});
        // Stale is said first, whatever else is wrong with the set.
        let stale = admin.graphql(APPLY, json!({"input": {"changes": wrong, "comment": "x", "version": start - 1}})).await;
        assert_eq!(user_error(&stale), Some("CONFLICT"), "{stale}");
        let refused = admin.graphql(APPLY, json!({"input": {"changes": wrong, "comment": "x"}})).await;
        assert_eq!(user_error(&refused), Some("NOT_FOUND"), "{refused}");
        assert_eq!(user_error_field(&refused), Some("input.changes.revokeRoles.1".to_owned()));
        assert_eq!(grids().await, before_grids, "a refused set is not made in part");

        let made = admin.data(APPLY, json!({"input": {"changes": changes, "comment": "grid 002 on hold", "version": start}})).await;
        let made = &made["applyPolicyChange"]["policyVersion"];
        assert_eq!(made["number"], start + 1, "{made}");
        assert_eq!(made["kind"], "EDIT");
        assert_eq!(made["actor"], "admin");
        assert_eq!(made["comment"], "grid 002 on hold");
        assert_eq!(made["changeCount"], 3);
        // Removals first, then policies, then assignments.
        let shown: Vec<_> = made["changes"]["nodes"].as_array().expect("changes").iter()
            .map(|c| (c["op"].as_str().unwrap_or_default().to_owned(), c["role"].as_str().unwrap_or_default().to_owned(), c["area"].clone()))
            .collect();
        assert_eq!(shown, vec![
            ("REMOVE".to_owned(), "grid_worker".to_owned(), json!("420502003001001")),
            ("ADD".to_owned(), "no_case".to_owned(), Value::Null),
            ("ADD".to_owned(), "no_case".to_owned(), json!("420502003001002")),
        ]);
        assert_eq!(made["changes"]["nodes"][1]["effect"], "DENY");
        assert_eq!(grids().await, Some(0), "the worker lost its grid");
        let by_number = admin.data("query($n: Int!) { policyVersion(number: $n) { comment changeCount } }", json!({"n": start + 1})).await;
        assert_eq!(by_number["policyVersion"], json!({"comment": "grid 002 on hold", "changeCount": 3}));

        // Rolled back: the worker has its grid and cases again, the deny is
        // gone, and the history keeps all three versions.
        let rolled = admin.data(ROLLBACK, json!({"input": {"toVersion": start, "comment": "hold lifted"}})).await;
        let rolled = &rolled["rollbackPolicy"]["policyVersion"];
        assert_eq!(rolled["number"], start + 2, "{rolled}");
        assert_eq!(rolled["kind"], "ROLLBACK");
        assert_eq!(rolled["rolledBackTo"], start);
        assert_eq!(rolled["changes"]["nodes"].as_array().map(Vec::len), Some(3), "{rolled}");
        assert_eq!((grids().await, cases().await), (before_grids, before_cases));
        let denies = admin.data(r#"{ policies(filter: {role: "no_case"}) { totalCount } }"#, json!({})).await;
        assert_eq!(denies["policies"]["totalCount"], 0);
        let newest = admin.data("{ policyHistory(first: 3) { nodes { number } } }", json!({})).await;
        assert_eq!(newest["policyHistory"]["nodes"], json!([{"number": start + 2}, {"number": start + 1}, {"number": start}]));
        let rollbacks = admin.data(r#"{ policyHistory(filter: {kinds: [ROLLBACK], actor: "admin"}) { totalCount nodes { number } } }"#, json!({})).await;
        assert_eq!(rollbacks["policyHistory"], json!({"totalCount": 1, "nodes": [{"number": start + 2}]}));
        let oldest = admin.data("{ policyHistory(first: 1, orderBy: {field: VERSION}) { nodes { kind } } }", json!({})).await;
        assert_eq!(oldest["policyHistory"]["nodes"][0]["kind"], "DEFAULTS");

        // Refused rollbacks: nothing to undo, not before now, past the history, stale.
        for (to, version, field, code) in [
            (start, None, "input.toVersion", "INVALID"),
            (start + 2, None, "input.toVersion", "INVALID"),
            (0, None, "input.toVersion", "NOT_FOUND"),
            (start + 1, Some(start), "input.version", "CONFLICT"),
        ] {
            let body = admin.graphql(ROLLBACK, json!({"input": {"toVersion": to, "comment": "x", "version": version}})).await;
            assert_eq!(user_error(&body), Some(code), "{to}: {body}");
            assert_eq!(user_error_field(&body), Some(field.to_owned()), "{to}: {body}");
        }
        assert_eq!(state().await, start + 2);

        // Only admins: the history is forbidden, a version is null, a rollback refused.
        let body = worker.graphql("{ policyHistory { totalCount } }", json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
        let body = worker.data("query($n: Int!) { policyVersion(number: $n) { number } }", json!({"n": start})).await;
        assert_eq!(body["policyVersion"], Value::Null);
        let body = worker.graphql(ROLLBACK, json!({"input": {"toVersion": start + 1, "comment": "x"}})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
        server
    })
    .await;
}

const ASSIGN_AS: &str = "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) {
    roleAssignment { id area } userErrors { field code message } } }";

/// A role assignment as an input, with its reason.
fn grant(subject: &str, role: &str, area: &str) -> Value {
    json!({"input": {"subject": gridgov_tests::subject(subject), "role": role, "area": area, "comment": "cover"}})
}

/// A community manager makes someone the assistant of one of its grids,
/// not a police officer, not anything in the next community, not a role
/// with a right it lacks there (a deny inside its area is such a lack),
/// and not through a token narrower than itself; it sees and takes back
/// what is inside its area, and the history names it.
#[tokio::test]
async fn a_manager_hands_out_delegable_roles_inside_its_area_only() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let manager = server.as_user("community-420502003001").await;
        let helper = "user:worker-420502003002001";
        let helper_client = server.as_user("worker-420502003002001").await;
        let grids = || async { helper_client.data("{ grids { totalCount } }", json!({})).await["grids"]["totalCount"].as_i64() };
        let before = grids().await;

        let delegable = manager.data("{ delegableRoles { role level } }", json!({})).await;
        assert_eq!(delegable["delegableRoles"], json!([{"role": "grid_assistant", "level": "COMMUNITY"}]));

        let made = manager.data(ASSIGN_AS, grant(helper, "grid_assistant", "420502003001001")).await;
        assert_eq!(made["assignRole"]["roleAssignment"]["area"], "420502003001001", "{made}");
        assert_eq!(grids().await, before.map(|n| n + 1), "the assistant sees the grid");

        // Not in the next community, not a role no admin made delegable.
        let body = manager.graphql(ASSIGN_AS, grant(helper, "grid_assistant", "420502003002002")).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
        let body = manager.graphql(ASSIGN_AS, grant(helper, "police", "420502003001001")).await;
        assert_eq!(user_error(&body), Some("INVALID"), "{body}");
        assert_eq!(user_error_field(&body), Some("input.role".to_owned()));

        // Made delegable, the worker's role is still more than the manager
        // holds (it writes the record).
        admin.data(APPLY, json!({"input": {"comment": "let managers hand out workers",
            "changes": {"addDelegableRoles": [{"role": "grid_worker", "level": "COMMUNITY"}]}}})).await;
        let body = manager.graphql(ASSIGN_AS, grant(helper, "grid_worker", "420502003001001")).await;
        assert_eq!(user_error(&body), Some("INVALID"), "{body}");
        assert!(user_message(&body).contains("write resident"), "{body}");

        // A deny inside the manager's area is a right it lacks there.
        admin.data(APPLY, json!({"input": {"comment": "no reports from grid 002 for now", "changes": {
            "addPolicies": [{"role": "no_report", "object": "case", "action": "report", "effect": "DENY"}],
            "assignRoles": [{"subject": gridgov_tests::subject("user:community-420502003001"), "role": "no_report", "area": "420502003001002"}],
        }}})).await;
        for area in ["420502003001002", "420502003001"] {
            let body = manager.graphql(ASSIGN_AS, grant("user:analyst", "grid_assistant", area)).await;
            assert_eq!(user_error(&body), Some("INVALID"), "{area}: {body}");
            assert!(user_message(&body).contains("report case"), "{body}");
        }

        // Through a token narrower than itself: what the token lacks, the
        // manager cannot hand out.
        let token = admin.data(
            "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }",
            json!({"input": {"name": "roster app", "username": "community-420502003001",
                "scopes": ["policy:delegate", "area:read"], "areas": ["420502003001"],
                "expiresAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
        ).await["issueApiToken"]["secret"].as_str().expect("a secret").to_owned();
        let app = server.with_bearer(&token);
        let body = app.graphql(ASSIGN_AS, grant("user:analyst", "grid_assistant", "420502003001001")).await;
        assert_eq!(user_error(&body), Some("INVALID"), "{body}");

        // The manager lists the assignments inside its community only, and
        // takes back what it gave; the history names it.
        let listed = gridgov_tests::walk(&manager, "", "roleAssignments", "area").await;
        assert!(listed.iter().all(|row| row["area"].as_str().is_some_and(|a| a.starts_with("420502003001"))), "{listed:?}");
        assert!(listed.iter().any(|row| row["area"] == "420502003001001"));
        // A listed assignment reads back by its id; one outside reads as none.
        let node = "query($id: ID!) { node(id: $id) { ... on RoleAssignment { area } } }";
        let own_id = gridgov_tests::walk(&manager, "", "roleAssignments", "id area").await;
        let own_id = own_id.iter().find(|row| row["area"] == "420502003001001").expect("listed")["id"].clone();
        assert_eq!(manager.data(node, json!({"id": own_id})).await["node"]["area"], "420502003001001");
        let outside = gridgov_tests::walk(&admin, "", "roleAssignments", "id area").await;
        let outside_id = outside.iter().find(|row| row["area"] == "420502003002001").expect("an assignment outside")["id"].clone();
        assert_eq!(manager.data(node, json!({"id": outside_id})).await["node"], Value::Null);
        let revoke = "mutation($input: RoleAssignmentInput!) { revokeRole(input: $input) { roleAssignment { id } userErrors { code } } }";
        let taken = manager.data(revoke, grant(helper, "grid_assistant", "420502003001001")).await;
        assert!(taken["revokeRole"]["roleAssignment"]["id"].is_string(), "{taken}");
        assert_eq!(grids().await, before);
        let newest = admin.data("{ policyHistory(first: 1) { nodes { actor comment } } }", json!({})).await;
        assert_eq!(newest["policyHistory"]["nodes"][0]["actor"], "community-420502003001");

        // Cover it holds for a while bounds what it hands out.
        let end = chrono::Utc::now() + chrono::Duration::days(2);
        admin.data(ASSIGN, json!({"input": {"comment": "cover", "subject": gridgov_tests::subject("user:community-420502003001"),
            "role": "area_manager", "area": "420502003002", "validUntil": end.to_rfc3339()}})).await;
        let body = manager.graphql(ASSIGN_AS, grant("user:analyst", "grid_assistant", "420502003001001")).await;
        assert_eq!(user_error(&body), Some("INVALID"), "{body}");
        assert_eq!(user_error_field(&body), Some("input.validUntil".to_owned()));
        let mut within = grant("user:analyst", "grid_assistant", "420502003001001");
        within["input"]["validUntil"] = json!((end - chrono::Duration::hours(1)).to_rfc3339());
        let made = manager.data(ASSIGN_AS, within).await;
        assert!(made["assignRole"]["roleAssignment"]["id"].is_string(), "{made}");

        // Someone who may delegate nowhere is refused outright.
        let worker = server.as_user("worker-420502003001001").await;
        let body = worker.graphql(ASSIGN_AS, grant(helper, "grid_assistant", "420502003001001")).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
        let body = worker.graphql("{ roleAssignments { totalCount } }", json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
        server
    })
    .await;
}

/// Random managers and random attempted grants through the API, against
/// the rule written out here over the model of the rules: a grant is made
/// exactly when the manager may delegate throughout the place, holds that
/// right at the role's level or wider, and holds every right of the role
/// throughout the place; so nothing granted exceeds the granter.
#[tokio::test]
async fn random_grants_by_random_managers_never_exceed_the_granter() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        // Hard cases: a deny inside a manager's area, and more roles
        // delegable at more levels.
        admin.data(APPLY, json!({"input": {"comment": "setting up", "changes": {
            "addPolicies": [{"role": "no_read", "object": "resident", "action": "read", "effect": "DENY"}],
            "assignRoles": [{"subject": gridgov_tests::subject("user:street-420502003"), "role": "no_read", "area": "420502003001002"}],
            "addDelegableRoles": [{"role": "grid_worker", "level": "COMMUNITY"}, {"role": "police", "level": "STREET"}],
        }}})).await;
        let db = server.db().await;
        let rules = gridgov_tests::model::Rules::load(&db).await;
        db.close().await.expect("close");
        let levels = [("grid_assistant", 12), ("grid_worker", 12), ("police", 9)];
        let catalogue: Vec<(&str, &str)> = policies::Object::ALL
            .iter()
            .flat_map(|o| policies::Action::ALL.iter().map(move |a| (o.as_str(), a.as_str())))
            .collect();
        let managers = ["community-420502003001", "street-420502003", "district-420502", "worker-420502003001001", "police-420502003001"];
        let places = ["420502003001001", "420502003001002", "420502003001", "420502003002001", "420502003", "420502", "420503001001001"];
        let roles = ["grid_assistant", "grid_worker", "police", "area_manager"];
        let mut draw = Draw(0xde1e_9a7e);
        let (mut made, mut refused) = (0, 0);
        let mut clients = Vec::new();
        for name in managers {
            clients.push(server.as_user(name).await);
        }
        for round in 0..60 {
            // Mostly a manager handing out the assistant's role, where the
            // answer turns on place, level and holes; the rest anything.
            let who_index = if draw.below(5) == 0 { draw.below(managers.len()) } else { draw.below(3) };
            let name = managers[who_index];
            let role = if draw.below(2) == 0 { "grid_assistant" } else { roles[draw.below(roles.len())] };
            let place = places[draw.below(places.len())];
            let who = gridgov_tests::model::Who { subject: format!("user:{name}"), token: None };
            let held = rules.places_of(&who.subject);
            // The manager's rights change only where it holds a role.
            let throughout = |object: &str, action: &str| {
                std::iter::once(place)
                    .chain(held.iter().map(String::as_str).filter(|area| area.starts_with(place)))
                    .all(|code| rules.allows(&who, Some(code), object, action))
            };
            let may_delegate = throughout("policy", "delegate");
            let standing = levels.iter().find(|(r, _)| *r == role).is_some_and(|(_, width)| {
                held.iter().any(|area| area.len() <= *width && place.starts_with(area.as_str())
                    && rules.allows(&who, Some(area), "policy", "delegate"))
            });
            let within_rights = rules.grants(role, &catalogue).iter().all(|(o, a)| throughout(o, a));
            let body = clients[who_index].graphql(ASSIGN_AS, grant("user:analyst", role, place)).await;
            let granted = body["data"]["assignRole"]["roleAssignment"]["id"].is_string();
            let context = format!("round {round}: {name} gives {role} at {place}: {body}");
            assert_eq!(granted, may_delegate && standing && within_rights, "{context}");
            if granted {
                made += 1;
                // Taken back at once, so that the model stays the rules.
                let revoke = "mutation($input: RoleAssignmentInput!) { revokeRole(input: $input) { roleAssignment { id } } }";
                admin.data(revoke, grant("user:analyst", role, place)).await;
            } else {
                refused += 1;
                let expected = if may_delegate { "INVALID" } else { "FORBIDDEN" };
                assert_eq!(user_error(&body).or(error_code(&body)), Some(expected), "{context}");
            }
        }
        assert!(made >= 8 && refused >= 15, "both outcomes drawn: {made} made, {refused} refused");
        server
    })
    .await;
}
