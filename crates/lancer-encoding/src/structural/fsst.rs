//! FSST decompression: a page's symbol table parsed once, strings decompressed one by one
//! (mini-block chunks and full-zip values both use it).

use super::bits::{read_uint, slice};
use super::values::Values;
use crate::error::{Result, corrupt};

/// A parsed FSST symbol table.
pub(crate) struct FsstTable {
    switched_on: bool,
    count: usize,
    /// Every code's 8 symbol bytes and length; a length of 0 marks a code the table lacks.
    symbols: [[u8; 8]; 256],
    lengths: [u8; 256],
}

impl FsstTable {
    pub(crate) fn parse(table: &[u8]) -> Result<FsstTable> {
        const MAGIC: u64 = 0x4653_5354;
        let info = read_uint(table, 0, 8)?;
        if info >> 32 != MAGIC {
            return Err(corrupt("FSST symbol table without its magic"));
        }
        let count = (info & 0xFF) as usize;
        let stored = slice(table, 8, count * 8, "FSST symbols")?;
        let stored_lengths = slice(table, 8 + count * 8, count, "FSST symbol lengths")?;
        let mut symbols = [[0u8; 8]; 256];
        let mut lengths = [0u8; 256];
        for code in 0..count {
            let length = stored_lengths[code];
            if !(1..=8).contains(&length) {
                return Err(corrupt("FSST symbol of a length outside 1..=8"));
            }
            symbols[code].copy_from_slice(&stored[code * 8..code * 8 + 8]);
            lengths[code] = length;
        }
        Ok(FsstTable {
            switched_on: (info >> 24) & 0xFF != 0,
            count,
            symbols,
            lengths,
        })
    }

    /// Decompresses one string, appending it to `out`: each byte is a symbol code, except
    /// 0xFF which escapes the next byte.
    pub(crate) fn decompress_into(&self, compressed: &[u8], out: &mut Vec<u8>) -> Result<()> {
        const ESCAPE: u8 = 0xFF;
        if !self.switched_on {
            out.extend_from_slice(compressed);
            return Ok(());
        }
        // Symbols expand to at most 8 bytes: one reservation covers the string.
        out.reserve(compressed.len() * 8);
        let mut i = 0;
        while i < compressed.len() {
            let code = compressed[i];
            if code == ESCAPE {
                let literal = *compressed
                    .get(i + 1)
                    .ok_or_else(|| corrupt("FSST escape at the end of a string"))?;
                out.push(literal);
                i += 2;
            } else {
                let length = self.lengths[code as usize] as usize;
                if length == 0 {
                    return Err(corrupt(format!(
                        "FSST code {code} of a {}-symbol table",
                        self.count
                    )));
                }
                // Write all 8 bytes, keep `length` of them.
                let end = out.len() + length;
                out.extend_from_slice(&self.symbols[code as usize]);
                out.truncate(end);
                i += 1;
            }
        }
        Ok(())
    }
}

/// FSST-compressed strings (`offsets` into `data`) decompressed.
pub(crate) fn fsst_decompress(table: &[u8], offsets: &[u64], data: &[u8]) -> Result<Values> {
    let table = FsstTable::parse(table)?;
    let mut out_offsets = Vec::with_capacity(offsets.len());
    out_offsets.push(0u64);
    let mut out: Vec<u8> = Vec::with_capacity(data.len() * 3);
    for pair in offsets.windows(2) {
        table.decompress_into(&data[pair[0] as usize..pair[1] as usize], &mut out)?;
        out_offsets.push(out.len() as u64);
    }
    Ok(Values::Variable {
        offsets: out_offsets,
        data: out,
    })
}
