//! Reading: scans of a version (fragments in order, deleted rows filtered out) and the
//! deletion files they need.

pub(crate) mod deletion;
mod projection;
mod scan;
mod take;

use crate::dataset::Dataset;

pub use projection::{ROW_ADDRESS, ROW_ID};
pub use scan::Scanner;
pub(crate) use scan::fragment_stream;

impl Dataset {
    /// A scan of this version (all columns, all fragments unless narrowed).
    pub fn scan(&self) -> Scanner {
        Scanner::new(self.clone())
    }
}
