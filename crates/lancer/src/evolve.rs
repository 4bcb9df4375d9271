//! Changing a dataset's schema or version without rewriting data: dropping columns (a
//! Project), adding all-null columns (a Merge with no new files), and restoring an old
//! version (a Restore). Each commits on the version it was called on, so a concurrent
//! commit that conflicts is caught as for any other operation.

use arrow_schema::Field;
use lancer_table::{Operation, add_fields};

use crate::commit::CommitParams;
use crate::dataset::Dataset;
use crate::error::{Error, Result};

impl Dataset {
    /// A new version without the top-level columns `names`; data files are kept (files
    /// holding only dropped columns leave their fragments). Dropping every column, or one
    /// the dataset does not have, is refused.
    pub async fn drop_columns<S: AsRef<str>>(
        &self,
        names: &[S],
        params: &CommitParams,
    ) -> Result<Dataset> {
        let schema = self.schema();
        for name in names {
            if schema.field(name.as_ref()).is_none() {
                return Err(Error::invalid_input(format!(
                    "column `{}` does not exist in the dataset",
                    name.as_ref()
                )));
            }
        }
        let mut kept = schema.clone();
        kept.fields
            .retain(|f| !names.iter().any(|name| name.as_ref() == f.name));
        if kept.fields.is_empty() {
            return Err(Error::invalid_input(
                "cannot drop every column of a dataset",
            ));
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
        let operation = Operation::merge(self.manifest().fragments.clone(), schema, self.schema());
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

/// One change of [`Dataset::alter_columns`]: the column at `path` (a top-level name, or a
/// dotted path into structs) renamed and/or made nullable or not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnAlteration {
    path: String,
    rename: Option<String>,
    nullable: Option<bool>,
}

impl ColumnAlteration {
    /// A change of the column at `path`.
    pub fn new(path: impl Into<String>) -> Self {
        ColumnAlteration {
            path: path.into(),
            ..Default::default()
        }
    }

    /// Gives the column a new name (within its parent).
    pub fn rename(mut self, name: impl Into<String>) -> Self {
        self.rename = Some(name.into());
        self
    }

    /// Makes the column nullable, or not (checked: it must hold no null).
    pub fn nullable(mut self, nullable: bool) -> Self {
        self.nullable = Some(nullable);
        self
    }
}

impl Dataset {
    /// A new version with columns renamed or their nullability changed, without rewriting
    /// data (field ids stay, so files and indices still find them). Making a column
    /// non-nullable reads it first: a null in any visible row refuses the change.
    pub async fn alter_columns(
        &self,
        alterations: &[ColumnAlteration],
        params: &CommitParams,
    ) -> Result<Dataset> {
        let mut schema = self.schema().clone();
        for alteration in alterations {
            if alteration.nullable == Some(false) {
                self.check_no_nulls(&alteration.path).await?;
            }
            let top_level = !alteration.path.contains('.');
            let (siblings, index) = locate(&mut schema.fields, &alteration.path)?;
            if let Some(name) = &alteration.rename {
                if name.is_empty() || (top_level && name.contains('.')) {
                    return Err(Error::invalid_input(format!(
                        "`{name}` cannot name a column (empty, or a dot in a top-level name)"
                    )));
                }
                if siblings
                    .iter()
                    .enumerate()
                    .any(|(i, f)| i != index && &f.name == name)
                {
                    return Err(Error::invalid_input(format!(
                        "cannot rename `{}` to `{name}`: a column of that name exists",
                        alteration.path
                    )));
                }
                siblings[index].name = name.clone();
            }
            if let Some(nullable) = alteration.nullable {
                siblings[index].nullable = nullable;
            }
        }
        schema.validate()?;
        let operation = Operation::Project { schema };
        Dataset::commit(self.uri(), operation, self.version(), params).await
    }

    async fn check_no_nulls(&self, path: &str) -> Result<()> {
        use futures::TryStreamExt;
        let mut batches = self.scan().project(&[path]).try_into_stream()?;
        while let Some(batch) = batches.try_next().await? {
            if batch.column(0).null_count() > 0 {
                return Err(Error::invalid_input(format!(
                    "column `{path}` holds nulls and cannot be made non-nullable"
                )));
            }
        }
        Ok(())
    }
}

/// The list holding the field at the dotted `path`, and the field's index in it.
fn locate<'a>(
    fields: &'a mut Vec<lancer_file::LanceField>,
    path: &str,
) -> Result<(&'a mut Vec<lancer_file::LanceField>, usize)> {
    let missing = || Error::invalid_input(format!("column `{path}` does not exist in the dataset"));
    // A top-level name never holds a dot, so the first segment is the top-level field.
    let mut parts = path.split('.');
    let first = parts.next().ok_or_else(missing)?;
    let mut siblings = fields;
    let mut index = siblings
        .iter()
        .position(|f| f.name == first)
        .ok_or_else(missing)?;
    for part in parts {
        siblings = &mut siblings[index].children;
        index = siblings
            .iter()
            .position(|f| f.name == part)
            .ok_or_else(missing)?;
    }
    Ok((siblings, index))
}
