//! A live event is checked against each subscriber's scope in memory
//! (`CaseScope::admits`, `TaskViewer::sees_assignment`), while lists ask
//! the database (`CaseScope::condition`, `TaskViewer::assignments`). Both
//! must name the same rows: for random scopes (denies inside wider allows,
//! departments with and without duties, viewers who sent tasks or are
//! addressed by them), every case and assignment of the demo city is
//! admitted in memory exactly when the SQL condition selects it, on both
//! backends.

use std::collections::{BTreeSet, HashMap};

use entities::{case, case_category, task, task_assignment};
use gridgov::domain::cases::{CaseScope, DepartmentView};
use gridgov::domain::tasks::TaskViewer;
use gridgov_tests::{Draw, on_each_backend};
use policies::{AreaCode, Domain, Scope};
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

/// The code `grid` has at a random level (district to grid).
fn level_of(draw: &mut Draw, grid: &str) -> String {
    let width = *draw.pick(&[6, 9, 12, 15]);
    grid[..width.min(grid.len())].to_owned()
}

/// A random scope over the places rows are in: nowhere, the city, or a
/// few areas, often with denies inside them.
fn scope(draw: &mut Draw, places: &[String]) -> Scope {
    let area = |code: &str| Domain::Area(AreaCode::parse(code).expect("a code"));
    match draw.below(8) {
        0 => Scope::nothing(),
        1 => Scope::from_domains(&[Domain::City], &[]),
        2 => {
            let place = draw.pick(places).clone();
            let denied = level_of(draw, &place);
            Scope::from_domains(&[Domain::City], &[area(&denied)])
        }
        _ => {
            let mut allowed = Vec::new();
            let mut denied = Vec::new();
            for _ in 0..=draw.below(3) {
                let place = draw.pick(places).clone();
                let code = level_of(draw, &place);
                // A deny inside the allow, at a deeper level of one of its
                // own rows' places, where the two are easiest to get wrong.
                // (Places are of any level: a department's assignment
                // lies in its district.)
                let inner: Vec<&String> = places
                    .iter()
                    .filter(|p| p.len() > code.len() && p.starts_with(&code))
                    .collect();
                if draw.below(2) == 0 && !inner.is_empty() {
                    let inner = (*draw.pick(&inner)).clone();
                    let width = (code.len() + 3 * (1 + draw.below(2))).min(inner.len());
                    denied.push(area(&inner[..width]));
                }
                allowed.push(area(&code));
            }
            Scope::from_domains(&allowed, &denied)
        }
    }
}

/// The ids (`id` column) of the rows `select` selects.
async fn ids<E: EntityTrait>(
    db: &DatabaseConnection,
    select: sea_orm::Select<E>,
    id: E::Column,
) -> BTreeSet<i64> {
    select
        .select_only()
        .column(id)
        .into_tuple::<i64>()
        .all(db)
        .await
        .expect("ids")
        .into_iter()
        .collect()
}

#[tokio::test]
async fn what_a_subscriber_is_told_is_what_its_lists_show() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let cases = case::Entity::find().all(&db).await.expect("cases");
        let duty: HashMap<String, String> = case_category::Entity::find()
            .all(&db)
            .await
            .expect("categories")
            .into_iter()
            .map(|category| (category.code, category.duty))
            .collect();
        let tasks: HashMap<i64, task::Model> = task::Entity::find()
            .all(&db)
            .await
            .expect("tasks")
            .into_iter()
            .map(|task| (task.id, task))
            .collect();
        let assignments = task_assignment::Entity::find()
            .all(&db)
            .await
            .expect("assignments");
        assert!(
            !cases.is_empty() && !assignments.is_empty(),
            "the demo city has work"
        );
        let case_places: Vec<String> = cases.iter().map(|row| row.grid_code.clone()).collect();
        let task_places: Vec<String> = assignments
            .iter()
            .map(|row| row.area_code.clone())
            .collect();
        let duties: Vec<String> = duty
            .values()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let departments: Vec<i64> = cases
            .iter()
            .filter_map(|row| row.department_id)
            .chain(assignments.iter().filter_map(|row| row.department_id))
            .collect();
        let senders: Vec<i64> = tasks.values().map(|task| task.created_by).collect();
        let addressees: Vec<i64> = assignments
            .iter()
            .filter_map(|row| row.assignee_user_id)
            .collect();
        assert!(!departments.is_empty() && !senders.is_empty() && !addressees.is_empty());

        let seed = std::env::var("GRIDGOV_TEST_DRAW")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or(20_261_204u64);
        let mut draw = Draw(seed);
        // How often the hard cases came up: a row inside an allow and out
        // by a deny; a department's row seen by its duty alone.
        let (mut denied_inside, mut by_duty_alone) = (0, 0);
        for round in 0..120 {
            let case_scope = CaseScope {
                read: scope(&mut draw, &case_places),
                department: (draw.below(2) == 0).then(|| DepartmentView {
                    id: *draw.pick(&departments),
                    duties: duties
                        .iter()
                        .filter(|_| draw.below(4) == 0)
                        .cloned()
                        .collect(),
                }),
            };
            let listed = ids(
                &db,
                case::Entity::find().filter(case_scope.condition()),
                case::Column::Id,
            )
            .await;
            let told: BTreeSet<i64> = cases
                .iter()
                .filter(|row| {
                    let of = row.category_code.as_ref().and_then(|code| duty.get(code));
                    case_scope.admits(row, of.map(String::as_str))
                })
                .map(|row| row.id)
                .collect();
            assert_eq!(
                told, listed,
                "seed {seed}, round {round}: cases for {case_scope:?}"
            );
            denied_inside += cases
                .iter()
                .filter(|row| {
                    !case_scope.read.contains(&row.grid_code)
                        && Scope {
                            except: Vec::new(),
                            ..case_scope.read.clone()
                        }
                        .contains(&row.grid_code)
                })
                .count()
                .min(1);
            if let Some(department) = &case_scope.department {
                by_duty_alone += cases
                    .iter()
                    .filter(|row| {
                        listed.contains(&row.id) && row.department_id != Some(department.id)
                    })
                    .count()
                    .min(1);
            }

            let viewer = TaskViewer {
                user_id: match draw.below(3) {
                    0 => Some(*draw.pick(&senders)),
                    1 => Some(*draw.pick(&addressees)),
                    _ => None,
                },
                department_id: (draw.below(3) == 0).then(|| *draw.pick(&departments)),
                read: scope(&mut draw, &task_places),
                own: scope(&mut draw, &task_places),
            };
            let listed = ids(
                &db,
                task_assignment::Entity::find().filter(viewer.assignments()),
                task_assignment::Column::Id,
            )
            .await;
            let told: BTreeSet<i64> = assignments
                .iter()
                .filter(|row| viewer.sees_assignment(row, tasks.get(&row.task_id)))
                .map(|row| row.id)
                .collect();
            assert_eq!(
                told, listed,
                "seed {seed}, round {round}: assignments for {viewer:?}"
            );
        }
        assert!(
            denied_inside > 10,
            "denies inside allows drawn: {denied_inside}"
        );
        assert!(
            by_duty_alone > 10,
            "departments seeing by duty drawn: {by_duty_alone}"
        );
        db.close().await.expect("close");
        server
    })
    .await;
}
