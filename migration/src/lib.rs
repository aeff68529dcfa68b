//! How gridgov's schema came to be: one file per change, applied in order,
//! never edited once it has landed. The same migrations run on SQLite and
//! PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod columns;
pub mod counting;
mod m20261126_000001_places_and_people;
mod m20261126_000002_population;
mod m20261126_000003_cases;
mod m20261126_000004_tasks;
mod m20261126_000005_access_and_audit;
mod m20261126_000006_resident_orderings;
mod m20261126_000007_case_clock;
mod m20261201_000008_sign_in_attempts;
mod m20261202_000009_list_orderings;
mod m20261202_000010_transfers;
mod m20261202_000011_visits;
mod m20261202_000012_residence;
mod m20261202_000013_visit_rounds;
mod m20261202_000014_escalation;
mod m20261202_000015_case_links;
mod m20261202_000016_case_photos;
mod m20261202_000017_photo_steps;
mod m20261202_000018_audit_trail;
mod m20261202_000019_audit_archive;
mod m20261202_000020_resident_reviews;
mod m20261202_000021_registries;
mod m20261203_000022_comparisons;
mod m20261203_000023_rule_windows;
mod m20261203_000024_policy_history;
mod m20261203_000025_grid_counts;
mod m20261204_000026_open_cases_index;
mod m20261204_000027_audit_subjects_gin;
mod m20261205_000028_cases_department_grid_index;
mod m20261205_000029_audit_seal_index;
mod m20261205_000030_audit_chain_seal_by_time;
mod postgres;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_places_and_people::Migration),
            Box::new(m20261126_000002_population::Migration),
            Box::new(m20261126_000003_cases::Migration),
            Box::new(m20261126_000004_tasks::Migration),
            Box::new(m20261126_000005_access_and_audit::Migration),
            Box::new(m20261126_000006_resident_orderings::Migration),
            Box::new(m20261126_000007_case_clock::Migration),
            Box::new(m20261201_000008_sign_in_attempts::Migration),
            Box::new(m20261202_000009_list_orderings::Migration),
            Box::new(m20261202_000010_transfers::Migration),
            Box::new(m20261202_000011_visits::Migration),
            Box::new(m20261202_000012_residence::Migration),
            Box::new(m20261202_000013_visit_rounds::Migration),
            Box::new(m20261202_000014_escalation::Migration),
            Box::new(m20261202_000015_case_links::Migration),
            Box::new(m20261202_000016_case_photos::Migration),
            Box::new(m20261202_000017_photo_steps::Migration),
            Box::new(m20261202_000018_audit_trail::Migration),
            Box::new(m20261202_000019_audit_archive::Migration),
            Box::new(m20261202_000020_resident_reviews::Migration),
            Box::new(m20261202_000021_registries::Migration),
            Box::new(m20261203_000022_comparisons::Migration),
            Box::new(m20261203_000023_rule_windows::Migration),
            Box::new(m20261203_000024_policy_history::Migration),
            Box::new(m20261203_000025_grid_counts::Migration),
            Box::new(m20261204_000026_open_cases_index::Migration),
            Box::new(m20261204_000027_audit_subjects_gin::Migration),
            Box::new(m20261205_000028_cases_department_grid_index::Migration),
            Box::new(m20261205_000029_audit_seal_index::Migration),
            Box::new(m20261205_000030_audit_chain_seal_by_time::Migration),
        ]
    }
}
