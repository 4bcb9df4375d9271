//! One module per subcommand.

pub mod commit;
pub mod demo;
pub mod inspect;
pub mod merge;
pub mod write;
