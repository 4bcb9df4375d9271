//! How many bytes each column of a data file takes: the buffers of its pages, per
//! top-level field (a field's leaf or child columns summed).

use lancer_file::{FileReader, FileVersion};

/// Bytes of page buffers per top-level field of the file `reader` opened, in schema order.
pub fn field_bytes(reader: &FileReader) -> Vec<(String, u64)> {
    let arrow = reader.schema().to_arrow().expect("the file's schema");
    let columns = &reader.metadata().columns;
    let mut next = 0;
    let mut out = Vec::new();
    for field in arrow.fields() {
        let count = match reader.version() {
            FileVersion::V2_0 => lancer_encoding::column_count(field.data_type()),
            _ => lancer_encoding::leaf_count(field.data_type()),
        };
        let bytes = columns[next..next + count]
            .iter()
            .flat_map(|c| &c.pages)
            .map(|p| p.bytes())
            .sum();
        next += count;
        out.push((field.name().clone(), bytes));
    }
    out
}
