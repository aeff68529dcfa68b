//! Outside registries imported as a department's client imports them: a
//! CSV file in a GraphQL multipart request, checked whole (a file with a
//! bad row is refused with its faults, and nothing of it is kept), kept
//! as a snapshot whose people are only keyed hashes, replacing the last
//! snapshot of its kind once stored. The hashes are checked against
//! HMAC-SHA256 (RFC 2104) computed here from the key file.

use entities::registry_entry;
use entities::registry_snapshot;
use entities::resident::{self, Sex};
use gridgov_tests::{UploadFile, error_code, on_each_backend_with, upload};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const IMPORT: &str = "mutation($input: ImportRegistryInput!) { importRegistry(input: $input) {
    snapshot { number kind state rows sha256 importedBy acceptedAt }
    faults { line column reason } faultCount userErrors { field code message } } }";

/// HMAC-SHA256 of `message` under `key`, in hex (RFC 2104).
fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The household registry file of `people`: header, then a row each.
fn household_file(people: &[resident::Model]) -> String {
    let mut file = String::from("id_number,name,sex,birth_date,address\n");
    for person in people {
        let sex = if person.sex == Sex::Male { "1" } else { "2" };
        file.push_str(&format!(
            "{},{},{sex},{},\"湖北省宜昌市西陵区, {}号\"\n",
            person.id_number, person.name, person.birth_date, person.id
        ));
    }
    file
}

async fn send(server: &gridgov_tests::TestServer, token: &str, name: &str, file: &str) -> Value {
    let operations =
        json!({"query": IMPORT, "variables": {"input": {"kind": "HOUSEHOLD", "file": null}}});
    let file = UploadFile {
        paths: &["variables.input.file"],
        name,
        kind: "text/csv",
        bytes: file.as_bytes(),
    };
    let (status, body) = upload(server, Some(token), &operations, &[file]).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_registry_file_is_checked_whole_and_kept_as_keyed_hashes() {
    // A city without the demo's registries: every snapshot is this test's.
    on_each_backend_with(|config| config.seed.no_registries = true, |server| async move {
        let key = std::fs::read_to_string(server.data_dir().join("match-hmac.key"))
            .expect("the match key file");
        let key = key.trim().as_bytes().to_vec();
        let db = server.db().await;
        let residents = resident::Entity::find()
            .order_by_asc(resident::Column::Id)
            .all(&db)
            .await
            .expect("residents");
        // Every resident carries the keyed hash of their number.
        for person in &residents {
            assert_eq!(
                person.id_hash.as_deref(),
                Some(hmac_hex(&key, person.id_number.as_bytes()).as_str()),
                "resident {}",
                person.id
            );
        }
        let people = numbered_people(&db, 30).await;
        let good = household_file(&people);

        let admin = server.token_for("admin").await;
        let worker = server.token_for("worker-420502003001001").await;

        // A resident registered now carries the hash at once.
        let number = "420502199001011238";
        let body = server
            .with_bearer(&worker)
            .graphql(
                "mutation($n: String!) { registerResident(input: {idNumber: $n, name: \"新登记\", populationType: REGISTERED, gridCode: \"420502003001001\"}) { resident { id } userErrors { code message } } }",
                json!({"n": number}),
            )
            .await;
        assert!(body["data"]["registerResident"]["resident"]["id"].is_string(), "{body}");
        let registered = resident::Entity::find()
            .filter(resident::Column::IdNumber.eq(number))
            .one(&db)
            .await
            .expect("a read")
            .expect("the new resident");
        assert_eq!(
            registered.id_hash.as_deref(),
            Some(hmac_hex(&key, number.as_bytes()).as_str())
        );

        // Only whoever holds `write` on the kind at the city imports.
        let body = send(&server, &worker, "hukou.csv", &good).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

        // A bad row anywhere refuses the whole file.
        let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
        lines[2] = lines[2].replacen(&people[1].birth_date.to_string(), "1990-02-30", 1);
        let wrong_check = {
            let number = &people[3].id_number;
            let last = if number.ends_with('0') { '1' } else { '0' };
            format!("{}{last}", &number[..17])
        };
        lines[4] = lines[4].replacen(&people[3].id_number, &wrong_check, 1);
        let bad = lines.join("\n") + "\n";
        let body = send(&server, &admin, "hukou.csv", &bad).await;
        let answer = &body["data"]["importRegistry"];
        assert_eq!(answer["snapshot"], Value::Null, "{body}");
        assert_eq!(answer["faultCount"], 2, "{body}");
        let faults: Vec<(i64, &str)> = answer["faults"]
            .as_array()
            .expect("faults")
            .iter()
            .map(|f| (f["line"].as_i64().unwrap_or_default(), f["column"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(faults, [(3, "birth_date"), (5, "id_number")], "{body}");
        assert_eq!(answer["userErrors"][0]["code"], "INVALID");
        assert_eq!(answer["userErrors"][0]["field"], json!(["input", "file"]));
        assert_eq!(registry_snapshot::Entity::find().count(&db).await.expect("count"), 0);
        assert_eq!(registry_entry::Entity::find().count(&db).await.expect("count"), 0);

        // A good file is stored whole, its people only as keyed hashes.
        let body = send(&server, &admin, "hukou.csv", &good).await;
        let first = body["data"]["importRegistry"]["snapshot"].clone();
        assert_eq!(first["state"], "CURRENT", "{body}");
        assert_eq!(first["kind"], "HOUSEHOLD");
        assert_eq!(first["rows"], 30);
        assert_eq!(first["sha256"], sha256_hex(good.as_bytes()));
        assert_eq!(first["importedBy"], "admin");
        let entries = registry_entry::Entity::find()
            .order_by_asc(registry_entry::Column::Line)
            .all(&db)
            .await
            .expect("entries");
        assert_eq!(entries.len(), 30);
        for (entry, person) in entries.iter().zip(&people) {
            assert_eq!(
                entry.id_hash.as_deref(),
                Some(hmac_hex(&key, person.id_number.as_bytes()).as_str())
            );
            assert_eq!(entry.name, person.name);
            assert_eq!(entry.birth_date, Some(person.birth_date));
            assert_eq!(entry.sex, Some(person.sex));
            let stored = format!("{entry:?}");
            assert!(
                people.iter().all(|p| !stored.contains(&p.id_number)),
                "no ID number is stored in the clear: {stored}"
            );
        }

        // The next file of the kind replaces it once stored.
        let body = send(&server, &admin, "hukou-2.csv", &household_file(&people[..10])).await;
        let second = &body["data"]["importRegistry"]["snapshot"];
        assert_eq!(second["state"], "CURRENT", "{body}");
        let listed = gridgov_tests::Client::data(
            &server.with_bearer(&admin),
            "{ registrySnapshots(filter: {kinds: [HOUSEHOLD]}) { nodes { number state rows } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            listed["registrySnapshots"]["nodes"],
            json!([
                {"number": second["number"], "state": "CURRENT", "rows": 10},
                {"number": first["number"], "state": "SUPERSEDED", "rows": 30},
            ])
        );
        let left: Vec<i64> = registry_entry::Entity::find()
            .select_only()
            .column(registry_entry::Column::SnapshotId)
            .into_tuple()
            .all(&db)
            .await
            .expect("entries");
        assert_eq!(left.len(), 10);
        assert!(left.iter().all(|id| Some(*id) == second["number"].as_i64()));
        // Someone who may not read the registry lists nothing of it.
        let listed = gridgov_tests::Client::data(
            &server.with_bearer(&worker),
            "{ registrySnapshots { nodes { number } } }",
            json!({}),
        )
        .await;
        assert_eq!(listed["registrySnapshots"]["nodes"], json!([]));

        // The audit log names each import.
        let log = server
            .as_user("auditor")
            .await
            .data(
                "{ auditLog(filter: {actions: [\"registry.import\"]}) { nodes { actor { username } objectId } } }",
                json!({}),
            )
            .await;
        let imports = log["auditLog"]["nodes"].as_array().expect("entries");
        assert_eq!(imports.len(), 2, "{log}");
        db.close().await.expect("close");
        server
    })
    .await;
}

/// A file over the 5 MiB read whole before an operation runs: the
/// operation reads it as it arrives, and it is checked and kept like any
/// other, or refused leaving nothing.
#[tokio::test]
async fn a_registry_file_larger_than_a_photo_is_read_as_it_arrives() {
    on_each_backend_with(|config| config.seed.no_registries = true, |server| async move {
        let db = server.db().await;
        let people = numbered_people(&db, 50).await;
        let rows = household_file(&people);
        let (header, body) = rows.split_once('\n').expect("a header");
        // About 7 MiB: the same people over and over (a registry may list a
        // number twice; that is a finding of the comparison, not a fault).
        let repeats = 7 * 1024 * 1024 / body.len() + 1;
        let large = format!("{header}\n{}", body.repeat(repeats));
        let large_rows = people.len() * repeats;
        assert!(large.len() > 5 * 1024 * 1024 + 1024 * 1024);
        let admin = server.token_for("admin").await;

        // A bad row near the end refuses it all, and nothing is left.
        let mut bad = large.clone();
        bad.push_str("420502199001011239,末行,1,1990-01-01,地址\n");
        let answer = send(&server, &admin, "hukou-bad.csv", &bad).await;
        let answer = &answer["data"]["importRegistry"];
        assert_eq!(answer["snapshot"], Value::Null, "{answer}");
        assert_eq!(answer["faultCount"], 1, "{answer}");
        assert_eq!(answer["faults"][0]["line"], large_rows + 2, "{answer}");
        assert_eq!(answer["faults"][0]["column"], "id_number", "{answer}");
        assert_eq!(registry_snapshot::Entity::find().count(&db).await.expect("count"), 0);
        assert_eq!(registry_entry::Entity::find().count(&db).await.expect("count"), 0);

        // A good one is kept whole.
        let answer = send(&server, &admin, "hukou.csv", &large).await;
        let snapshot = &answer["data"]["importRegistry"]["snapshot"];
        assert_eq!(snapshot["state"], "CURRENT", "{answer}");
        assert_eq!(snapshot["rows"], large_rows, "{answer}");
        assert_eq!(snapshot["sha256"], sha256_hex(large.as_bytes()));
        let stored = registry_entry::Entity::find().count(&db).await.expect("count");
        assert_eq!(stored, large_rows as u64);

        // Such a file must be the request's last part: one after it is
        // found only once the import has read the file, which then fails.
        let operations =
            json!({"query": IMPORT, "variables": {"input": {"kind": "HOUSEHOLD", "file": null}}});
        let file = |bytes: &'static [u8], path: &'static [&'static str]| UploadFile {
            paths: path,
            name: "hukou.csv",
            kind: "text/csv",
            bytes,
        };
        let large: &'static [u8] = Box::leak(large.into_bytes().into_boxed_slice());
        let (status, answer) = upload(
            &server,
            Some(&admin),
            &operations,
            &[file(large, &["variables.input.file"]), file(b"x", &[])],
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        let answer = &answer["data"]["importRegistry"];
        assert_eq!(answer["snapshot"], Value::Null, "{answer}");
        assert_eq!(answer["userErrors"][0]["code"], "INVALID", "{answer}");
        assert!(
            answer["userErrors"][0]["message"].as_str().is_some_and(|m| m.contains("last part")),
            "{answer}"
        );
        // Listed as failed, its rows gone; the last good one stays current.
        let states: Vec<registry_snapshot::SnapshotState> = registry_snapshot::Entity::find()
            .order_by_asc(registry_snapshot::Column::Id)
            .select_only()
            .column(registry_snapshot::Column::State)
            .into_tuple()
            .all(&db)
            .await
            .expect("snapshots");
        use registry_snapshot::SnapshotState::{Current, Failed};
        assert_eq!(states, [Current, Failed]);
        assert_eq!(
            registry_entry::Entity::find().count(&db).await.expect("count"),
            large_rows as u64
        );

        db.close().await.expect("close");
        server
    })
    .await;
}

/// A sender that stops part-way through a large file leaves no loading
/// snapshot and no rows behind, whether it hangs up or stalls until the
/// upload times out.
#[tokio::test]
async fn an_upload_cut_off_part_way_leaves_nothing() {
    on_each_backend_with(
        |config| {
            config.seed.no_registries = true;
            config.limits.upload_timeout_secs = 8;
        },
        |server| async move {
            let db = server.db().await;
            let admin = server.token_for("admin").await;
            for hang_up in [true, false] {
                let socket = send_part(&server, &db, &admin).await;
                if hang_up {
                    drop(socket);
                }
                let mut left = (u64::MAX, u64::MAX);
                for _ in 0..300 {
                    left = (
                        loading(&db).await,
                        registry_entry::Entity::find()
                            .count(&db)
                            .await
                            .expect("count"),
                    );
                    if left == (0, 0) {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                assert_eq!(
                    left,
                    (0, 0),
                    "(loading snapshots, rows) left behind; hung up: {hang_up}"
                );
            }
            db.close().await.expect("close");
            server
        },
    )
    .await;
}

async fn loading(db: &sea_orm::DatabaseConnection) -> u64 {
    registry_snapshot::Entity::find()
        .filter(registry_snapshot::Column::State.eq(registry_snapshot::SnapshotState::Loading))
        .count(db)
        .await
        .expect("count")
}

/// Sends the first 6 MiB of a 20 MiB household registry as `admin`, then
/// waits until its import has started; the socket, still open.
async fn send_part(
    server: &gridgov_tests::TestServer,
    db: &sea_orm::DatabaseConnection,
    admin: &str,
) -> std::net::TcpStream {
    use std::io::Write;
    let people = numbered_people(db, 50).await;
    let rows = household_file(&people);
    let (header, body) = rows.split_once('\n').expect("a header");
    let file = format!("{header}\n{}", body.repeat(20 * 1024 * 1024 / body.len()));
    let operations =
        json!({"query": IMPORT, "variables": {"input": {"kind": "HOUSEHOLD", "file": null}}});
    let mut multipart = format!(
        "--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.input.file\"]}}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"0\"; filename=\"hukou.csv\"\r\n\r\n"
    )
    .into_bytes();
    multipart.extend_from_slice(file.as_bytes());
    multipart.extend_from_slice(b"\r\n--b--\r\n");
    let address = server
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        multipart.len()
    );
    // Past the 5 MiB read whole, so the import runs, and little more, so
    // that the server has read it all long before the upload times out.
    // Written on a thread of its own: the server reads it as it imports.
    let socket = tokio::task::spawn_blocking(move || {
        let mut socket = std::net::TcpStream::connect(&address).expect("connects");
        socket.write_all(head.as_bytes()).expect("the head");
        socket
            .write_all(&multipart[..6 * 1024 * 1024])
            .expect("6 MiB of the body");
        socket.flush().expect("flushed");
        socket
    })
    .await
    .expect("sent");
    for _ in 0..100 {
        if loading(db).await == 1 {
            return socket;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the import never started on 6 MiB of the file");
}

/// The first `n` residents whose ID numbers are 18 digits (a registry
/// lists no passport).
async fn numbered_people(db: &sea_orm::DatabaseConnection, n: usize) -> Vec<resident::Model> {
    let people: Vec<resident::Model> = resident::Entity::find()
        .order_by_asc(resident::Column::Id)
        .all(db)
        .await
        .expect("residents")
        .into_iter()
        .filter(|person| {
            person.id_number.len() == 18
                && !person.id_number[..17].contains(|c: char| !c.is_ascii_digit())
        })
        .take(n)
        .collect();
    assert_eq!(people.len(), n);
    people
}
