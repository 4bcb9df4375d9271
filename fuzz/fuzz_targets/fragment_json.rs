//! Fragment JSON from workers: parsing and validation never panic, and an accepted fragment
//! prints JSON that parses back to the same fragment.
#![no_main]

use lancer_table::{Fragment, fragments_from_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(fragments) = fragments_from_json(text) {
        for fragment in fragments {
            let again = Fragment::from_json(&fragment.to_json()).expect("printed JSON parses");
            assert_eq!(again, fragment);
        }
    }
});
