//! One module per capability of the facade (write, commit, merge, compact, cleanup, read, validate), plus the
//! demo; each holds its subcommands.

pub mod cleanup;
pub mod commit;
pub mod compact;
pub mod demo;
pub mod merge;
pub mod read;
pub mod validate;
pub mod write;
