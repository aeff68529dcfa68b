//! The rules of the platform, with no GraphQL in them: what a filter means,
//! how a page is cut, what makes an ID number valid.

pub mod access;
pub mod areas;
pub mod audit_anomalies;
pub mod audit_log;
pub mod calendar;
pub mod cases;
pub mod comparisons;
pub mod count;
pub mod credit_code;
pub mod departments;
pub mod documents;
pub mod homes;
pub mod id_number;
pub mod page;
pub mod policy_admin;
pub mod policy_dry_run;
pub mod policy_explain;
pub mod policy_history;
pub mod privacy;
pub mod registries;
pub mod resident_columns;
pub mod resident_joins;
pub mod residents;
pub mod scoped;
pub mod stats;
pub mod subjects;
pub mod tasks;
pub mod tokens;
pub mod transfers;
pub mod verification;
pub mod viewer;
pub mod visits;
pub mod whoami;
pub mod within;
pub mod writes;
