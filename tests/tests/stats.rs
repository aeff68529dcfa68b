//! The command centre's statistics: computed in SQL under the caller's
//! scope, adding up, matching what is stored, and suppressing small groups
//! for statistics-only callers.

use chrono::{Datelike, Utc};
use entities::{dwelling, resident};
use gridgov_tests::on_each_backend;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const STATS: &str = "query($area: String) { statistics(area: $area) {
    area name residents men women sexRatio suppressed
    ageBands { from to count }
    populationTypes { registered floating foreign }
    careFlags { flag count }
    dwellings { ownerOccupied rented office vacant }
    organisations { valid expired none }
    children { area name residents men women dwellings { ownerOccupied rented office vacant } }
} }";

fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("a number, not {value}"))
}

#[tokio::test]
async fn a_communitys_statistics_add_up_and_match_the_register() {
    on_each_backend(|server| async move {
        let community = "420502003001";
        let db = server.db().await;
        let people: Vec<resident::Model> = resident::Entity::find()
            .filter(resident::Column::GridCode.starts_with(community))
            .filter(resident::Column::Status.eq(resident::ResidentStatus::Active))
            .all(&db)
            .await
            .expect("residents");
        let homes: Vec<dwelling::Model> = dwelling::Entity::find()
            .filter(dwelling::Column::GridCode.starts_with(community))
            .all(&db)
            .await
            .expect("dwellings");
        db.close().await.expect("close");

        let admin = server.as_user("admin").await;
        let data = admin.data(STATS, json!({"area": community})).await;
        let stats = &data["statistics"];
        assert_eq!(stats["suppressed"], false);
        assert_eq!(int(&stats["residents"]), people.len() as i64);
        let men = people
            .iter()
            .filter(|p| p.sex == resident::Sex::Male)
            .count() as i64;
        assert_eq!(int(&stats["men"]), men);
        assert_eq!(
            int(&stats["men"]) + int(&stats["women"]),
            int(&stats["residents"])
        );
        let bands: i64 = stats["ageBands"]
            .as_array()
            .expect("bands")
            .iter()
            .map(|b| int(&b["count"]))
            .sum();
        assert_eq!(bands, people.len() as i64);
        let today = Utc::now().date_naive();
        let old = people
            .iter()
            .filter(|p| {
                let mut age = today.year() - p.birth_date.year();
                if (today.month(), today.day()) < (p.birth_date.month(), p.birth_date.day()) {
                    age -= 1;
                }
                age >= 80
            })
            .count() as i64;
        assert_eq!(int(&stats["ageBands"][5]["count"]), old);
        let types = &stats["populationTypes"];
        assert_eq!(
            int(&types["registered"]) + int(&types["floating"]) + int(&types["foreign"]),
            people.len() as i64
        );
        let rented = homes
            .iter()
            .filter(|d| d.occupancy == dwelling::Occupancy::Rented)
            .count() as i64;
        assert_eq!(int(&stats["dwellings"]["rented"]), rented);
        let alone = people.iter().filter(|p| p.care_flags & 1 != 0).count() as i64;
        let flag = stats["careFlags"]
            .as_array()
            .expect("flags")
            .iter()
            .find(|f| f["flag"] == "ELDERLY_LIVING_ALONE")
            .expect("the flag is listed");
        assert_eq!(int(&flag["count"]), alone);

        // The community's grids, each adding to the whole.
        let children = stats["children"].as_array().expect("children");
        assert!(children.iter().all(|c| {
            c["area"]
                .as_str()
                .is_some_and(|a| a.starts_with(community) && a.len() == 15)
        }));
        let sum: i64 = children.iter().map(|c| int(&c["residents"])).sum();
        assert_eq!(sum, people.len() as i64);
        assert!(
            children
                .iter()
                .all(|c| c["name"].as_str().is_some_and(|n| n.contains("网格")))
        );
        server
    })
    .await;
}

#[tokio::test]
async fn analysts_get_small_groups_suppressed_and_workers_their_grid() {
    on_each_backend(|server| async move {
        let community = "420502003001";
        let analyst = server.as_user("analyst").await;
        let data = analyst.data(STATS, json!({"area": community})).await;
        let stats = &data["statistics"];
        assert_eq!(stats["suppressed"], true);
        let admin = server.as_user("admin").await;
        let full = admin.data(STATS, json!({"area": community})).await;
        let mut hidden = 0;
        for (seen, truth) in stats["children"]
            .as_array()
            .expect("children")
            .iter()
            .zip(full["statistics"]["children"].as_array().expect("children"))
        {
            let n = int(&truth["residents"]);
            if (1..5).contains(&n) {
                assert!(
                    seen["residents"].is_null(),
                    "{n} residents is a small group"
                );
                hidden += 1;
            } else {
                assert_eq!(int(&seen["residents"]), n);
            }
        }
        assert!(hidden > 0, "the test city has small grids");

        let worker = server.as_user("worker-420502003001001").await;
        let own = worker.data(STATS, json!({"area": "420502003001001"})).await;
        assert_eq!(own["statistics"]["suppressed"], false);
        let other = worker.data(STATS, json!({"area": "420502003001002"})).await;
        assert_eq!(other["statistics"], Value::Null);
        let everything = worker.data(STATS, json!({})).await;
        assert_eq!(
            everything["statistics"]["residents"],
            own["statistics"]["residents"]
        );
        // Departments see no statistics by default.
        let officer = server.as_user("officer-market-420502").await;
        let none = officer.data(STATS, json!({})).await;
        assert_eq!(none["statistics"], Value::Null);
        server
    })
    .await;
}
