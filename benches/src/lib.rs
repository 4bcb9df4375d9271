//! Benchmarks for lancer.
//!
//! * `benches/encoding.rs` and `benches/file.rs`: criterion micro-benchmarks (page encode and
//!   decode per type family, file write and read in memory); `cargo xtask bench --criterion`.
//! * `src/bin/compare.rs`: lancer and pylance side by side on the reference table
//!   ([`reference`]); `cargo xtask bench`.
#![deny(missing_docs)]

pub mod reference;
