//! Renaming columns and changing their nullability: a Project with the same field ids.

use lancer_table::Operation;

use crate::commit::CommitParams;
use crate::dataset::Dataset;
use crate::error::{Error, Result};

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
pub(super) fn locate<'a>(
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
