//! Footer, offset tables, file descriptor, schema and column metadata parsed from arbitrary
//! bytes: errors are fine, panics, hangs and huge allocations are not.
#![no_main]

use lancer_file::{MetadataParse, parse_metadata};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // As a whole file, and as the tail of a larger file (which may ask for more bytes).
    for file_size in [data.len() as u64, data.len() as u64 + 4096] {
        if let Ok(MetadataParse::Parsed(metadata)) = parse_metadata(data, file_size) {
            let _ = metadata.schema.to_arrow();
            let _ = metadata.schema.validate();
        }
    }
});
