//! gridgov: one GraphQL API over a grid-governed city's areas, population,
//! cases and tasks, every answer cut to what the caller may see.

pub mod admission;
pub mod audit;
pub mod auth;
pub mod bulk_writer;
pub mod caller;
pub mod comparing;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod photos;
pub mod seed;
pub mod server;
