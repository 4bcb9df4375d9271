//! Mutating a valid page with the fuzzer's bytes: each 3 bytes XOR one byte of the target
//! (a 16-bit position, wrapped, and the bits to flip), so a small input reaches deep into a
//! page that still parses.

pub fn mutate(target: &mut [u8], mutations: &[u8]) {
    for m in mutations.chunks_exact(3) {
        if target.is_empty() {
            return;
        }
        let at = u16::from_le_bytes([m[0], m[1]]) as usize % target.len();
        target[at] ^= m[2];
    }
}
