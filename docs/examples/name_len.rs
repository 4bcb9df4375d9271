//! A value function for `lancer merge-columns --exec`, in Rust: Arrow IPC in on stdin, out
//! on stdout. Build it as its own small binary (dependencies: arrow-array, arrow-ipc,
//! arrow-schema) and pass its path to `--exec`.

use std::io::{BufReader, stdin, stdout};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Int32Array, RecordBatch};
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = Arc::new(Schema::new(vec![Field::new("name_len", DataType::Int32, true)]));
    let mut writer = StreamWriter::try_new(stdout(), &schema)?;
    for batch in StreamReader::try_new(BufReader::new(stdin()), None)? {
        let batch = batch?;
        let lengths: Int32Array = batch.column_by_name("name").ok_or("no `name` column")?.as_string::<i32>()
            .iter().map(|name| name.map(|n| n.chars().count() as i32)).collect();
        writer.write(&RecordBatch::try_new(schema.clone(), vec![Arc::new(lengths)])?)?;
    }
    writer.finish()?;
    Ok(())
}
