//! The command line's larger subcommands, one module each; the small ones
//! and the shared helpers (`print_lines`, `failed`) stay in `main.rs`.

pub mod policy;
