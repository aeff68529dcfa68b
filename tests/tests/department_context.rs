//! A department sees the context its duty needs and nothing more: market
//! supervision and food safety the organisations of their district and
//! their licences; the police (for whom businesses are not the record they
//! keep) none; neither sees the residents.

use entities::organisation;
use gridgov_tests::{on_each_backend, walk};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

const DISTRICT: &str = "420502";

#[tokio::test]
async fn market_supervision_sees_the_businesses_of_its_district_only() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let mut stored: Vec<i64> = organisation::Entity::find()
            .filter(organisation::Column::GridCode.starts_with(DISTRICT))
            .all(&db)
            .await
            .expect("organisations")
            .into_iter()
            .map(|row| row.id)
            .collect();
        db.close().await.expect("close");
        stored.sort_unstable();
        assert!(!stored.is_empty());

        let market = server.as_user(&format!("officer-market-{DISTRICT}")).await;
        let mut seen: Vec<i64> = walk(&market, "", "organisations", "id licenceNumber")
            .await
            .iter()
            .map(|node| gridgov_tests::stored_key(&node["id"]))
            .collect();
        seen.sort_unstable();
        assert_eq!(
            seen, stored,
            "every business of the district, none elsewhere"
        );

        for (who, list) in [
            (format!("officer-market-{DISTRICT}"), "residents"),
            (format!("officer-police-{DISTRICT}"), "organisations"),
            (format!("officer-police-{DISTRICT}"), "residents"),
        ] {
            let client = server.as_user(&who).await;
            let data = client
                .data(&format!("{{ {list} {{ totalCount }} }}"), json!({}))
                .await;
            assert_eq!(data[list]["totalCount"], 0, "{who} sees no {list}");
        }
        server
    })
    .await;
}
