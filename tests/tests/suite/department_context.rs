//! A department sees the context its duty needs and nothing more, stated
//! here as a table: market supervision and food safety the organisations of
//! their district and their licences; civil affairs its residents (numbers
//! and phones masked, care flags shown) and households; housing its
//! buildings and dwellings; the police and justice none of the record.

use entities::{building, dwelling, household, organisation, resident};
use gridgov_tests::{on_each_backend, stored_key, walk};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

const DISTRICT: &str = "420502";

/// The lists of the record, each with a field to read.
const LISTS: [(&str, &str); 5] = [
    ("residents", "id"),
    ("households", "id"),
    ("dwellings", "id"),
    ("buildings", "id"),
    ("organisations", "id licenceNumber"),
];

/// Which lists each department's officer reads (all of its district's
/// rows); every other list reads empty.
const READS: [(&str, &[&str]); 6] = [
    ("market", &["organisations"]),
    ("food-safety", &["organisations"]),
    ("civil-affairs", &["residents", "households"]),
    ("housing", &["buildings", "dwellings"]),
    ("police", &[]),
    ("justice", &[]),
];

/// The ids of the district's rows of `E`, straight from the database.
async fn ids_of<E: EntityTrait>(
    db: &DatabaseConnection,
    id: E::Column,
    grid: E::Column,
) -> Vec<i64> {
    let mut ids: Vec<i64> = E::find()
        .select_only()
        .column(id)
        .filter(grid.starts_with(DISTRICT))
        .into_tuple()
        .all(db)
        .await
        .expect("ids");
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn each_department_sees_the_record_its_duty_needs_in_its_district() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let stored = [
            ("residents", ids_of::<resident::Entity>(&db, resident::Column::Id, resident::Column::GridCode).await),
            ("households", ids_of::<household::Entity>(&db, household::Column::Id, household::Column::GridCode).await),
            ("dwellings", ids_of::<dwelling::Entity>(&db, dwelling::Column::Id, dwelling::Column::GridCode).await),
            ("buildings", ids_of::<building::Entity>(&db, building::Column::Id, building::Column::GridCode).await),
            (
                "organisations",
                ids_of::<organisation::Entity>(&db, organisation::Column::Id, organisation::Column::GridCode).await,
            ),
        ];
        db.close().await.expect("close");
        for (list, ids) in &stored {
            assert!(!ids.is_empty(), "the district has {list}");
        }

        for (department, reads) in READS {
            let officer = server
                .as_user(&format!("officer-{department}-{DISTRICT}"))
                .await;
            for (list, select) in LISTS {
                let mut seen: Vec<i64> = walk(&officer, "", list, select)
                    .await
                    .iter()
                    .map(|node| stored_key(&node["id"]))
                    .collect();
                seen.sort_unstable();
                let expected = if reads.contains(&list) {
                    stored
                        .iter()
                        .find(|(name, _)| *name == list)
                        .map(|(_, ids)| ids.clone())
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                assert_eq!(seen, expected, "{department}: {list}");
            }
        }

        // Civil affairs reads people with their care flags, but their ID
        // numbers and phones only masked.
        let civil = server
            .as_user(&format!("officer-civil-affairs-{DISTRICT}"))
            .await;
        let data = civil
            .data(
                "{ residents(first: 50, filter: {states: [ACTIVE]}) { nodes { idNumber idNumberShown phone careFlags } } }",
                json!({}),
            )
            .await;
        let nodes = data["residents"]["nodes"].as_array().expect("residents");
        assert!(!nodes.is_empty());
        for node in nodes {
            assert_eq!(node["idNumberShown"], "MASKED", "{node}");
            let number = node["idNumber"].as_str().expect("a masked number");
            assert_eq!(number.matches('*').count(), 17, "{node}");
            if let Some(phone) = node["phone"].as_str() {
                assert!(phone.contains("****"), "{node}");
            }
            assert!(node["careFlags"].is_array(), "{node}");
        }
        server
    })
    .await;
}
