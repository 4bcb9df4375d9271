//! Changing a dataset's schema or version without rewriting data: dropping columns (a
//! Project), adding all-null columns (a Merge with no new files), adding columns read from a
//! stream (`reader.rs`), renaming columns or changing their nullability (`alter.rs`), and
//! restoring an old version (a Restore). Each commits on the version it was called on, so a concurrent
//! commit that conflicts is caught as for any other operation.

use arrow_schema::{Field, Schema};
use lancer_file::LanceSchema;
use lancer_table::{Operation, add_fields};

mod alter;
mod reader;

pub use alter::ColumnAlteration;

use crate::commit::CommitParams;
use crate::dataset::Dataset;
use crate::error::{Error, Result};

impl Dataset {
    /// A new version without the top-level columns `names`; data files are kept (files
    /// holding only dropped columns leave their fragments). Dropping every column, or one
    /// the dataset does not have, is refused; so is a field inside a struct (its files
    /// would still hold it).
    pub async fn drop_columns<S: AsRef<str>>(
        &self,
        names: &[S],
        params: &CommitParams,
    ) -> Result<Dataset> {
        let mut kept = self.schema().clone();
        for name in names {
            let name = name.as_ref();
            if name.contains('.') && kept.field(name).is_none() {
                return Err(Error::unsupported(format!(
                    "dropping `{name}`, a field inside a struct (drop the whole column)"
                )));
            }
            let (siblings, index) = alter::locate(&mut kept.fields, name)?;
            siblings.remove(index);
            if siblings.is_empty() {
                return Err(Error::invalid_input(
                    "cannot drop every column of a dataset",
                ));
            }
        }
        let operation = Operation::Project { schema: kept };
        Dataset::commit(self.uri(), operation, self.version(), params).await
    }

    /// A new version with the columns `fields` added, null in every row, without writing
    /// any data (readers fill columns no file holds with nulls). Each field must be
    /// nullable and new.
    pub async fn add_null_columns(
        &self,
        fields: &[Field],
        params: &CommitParams,
    ) -> Result<Dataset> {
        if fields.is_empty() {
            return Err(Error::invalid_input("no columns to add"));
        }
        let storable =
            crate::write::conform::storable_schema(&arrow_schema::Schema::new(fields.to_vec()))?;
        let fields: Vec<Field> = storable
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        if let Some(field) = fields.iter().find(|f| !f.is_nullable()) {
            return Err(Error::invalid_input(format!(
                "a column added without data must be nullable, and `{}` is not",
                field.name()
            )));
        }
        let schema = add_fields(self.manifest(), &fields)?;
        let operation = Operation::merge(self.manifest().fragments.to_vec(), schema, self.schema());
        Dataset::commit(self.uri(), operation, self.version(), params).await
    }

    /// A new latest version with this version's content (as pylance, restoring the latest
    /// version makes a new version equal to it).
    pub async fn restore(&self, params: &CommitParams) -> Result<Dataset> {
        let latest = self.latest_version().await?;
        let operation = Operation::Restore {
            version: self.version(),
        };
        Dataset::commit(self.uri(), operation, latest, params).await
    }
}

/// The Project schema for an Arrow schema naming some of the dataset's columns: each must
/// be a column of `schema`, with its type; the field ids are the dataset's.
pub fn projected_schema(schema: &LanceSchema, arrow: &Schema) -> Result<LanceSchema> {
    let mut kept = schema.clone();
    kept.fields.clear();
    for wanted in arrow.fields() {
        let field = schema.field(wanted.name()).ok_or_else(|| {
            Error::invalid_input(format!(
                "column `{}` does not exist in the dataset",
                wanted.name()
            ))
        })?;
        let have = field.to_arrow()?;
        if have.data_type() != wanted.data_type() {
            return Err(Error::invalid_input(format!(
                "column `{}` is {} in the dataset, not {}",
                wanted.name(),
                have.data_type(),
                wanted.data_type()
            )));
        }
        kept.fields.push(field.clone());
    }
    Ok(kept)
}
