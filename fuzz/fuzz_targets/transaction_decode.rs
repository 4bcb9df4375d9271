//! Transaction files from arbitrary bytes: decoding and the conflict check never panic.
#![no_main]

use lancer_table::{Transaction, conflict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(transaction) = Transaction::decode(data) {
        let _ = transaction.operation.touched_fragments();
        let _ = conflict::check(&transaction.operation, &transaction.operation, 1);
        if let Ok(bytes) = transaction.encode() {
            let again = Transaction::decode(&bytes).expect("re-encoded transaction decodes");
            assert_eq!(again, transaction);
        }
    }
});
