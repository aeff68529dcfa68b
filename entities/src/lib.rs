//! What gridgov stores: one SeaORM entity per table, and the value sets of
//! their enumerated columns. Behaviour lives in `api`; how the tables came to
//! be lives in `migration`.

pub mod api_token;
pub mod area;
pub mod audit_chain;
pub mod audit_chain_genesis;
pub mod audit_log;
pub mod audit_subject;
pub mod building;
pub mod calendar_day;
pub mod casbin_rule;
pub mod case;
pub mod case_category;
pub mod case_party;
pub mod case_photo;
pub mod case_step;
pub mod case_subject;
pub mod case_time_limit;
pub mod comparison_job;
pub mod department;
pub mod dwelling;
pub mod finding;
pub mod finding_step;
pub mod grid;
pub mod grid_count;
pub mod household;
pub mod match_key;
pub mod organisation;
pub mod policy_change;
pub mod policy_state;
pub mod policy_version;
pub mod refresh_token;
pub mod registry_entry;
pub mod registry_snapshot;
pub mod resident;
pub mod resident_review;
pub mod sign_in_attempt;
pub mod task;
pub mod task_assignment;
pub mod task_feedback;
pub mod task_subject;
pub mod transfer;
pub mod user;
pub mod visit;
pub mod visit_interval;
