//! Manifest files from arbitrary bytes: decoding never panics, and whatever decodes
//! re-encodes to something that decodes to the same manifest.
#![no_main]

use lancer_table::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = Manifest::decode(data) {
        let _ = manifest.indices();
        let _ = manifest.transaction();
        let _ = lancer_table::features::check_writable(&manifest);
        let _ = manifest.schema.to_arrow();
        let again = Manifest::decode(&manifest.encode()).expect("re-encoded manifest decodes");
        assert_eq!(again, manifest);
    }
});
