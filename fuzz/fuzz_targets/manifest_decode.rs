//! Manifest files from arbitrary bytes: decoding never panics, and whatever decodes
//! re-encodes to something that decodes to the same manifest, and the head decoded without
//! the fragments says what the whole manifest says.
#![no_main]

use lancer_table::{Manifest, ManifestHead};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let head = ManifestHead::decode(data);
    if let Ok(manifest) = Manifest::decode(data) {
        assert_eq!(head.expect("the head of a manifest that decodes"), ManifestHead::from(&manifest));
        let _ = manifest.indices();
        let _ = manifest.transaction();
        let _ = lancer_table::features::check_writable(&manifest);
        let _ = manifest.schema.to_arrow();
        let again = Manifest::decode(&manifest.encode()).expect("re-encoded manifest decodes");
        assert_eq!(again, manifest);
    }
});
