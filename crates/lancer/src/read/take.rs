//! Rows by position: `take` of a dataset version (offsets among its visible rows), in the
//! order asked, repeats allowed, as pylance's `take` (`DatasetFragment::take` uses it for
//! one fragment).

use arrow_array::{RecordBatch, UInt64Array};
use futures::TryStreamExt;
use lancer_table::Fragment;

use crate::dataset::Dataset;
use crate::error::{Error, Result};

impl Dataset {
    /// The rows at `offsets` (positions among the version's visible rows, deleted rows not
    /// counted), in the order given, with `columns` (every column when None; names as
    /// [`Scanner::project`](crate::Scanner::project) takes them). An offset past the last
    /// row is an error.
    ///
    /// Each fragment holding a wanted row is read once, its projected columns only.
    pub async fn take(&self, offsets: &[u64], columns: Option<&[String]>) -> Result<RecordBatch> {
        let mut starts = Vec::with_capacity(self.manifest.fragments.len());
        let mut total = 0u64;
        for fragment in self.manifest.fragments.iter() {
            starts.push(total);
            total += self.visible_rows(fragment).await?;
        }
        let mut wanted = Vec::with_capacity(offsets.len());
        for &offset in offsets {
            if offset >= total {
                return Err(Error::invalid_input(format!(
                    "row offset {offset} is past the end of version {} ({total} rows)",
                    self.version()
                )));
            }
            let index = starts.partition_point(|&start| start <= offset) - 1;
            wanted.push((index, offset - starts[index]));
        }
        self.take_from(&wanted, columns).await
    }

    pub(crate) async fn visible_rows(&self, fragment: &Fragment) -> Result<u64> {
        if let Some(rows) = fragment.num_rows() {
            return Ok(rows);
        }
        // Metadata without row counts (written by old Lance versions): count by reading.
        let no_columns: [&str; 0] = [];
        let batches: Vec<RecordBatch> = self
            .scan()
            .project(&no_columns)
            .with_fragments(&[fragment.id])
            .try_into_stream()?
            .try_collect()
            .await?;
        Ok(batches.iter().map(|b| b.num_rows() as u64).sum())
    }

    /// Rows given as (index of the fragment in the manifest, visible offset in it).
    pub(crate) async fn take_from(
        &self,
        wanted: &[(usize, u64)],
        columns: Option<&[String]>,
    ) -> Result<RecordBatch> {
        let mut scan = self.scan();
        if let Some(columns) = columns {
            scan = scan.project(columns);
        }
        let schema = scan.schema()?;
        let mut touched: Vec<usize> = wanted.iter().map(|(index, _)| *index).collect();
        touched.sort_unstable();
        touched.dedup();
        let mut parts = Vec::with_capacity(touched.len());
        let mut bases = Vec::with_capacity(touched.len());
        let mut base = 0u64;
        for &index in &touched {
            let id = self.manifest.fragments[index].id;
            let rows = scan.clone().with_fragments(&[id]).to_batch().await?;
            bases.push(base);
            base += rows.num_rows() as u64;
            parts.push(rows);
        }
        let all = arrow_select::concat::concat_batches(&schema, &parts)?;
        let mut positions = Vec::with_capacity(wanted.len());
        for &(index, offset) in wanted {
            let part = touched.binary_search(&index).expect("listed above");
            if offset >= parts[part].num_rows() as u64 {
                // The metadata promised more rows than the files hold.
                return Err(Error::new(
                    crate::ErrorKind::Corrupt,
                    format!(
                        "fragment {} holds {} visible rows, fewer than its metadata says",
                        self.manifest.fragments[index].id,
                        parts[part].num_rows()
                    ),
                ));
            }
            positions.push(bases[part] + offset);
        }
        let positions = UInt64Array::from(positions);
        Ok(arrow_select::take::take_record_batch(&all, &positions)?)
    }
}
