//! Benchmarks for lancer.
//!
//! * `benches/encoding.rs` and `benches/file.rs`: criterion micro-benchmarks (page encode and
//!   decode per type family, file write and read in memory); `cargo xtask bench --criterion`.
//! * `src/bin/bench/`: lancer and pylance side by side on the reference table
//!   ([`reference`]), every case measured in its own process ([`measure`]), with a report
//!   in `target/bench/`; `cargo xtask bench`.
#![deny(missing_docs)]

pub mod measure;
pub mod reference;
pub mod sizes;
