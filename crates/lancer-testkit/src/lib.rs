//! Test support shared by lancer's crates (not published).
//!
//! * [`random`]: deterministic random Arrow arrays of any supported type, with nulls, for
//!   property tests, interop cases and benchmarks.
//! * [`oracle`]: the pylance 14.0.2 virtualenv `cargo xtask test` installs, and the rule for
//!   tests that need it: under `cargo xtask test` a missing oracle is a failure; under a plain
//!   `cargo test` the test says loudly that it did not run.
//! * [`compare`]: equality of batches the way the interop checks define it (dictionary
//!   columns compared by their decoded values).
//! * [`files`]: snapshots and copies of datasets on disk, for showing a refusal changed
//!   nothing.
//! * [`inputs`]: Parquet and IPC files written by pyarrow, Polars and DuckDB, and pylance's
//!   reading of datasets made from them.
//! * [`mutate`]: fragment JSON changed the way a broken or hostile worker might, driven by
//!   bytes (a fuzzer's input or a seeded test).
#![deny(missing_docs)]

pub mod cases;
pub mod compare;
pub mod files;
pub mod inputs;
pub mod mutate;
pub mod oracle;
pub mod random;
pub mod servers;
pub mod strategy;
