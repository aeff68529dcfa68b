//! The end-to-end suite: each module drives the real server over HTTP on
//! SQLite and on PostgreSQL.
//!
//! One test binary, not one per file: each binary links the whole server
//! (about 200 MB with line tables), and forty of them once ran a CI disk
//! out of space. Run one module with
//! `cargo test -p gridgov-tests --test suite residents::`.

mod access_model;
mod areas;
mod audit_trail;
mod auth;
mod authorization;
mod case_lights;
mod case_links;
mod case_photos;
mod cases;
mod comparisons;
mod department_context;
mod fairness;
mod full_reads;
mod grid_counts;
mod homes;
mod lists;
mod live_feed;
mod live_scope;
mod lost_events;
mod outage;
mod pages;
mod plain_nodes;
mod population_changes;
mod registries;
mod relations;
mod residence;
mod residents;
mod rounds;
mod schema;
mod seed;
mod serving;
mod stats;
mod tasks;
mod transfers;
mod verification;
mod viewer;
mod visibility;
mod visits;
mod wire;
