//! Just enough of the protobuf wire format to keep fields lancer does not model.
//!
//! prost drops unknown fields when decoding. A manifest written by a newer pylance may carry
//! fields lancer does not know; rewriting that manifest must not silently lose them, so the
//! raw bytes of every field whose tag is not declared are collected here and appended again
//! when the manifest is encoded (protobuf allows fields in any order).

use crate::error::{Error, Result};

fn varint(bytes: &[u8], at: &mut usize) -> Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes
            .get(*at)
            .ok_or_else(|| Error::corrupt("protobuf varint runs past the end"))?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Error::corrupt("protobuf varint longer than 10 bytes"))
}

/// One top-level field of a protobuf message.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) tag: u32,
    pub(crate) wire_type: u8,
    /// The whole field: key and value.
    pub(crate) range: std::ops::Range<usize>,
    /// Where the value starts (after the key); a length-delimited value starts with its
    /// length.
    pub(crate) value_start: usize,
}

/// Length-delimited: strings, bytes, messages.
pub(crate) const LENGTH_DELIMITED: u8 = 2;

/// Calls `visit` with every top-level field of `message`, in order.
pub(crate) fn for_each_field(message: &[u8], mut visit: impl FnMut(Field)) -> Result<()> {
    let mut at = 0;
    while at < message.len() {
        let start = at;
        let key = varint(message, &mut at)?;
        let tag = key >> 3;
        let value_start = at;
        let end = match key & 7 {
            0 => {
                varint(message, &mut at)?;
                at
            }
            1 => at + 8,
            2 => {
                let len = varint(message, &mut at)?;
                at.checked_add(
                    usize::try_from(len)
                        .map_err(|_| Error::corrupt("protobuf length overflows"))?,
                )
                .ok_or_else(|| Error::corrupt("protobuf length overflows"))?
            }
            5 => at + 4,
            wire => {
                return Err(Error::corrupt(format!(
                    "unsupported protobuf wire type {wire} (tag {tag})"
                )));
            }
        };
        if end > message.len() {
            return Err(Error::corrupt(format!(
                "protobuf field {tag} runs past the end"
            )));
        }
        if tag == 0 || tag > u64::from(u32::MAX >> 3) {
            return Err(Error::corrupt(format!(
                "protobuf field with invalid tag {tag}"
            )));
        }
        visit(Field {
            tag: tag as u32,
            wire_type: (key & 7) as u8,
            range: start..end,
            value_start,
        });
        at = end;
    }
    Ok(())
}

/// The raw bytes (key and value) of every top-level field of `message` whose tag is not in
/// `known`, in their original order.
pub(crate) fn unknown_fields(message: &[u8], known: &[u32]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for_each_field(message, |field| {
        if !known.contains(&field.tag) {
            out.extend_from_slice(&message[field.range]);
        }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_unknown_fields() {
        // tag 1 varint 5; tag 22 length-delimited "ab"; tag 3 fixed64; tag 99 fixed32
        let mut message = vec![0x08, 0x05];
        message.extend([0xb2, 0x01, 0x02, b'a', b'b']);
        message.extend([0x19, 1, 2, 3, 4, 5, 6, 7, 8]);
        message.extend([0x9d, 0x06, 9, 9, 9, 9]);
        let unknown = unknown_fields(&message, &[1, 3]).unwrap();
        assert_eq!(
            unknown,
            vec![0xb2, 0x01, 0x02, b'a', b'b', 0x9d, 0x06, 9, 9, 9, 9]
        );
    }

    #[test]
    fn truncated_input_is_an_error() {
        assert!(unknown_fields(&[0xb2, 0x01, 0x05, b'a'], &[]).is_err());
        assert!(unknown_fields(&[0x08], &[]).is_err());
        assert!(unknown_fields(&[0x0b], &[]).is_err()); // wire type 3 (groups) is not supported
    }
}
