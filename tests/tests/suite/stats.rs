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
    ageBands { from to count men women }
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
        let eighty_or_more = |p: &&resident::Model| {
            let mut age = today.year() - p.birth_date.year();
            if (today.month(), today.day()) < (p.birth_date.month(), p.birth_date.day()) {
                age -= 1;
            }
            age >= 80
        };
        let old = people.iter().filter(eighty_or_more).count() as i64;
        assert_eq!(int(&stats["ageBands"][5]["count"]), old);
        // The pyramid: each band's men and women add up to it, and the men
        // of all bands to the men.
        let old_men = people
            .iter()
            .filter(eighty_or_more)
            .filter(|p| p.sex == resident::Sex::Male)
            .count() as i64;
        assert_eq!(int(&stats["ageBands"][5]["men"]), old_men);
        for band in stats["ageBands"].as_array().expect("bands") {
            assert_eq!(int(&band["men"]) + int(&band["women"]), int(&band["count"]));
        }
        let band_men: i64 = stats["ageBands"]
            .as_array()
            .expect("bands")
            .iter()
            .map(|b| int(&b["men"]))
            .sum();
        assert_eq!(band_men, men);
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
            } else if !seen["residents"].is_null() {
                // Larger groups are shown exactly, or withheld beside a
                // small one so that subtraction cannot find it.
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

/// A map needs every grid of an area at once: `level: GRID` gives them in
/// one request, each as the register counts it, and withheld exactly as
/// when its community is asked (suppression is one pattern per caller).
#[tokio::test]
async fn every_grid_of_an_area_in_one_request() {
    on_each_backend(|server| async move {
        let street = "420502003";
        const GRID: &str = "420502003001001";
        let db = server.db().await;
        let mut truth: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        for person in resident::Entity::find()
            .filter(resident::Column::GridCode.starts_with(street))
            .filter(resident::Column::Status.eq(resident::ResidentStatus::Active))
            .all(&db)
            .await
            .expect("residents")
        {
            truth.entry(person.grid_code).or_default().0 += 1;
        }
        for home in dwelling::Entity::find()
            .filter(dwelling::Column::GridCode.starts_with(street))
            .filter(dwelling::Column::Occupancy.eq(dwelling::Occupancy::Rented))
            .all(&db)
            .await
            .expect("dwellings")
        {
            truth.entry(home.grid_code).or_default().1 += 1;
        }
        db.close().await.expect("close");

        let by_level = "query($area: String, $level: AreaLevel) {
            statistics(area: $area, level: $level) { residents openCases { open }
              children { area name residents dwellings { rented } openCases { open } } } }";
        let admin = server.as_user("admin").await;
        let data = admin
            .data(by_level, json!({"area": street, "level": "GRID"}))
            .await;
        let grids = data["statistics"]["children"].as_array().expect("grids");
        let seen: std::collections::BTreeMap<String, (i64, i64)> = grids
            .iter()
            .map(|grid| {
                let code = grid["area"].as_str().expect("a code").to_owned();
                assert_eq!(code.len(), 15, "{code} is a grid");
                assert!(grid["name"].as_str().is_some_and(|name| name.contains("网格")));
                (code, (int(&grid["residents"]), int(&grid["dwellings"]["rented"])))
            })
            .collect();
        let truth: std::collections::BTreeMap<_, _> = truth
            .into_iter()
            .filter(|(_, (people, _))| *people > 0)
            .collect();
        let seen_peopled: std::collections::BTreeMap<_, _> = seen
            .clone()
            .into_iter()
            .filter(|(_, (people, _))| *people > 0)
            .collect();
        assert_eq!(seen_peopled, truth);
        assert!(truth.len() > 9, "a street holds several communities' grids");
        let open: i64 = grids.iter().map(|grid| int(&grid["openCases"]["open"])).sum();
        assert_eq!(open, int(&data["statistics"]["openCases"]["open"]));

        // The analyst's grids, asked by district, withhold what the same
        // grids withhold when their community is asked.
        let analyst = server.as_user("analyst").await;
        let query = format!(
            "query($area: String, $level: AreaLevel) {{ statistics(area: $area, level: $level) {{ children {{ {ALL_COUNTS} }} }} }}"
        );
        let wide = analyst
            .data(&query, json!({"area": "420502", "level": "GRID"}))
            .await;
        let community = "420502003001";
        let narrow = analyst.data(&query, json!({"area": community})).await;
        let wide_cells: Vec<_> = wide["statistics"]["children"]
            .as_array()
            .expect("grids")
            .iter()
            .filter(|grid| grid["area"].as_str().is_some_and(|code| code.starts_with(community)))
            .map(|grid| (grid["area"].clone(), cells(grid)))
            .collect();
        let narrow_cells: Vec<_> = narrow["statistics"]["children"]
            .as_array()
            .expect("grids")
            .iter()
            .map(|grid| (grid["area"].clone(), cells(grid)))
            .collect();
        assert!(!narrow_cells.is_empty());
        assert_eq!(wide_cells, narrow_cells);
        assert!(
            narrow_cells.iter().any(|(_, cells)| cells.iter().any(Option::is_none)),
            "the community has a withheld cell to compare"
        );

        // A level that is not below the area's is refused, naming `level`;
        // a grid is its own only part.
        for (area, level) in [(street, "DISTRICT"), (street, "STREET"), (GRID, "DISTRICT"), (GRID, "COMMUNITY")] {
            let refused = admin
                .graphql(by_level, json!({"area": area, "level": level}))
                .await;
            assert_eq!(gridgov_tests::error_code(&refused), Some("BAD_USER_INPUT"), "{area} by {level}");
            assert!(refused["errors"][0]["message"].as_str().is_some_and(|m| m.contains(area)));
        }
        let own = admin.data(by_level, json!({"area": GRID, "level": "GRID"})).await;
        assert_eq!(own["statistics"]["children"][0]["area"], GRID);
        assert_eq!(own["statistics"]["children"][0]["residents"], own["statistics"]["residents"]);
        server
    })
    .await;
}

/// Every count of one area in a fixed order, `None` where withheld.
fn cells(stats: &Value) -> Vec<Option<i64>> {
    let mut cells: Vec<Option<i64>> = ["residents", "men", "women"]
        .iter()
        .map(|key| stats[*key].as_i64())
        .collect();
    for list in ["ageBands", "careFlags"] {
        cells.extend(
            stats[list]
                .as_array()
                .expect("a list")
                .iter()
                .map(|item| item["count"].as_i64()),
        );
    }
    for (group, keys) in [
        (
            "populationTypes",
            &["registered", "floating", "foreign"][..],
        ),
        (
            "dwellings",
            &["ownerOccupied", "rented", "office", "vacant"][..],
        ),
        ("organisations", &["valid", "expired", "none"][..]),
    ] {
        cells.extend(keys.iter().map(|key| stats[group][*key].as_i64()));
    }
    // The pyramid's halves last, so that the places above keep their
    // numbers: the men of each band (27..33), then the women (33..39).
    for sex in ["men", "women"] {
        cells.extend(
            stats["ageBands"]
                .as_array()
                .expect("bands")
                .iter()
                .map(|band| band[sex].as_i64()),
        );
    }
    cells
}

const ALL_COUNTS: &str = "area residents men women ageBands { count men women } careFlags { count }
    populationTypes { registered floating foreign } dwellings { ownerOccupied rented office vacant }
    organisations { valid expired none }";

/// Every area's counts (and its children's) as `client` sees them: the
/// city, districts, streets and communities, whose children are the grids.
async fn everything_seen(
    client: &gridgov_tests::Client<'_>,
    areas: &[String],
    city: bool,
) -> std::collections::BTreeMap<String, Vec<Option<i64>>> {
    let mut seen = std::collections::BTreeMap::new();
    let mut asked: Vec<Option<&String>> = if city { vec![None] } else { Vec::new() };
    asked.extend(areas.iter().map(Some));
    for chunk in asked.chunks(6) {
        let fields: String = chunk
            .iter()
            .enumerate()
            .map(|(i, area)| {
                let argument = area.map_or(String::new(), |code| format!("(area: \"{code}\")"));
                format!(
                    "s{i}: statistics{argument} {{ {ALL_COUNTS} children {{ {ALL_COUNTS} }} }} "
                )
            })
            .collect();
        let data = client.data(&format!("{{ {fields} }}"), json!({})).await;
        for i in 0..chunk.len() {
            let stats = &data[format!("s{i}")];
            let code = stats["area"].as_str().unwrap_or_default().to_owned();
            seen.insert(code, cells(stats));
            for child in stats["children"].as_array().expect("children") {
                seen.insert(
                    child["area"].as_str().expect("code").to_owned(),
                    cells(child),
                );
            }
        }
    }
    seen
}

/// The attacker: with every area's shown counts, solve each relation (an
/// area and its children; a total and its parts) that has one unknown, and
/// again with what that taught, until nothing more is learnt.
fn recovered_by_subtraction(
    seen: &std::collections::BTreeMap<String, Vec<Option<i64>>>,
) -> Vec<(String, usize, i64)> {
    let mut known = seen.clone();
    let parent_of = |code: &str| match code.len() {
        0 => None,
        6 => Some(String::new()),
        n => Some(code[..n - 3].to_owned()),
    };
    let mut relations: Vec<Vec<(String, usize)>> = Vec::new();
    let measures = seen.values().next().map_or(0, Vec::len);
    for parent in seen.keys() {
        let children: Vec<&String> = seen
            .keys()
            .filter(|c| parent_of(c).as_deref() == Some(parent.as_str()))
            .collect();
        if children.is_empty() {
            continue;
        }
        for m in 0..measures {
            let mut relation = vec![(parent.clone(), m)];
            relation.extend(children.iter().map(|c| ((*c).clone(), m)));
            relations.push(relation);
        }
    }
    // A total and its parts, in the places `cells` gives them: the
    // residents by sex, band and type; the men and the women by band; each
    // band by sex.
    let mut totals: Vec<(usize, Vec<usize>)> = vec![
        (0, vec![1, 2]),
        (0, (3..9).collect()),
        (0, vec![17, 18, 19]),
        (1, (27..33).collect()),
        (2, (33..39).collect()),
    ];
    totals.extend((0..6).map(|band| (3 + band, vec![27 + band, 33 + band])));
    for area in seen.keys() {
        for (total, parts) in &totals {
            let mut relation = vec![(area.clone(), *total)];
            relation.extend(parts.iter().map(|p| (area.clone(), *p)));
            relations.push(relation);
        }
    }
    let mut recovered = Vec::new();
    loop {
        let mut learnt = false;
        for relation in &relations {
            let unknown: Vec<usize> = (0..relation.len())
                .filter(|i| known[&relation[*i].0][relation[*i].1].is_none())
                .collect();
            if unknown.len() != 1 {
                continue;
            }
            let parts: i64 = relation[1..].iter().filter_map(|(a, m)| known[a][*m]).sum();
            let (area, m) = relation[unknown[0]].clone();
            let value = if unknown[0] == 0 {
                parts
            } else {
                known[&relation[0].0][relation[0].1].unwrap_or(0) - parts
            };
            known.get_mut(&area).expect("area")[m] = Some(value);
            recovered.push((area, m, value));
            learnt = true;
        }
        if !learnt {
            return recovered;
        }
    }
}

#[tokio::test]
async fn no_suppressed_count_is_recovered_by_subtraction_across_levels_and_fields() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let db = server.db().await;
        let mut areas: Vec<String> = entities::area::Entity::find()
            .all(&db)
            .await
            .expect("areas")
            .into_iter()
            .map(|area| area.code)
            .collect();
        areas.sort();
        let truth = everything_seen(&admin, &areas, true).await;
        // A token of a district manager without dwelling:read, and the analyst.
        let issued = admin
            .data(
                "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }",
                json!({"input": {"name": "screen", "username": "district-420502", "scopes": ["statistics:read", "resident:read", "resident.care_flags:read", "organisation:read"], "areas": ["*"],
                       "expiresAt": (Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
            )
            .await;
        let token = server.with_bearer(issued["issueApiToken"]["secret"].as_str().expect("secret"));
        let district: Vec<String> = areas.iter().filter(|a| a.starts_with("420502")).cloned().collect();
        for (name, client, asked, city, withheld) in [
            ("analyst", server.as_user("analyst").await, &areas, true, 0..39),
            ("token without dwelling:read", token, &district, false, 20..24),
        ] {
            let seen = everything_seen(&client, asked, city).await;
            let mut hidden = 0;
            for (area, cells) in &seen {
                let Some(true_cells) = truth.get(area) else { continue };
                for (m, (shown, real)) in cells.iter().zip(true_cells).enumerate() {
                    let real = real.expect("the admin sees everything");
                    match shown {
                        Some(value) => {
                            assert_eq!(*value, real, "{name}: shown counts are exact ({area}, {m})");
                            assert!(!withheld.contains(&m) || !(1..5).contains(&real), "{name}: a small group shown ({area}, {m}: {real})");
                        }
                        None => {
                            assert!(withheld.contains(&m), "{name}: ({area}, {m}) withheld, but its rows are the caller's to list");
                            hidden += 1;
                        }
                    }
                }
            }
            assert!(hidden > 0, "{name}: the test city has small groups");
            let recovered = recovered_by_subtraction(&seen);
            assert!(recovered.is_empty(), "{name}: recovered by subtraction: {:?}", &recovered[..recovered.len().min(5)]);
        }
        db.close().await.expect("close");
        server
    })
    .await;
}
