//! Transactions and their operations as plain data.
//!
//! An [`Operation`] is what a commit does; a [`Transaction`] is an operation plus the version
//! it was built on and its UUID. Operations lancer produces are modelled fully; operations
//! other writers commit (index builds, updates, ...) are recognised by kind and by the
//! fragments they touch, which is all the conflict check needs.

use std::collections::BTreeMap;

use lancer_file::LanceSchema;
use prost::Message;

use crate::error::{Error, Result};
use crate::fragment::Fragment;
use crate::proto::{self, transaction as pb};

/// The kind of an operation, as named in the conflict matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperationKind {
    /// Add fragments.
    Append,
    /// Replace everything.
    Overwrite,
    /// Replace schema and fragment list (add columns).
    Merge,
    /// Delete rows.
    Delete,
    /// Compaction.
    Rewrite,
    /// Restore an old version.
    Restore,
    /// Drop columns.
    Project,
    /// Change configuration.
    UpdateConfig,
    /// Reserve fragment ids.
    ReserveFragments,
    /// Build or drop indices.
    CreateIndex,
    /// Row-level update.
    Update,
    /// Swap data files.
    DataReplacement,
    /// MemWAL bookkeeping.
    UpdateMemWalState,
    /// Clone.
    Clone,
    /// Add base paths.
    UpdateBases,
    /// An operation this version of lancer does not know.
    Unknown,
}

impl OperationKind {
    /// The operation's name.
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::Append => "Append",
            OperationKind::Overwrite => "Overwrite",
            OperationKind::Merge => "Merge",
            OperationKind::Delete => "Delete",
            OperationKind::Rewrite => "Rewrite",
            OperationKind::Restore => "Restore",
            OperationKind::Project => "Project",
            OperationKind::UpdateConfig => "UpdateConfig",
            OperationKind::ReserveFragments => "ReserveFragments",
            OperationKind::CreateIndex => "CreateIndex",
            OperationKind::Update => "Update",
            OperationKind::DataReplacement => "DataReplacement",
            OperationKind::UpdateMemWalState => "UpdateMemWalState",
            OperationKind::Clone => "Clone",
            OperationKind::UpdateBases => "UpdateBases",
            OperationKind::Unknown => "an unknown operation",
        }
    }
}

impl std::fmt::Display for OperationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Changes to a string map: set keys (`Some`) or remove them (`None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapUpdate {
    /// Keys to set or remove.
    pub entries: BTreeMap<String, Option<String>>,
    /// Replace the whole map with the set keys instead of updating it.
    pub replace: bool,
}

impl MapUpdate {
    /// Applies the update to `map`.
    pub fn apply(&self, map: &mut BTreeMap<String, String>) {
        if self.replace {
            map.clear();
        }
        for (key, value) in &self.entries {
            match value {
                Some(value) => map.insert(key.clone(), value.clone()),
                None => map.remove(key),
            };
        }
    }

    fn from_proto(update: Option<&pb::UpdateMap>) -> MapUpdate {
        let Some(update) = update else {
            return MapUpdate::default();
        };
        MapUpdate {
            entries: update
                .update_entries
                .iter()
                .map(|e| (e.key.clone(), e.value.clone()))
                .collect(),
            replace: update.replace,
        }
    }

    fn to_proto(&self) -> Option<pb::UpdateMap> {
        (!self.entries.is_empty() || self.replace).then(|| pb::UpdateMap {
            update_entries: self
                .entries
                .iter()
                .map(|(key, value)| pb::UpdateMapEntry {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
            replace: self.replace,
        })
    }
}

/// A compaction group: fragments replaced by new ones.
#[derive(Clone, Debug, PartialEq)]
pub struct RewriteGroup {
    /// Fragments replaced (real ids).
    pub old_fragments: Vec<Fragment>,
    /// Fragments replacing them (id 0 until committed).
    pub new_fragments: Vec<Fragment>,
}

/// What a commit does.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    /// Add fragments (ids assigned at commit).
    Append {
        /// The new fragments.
        fragments: Vec<Fragment>,
    },
    /// Replace the schema and every fragment; creates a dataset.
    Overwrite {
        /// The new fragments (renumbered at commit).
        fragments: Vec<Fragment>,
        /// The new schema.
        schema: LanceSchema,
        /// Config keys to set.
        config_upsert: BTreeMap<String, String>,
    },
    /// Replace the schema and the whole fragment list, typically to add columns. Every
    /// fragment of the read version must be listed with its row count unchanged.
    Merge {
        /// The complete new fragment list.
        fragments: Vec<Fragment>,
        /// The complete new schema.
        schema: LanceSchema,
        /// Every added column is nullable, so appends may rebase over this merge.
        preserves_nullability: bool,
    },
    /// Replace fragments by versions with new deletion files, drop others entirely.
    Delete {
        /// Fragments with new deletion files (real ids).
        updated_fragments: Vec<Fragment>,
        /// Fragments removed entirely.
        deleted_fragment_ids: Vec<u64>,
        /// The filter that selected the rows.
        predicate: String,
    },
    /// Compaction: groups of fragments replaced by new ones.
    Rewrite {
        /// The groups.
        groups: Vec<RewriteGroup>,
    },
    /// Make a new version with the content of an old one.
    Restore {
        /// The version restored.
        version: u64,
    },
    /// Drop columns: the schema becomes this subset.
    Project {
        /// The remaining schema.
        schema: LanceSchema,
    },
    /// Change table configuration and metadata.
    UpdateConfig {
        /// Config changes.
        config: MapUpdate,
        /// Table metadata changes.
        table_metadata: MapUpdate,
    },
    /// Reserve fragment ids (raises the high-water mark only).
    ReserveFragments {
        /// How many ids.
        num_fragments: u32,
    },
    /// An operation of another writer, known by kind and the fragments it touches.
    Other {
        /// Its kind.
        kind: OperationKind,
        /// Ids of existing fragments it changes or removes.
        touched_fragments: Vec<u64>,
    },
}

impl Operation {
    /// An Overwrite (or the creation of a dataset) with `fragments` and `schema`.
    pub fn overwrite(fragments: Vec<Fragment>, schema: LanceSchema) -> Operation {
        Operation::Overwrite {
            fragments,
            schema,
            config_upsert: BTreeMap::new(),
        }
    }

    /// An Append of `fragments`.
    pub fn append(fragments: Vec<Fragment>) -> Operation {
        Operation::Append { fragments }
    }

    /// A Merge: the complete new fragment list and schema. Appends may rebase over it when
    /// every column it adds is nullable.
    pub fn merge(
        fragments: Vec<Fragment>,
        schema: LanceSchema,
        previous: &LanceSchema,
    ) -> Operation {
        let preserves_nullability = crate::schema::added_fields(&schema, previous)
            .iter()
            .all(|field| field.nullable);
        Operation::Merge {
            fragments,
            schema,
            preserves_nullability,
        }
    }

    /// The operation's kind.
    pub fn kind(&self) -> OperationKind {
        match self {
            Operation::Append { .. } => OperationKind::Append,
            Operation::Overwrite { .. } => OperationKind::Overwrite,
            Operation::Merge { .. } => OperationKind::Merge,
            Operation::Delete { .. } => OperationKind::Delete,
            Operation::Rewrite { .. } => OperationKind::Rewrite,
            Operation::Restore { .. } => OperationKind::Restore,
            Operation::Project { .. } => OperationKind::Project,
            Operation::UpdateConfig { .. } => OperationKind::UpdateConfig,
            Operation::ReserveFragments { .. } => OperationKind::ReserveFragments,
            Operation::Other { kind, .. } => *kind,
        }
    }

    /// Ids of existing fragments the operation modifies or removes.
    pub fn touched_fragments(&self) -> Vec<u64> {
        match self {
            Operation::Delete {
                updated_fragments,
                deleted_fragment_ids,
                ..
            } => updated_fragments
                .iter()
                .map(|f| f.id)
                .chain(deleted_fragment_ids.iter().copied())
                .collect(),
            Operation::Rewrite { groups } => groups
                .iter()
                .flat_map(|g| g.old_fragments.iter().map(|f| f.id))
                .collect(),
            Operation::Other {
                touched_fragments, ..
            } => touched_fragments.clone(),
            _ => Vec::new(),
        }
    }

    /// Config and table-metadata keys the operation sets or removes.
    pub fn touched_keys(&self) -> Vec<&str> {
        match self {
            Operation::UpdateConfig {
                config,
                table_metadata,
            } => config
                .entries
                .keys()
                .chain(table_metadata.entries.keys())
                .map(String::as_str)
                .collect(),
            Operation::Overwrite { config_upsert, .. } => {
                config_upsert.keys().map(String::as_str).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// A commit's change: an operation, the version it was built on, and its UUID.
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    /// The version the change was computed from (0 when creating a dataset).
    pub read_version: u64,
    /// Hyphenated UUID; names the `.txn` file and identifies the commit across retries.
    pub uuid: String,
    /// What the commit does.
    pub operation: Operation,
    /// Free-form properties (e.g. a commit message).
    pub properties: BTreeMap<String, String>,
}

fn fragments_to_proto(fragments: &[Fragment]) -> Vec<proto::DataFragment> {
    fragments.iter().map(Fragment::to_proto).collect()
}

fn fragments_from_proto(fragments: Vec<proto::DataFragment>) -> Vec<Fragment> {
    fragments.into_iter().map(Fragment::from_proto).collect()
}

impl Transaction {
    /// A transaction with a fresh UUID.
    pub fn new(read_version: u64, operation: Operation) -> Self {
        Transaction {
            read_version,
            uuid: crate::naming::new_transaction_uuid(),
            operation,
            properties: BTreeMap::new(),
        }
    }

    /// The `.txn` file name of this transaction.
    pub fn file_name(&self) -> String {
        crate::naming::transaction_file_name(self.read_version, &self.uuid)
    }

    /// The serialized `Transaction` message (the `.txn` file's content).
    pub fn encode(&self) -> Result<Vec<u8>> {
        Ok(self.to_proto()?.encode_to_vec())
    }

    /// Decodes a `.txn` file or inline transaction.
    pub fn decode(bytes: &[u8]) -> Result<Transaction> {
        Transaction::from_proto(proto::Transaction::decode(bytes)?)
    }

    /// The protobuf message. Operations of other writers ([`Operation::Other`]) cannot be
    /// written back, since only their kind is known.
    pub fn to_proto(&self) -> Result<proto::Transaction> {
        use pb::Operation as Op;
        let operation = match &self.operation {
            Operation::Append { fragments } => Op::Append(pb::Append {
                fragments: fragments_to_proto(fragments),
            }),
            Operation::Overwrite {
                fragments,
                schema,
                config_upsert,
            } => Op::Overwrite(pb::Overwrite {
                fragments: fragments_to_proto(fragments),
                schema: schema.to_proto().fields,
                // pylance leaves this empty; lancer keeps it, so the transaction alone says
                // everything about the schema.
                schema_metadata: schema.metadata.clone(),
                config_upsert_values: config_upsert.clone(),
                initial_bases: Vec::new(),
            }),
            Operation::Merge {
                fragments,
                schema,
                preserves_nullability,
            } => Op::Merge(pb::Merge {
                fragments: fragments_to_proto(fragments),
                schema: schema.to_proto().fields,
                schema_metadata: schema.metadata.clone(),
                preserves_nullability: *preserves_nullability,
            }),
            Operation::Delete {
                updated_fragments,
                deleted_fragment_ids,
                predicate,
            } => Op::Delete(pb::Delete {
                updated_fragments: fragments_to_proto(updated_fragments),
                deleted_fragment_ids: deleted_fragment_ids.clone(),
                predicate: predicate.clone(),
            }),
            Operation::Rewrite { groups } => Op::Rewrite(pb::Rewrite {
                old_fragments: Vec::new(),
                new_fragments: Vec::new(),
                groups: groups
                    .iter()
                    .map(|g| pb::RewriteGroup {
                        old_fragments: fragments_to_proto(&g.old_fragments),
                        new_fragments: fragments_to_proto(&g.new_fragments),
                    })
                    .collect(),
                rewritten_indices: Vec::new(),
            }),
            Operation::Restore { version } => Op::Restore(pb::Restore { version: *version }),
            Operation::Project { schema } => Op::Project(pb::Project {
                schema: schema.to_proto().fields,
                preserves_nullability: false,
            }),
            Operation::UpdateConfig {
                config,
                table_metadata,
            } => Op::UpdateConfig(pb::UpdateConfig {
                config_updates: config.to_proto(),
                table_metadata_updates: table_metadata.to_proto(),
                ..Default::default()
            }),
            Operation::ReserveFragments { num_fragments } => {
                Op::ReserveFragments(pb::ReserveFragments {
                    num_fragments: *num_fragments,
                })
            }
            Operation::Other { kind, .. } => {
                return Err(Error::operation(
                    kind.name(),
                    "lancer cannot write this operation",
                ));
            }
        };
        Ok(proto::Transaction {
            read_version: self.read_version,
            uuid: self.uuid.clone(),
            tag: String::new(),
            transaction_properties: self.properties.clone(),
            operation: Some(operation),
        })
    }

    /// Interprets a transaction message (of any writer).
    pub fn from_proto(message: proto::Transaction) -> Result<Transaction> {
        use pb::Operation as Op;
        let other = |kind, touched_fragments| Operation::Other {
            kind,
            touched_fragments,
        };
        let schema = |fields: &[proto::Field], metadata| {
            LanceSchema::from_proto(fields, metadata).map_err(Error::from)
        };
        let operation = match message.operation {
            None => other(OperationKind::Unknown, Vec::new()),
            Some(Op::Append(op)) => Operation::Append {
                fragments: fragments_from_proto(op.fragments),
            },
            Some(Op::Overwrite(op)) => Operation::Overwrite {
                fragments: fragments_from_proto(op.fragments),
                schema: schema(&op.schema, op.schema_metadata)?,
                config_upsert: op.config_upsert_values,
            },
            Some(Op::Merge(op)) => Operation::Merge {
                fragments: fragments_from_proto(op.fragments),
                schema: schema(&op.schema, op.schema_metadata)?,
                preserves_nullability: op.preserves_nullability,
            },
            Some(Op::Delete(op)) => Operation::Delete {
                updated_fragments: fragments_from_proto(op.updated_fragments),
                deleted_fragment_ids: op.deleted_fragment_ids,
                predicate: op.predicate,
            },
            Some(Op::Rewrite(op)) => {
                let mut groups: Vec<RewriteGroup> = op
                    .groups
                    .into_iter()
                    .map(|g| RewriteGroup {
                        old_fragments: fragments_from_proto(g.old_fragments),
                        new_fragments: fragments_from_proto(g.new_fragments),
                    })
                    .collect();
                if !op.old_fragments.is_empty() || !op.new_fragments.is_empty() {
                    groups.push(RewriteGroup {
                        old_fragments: fragments_from_proto(op.old_fragments),
                        new_fragments: fragments_from_proto(op.new_fragments),
                    });
                }
                Operation::Rewrite { groups }
            }
            Some(Op::Restore(op)) => Operation::Restore {
                version: op.version,
            },
            Some(Op::Project(op)) => Operation::Project {
                schema: schema(&op.schema, BTreeMap::new())?,
            },
            Some(Op::UpdateConfig(op)) => {
                let mut config = MapUpdate::from_proto(op.config_updates.as_ref());
                for (key, value) in op.upsert_values {
                    config.entries.insert(key, Some(value));
                }
                for key in op.delete_keys {
                    config.entries.insert(key, None);
                }
                Operation::UpdateConfig {
                    config,
                    table_metadata: MapUpdate::from_proto(op.table_metadata_updates.as_ref()),
                }
            }
            Some(Op::ReserveFragments(op)) => Operation::ReserveFragments {
                num_fragments: op.num_fragments,
            },
            Some(Op::CreateIndex(_)) => other(OperationKind::CreateIndex, Vec::new()),
            Some(Op::Update(op)) => other(
                OperationKind::Update,
                op.removed_fragment_ids
                    .iter()
                    .copied()
                    .chain(op.updated_fragments.iter().map(|f| f.id))
                    .collect(),
            ),
            Some(Op::DataReplacement(op)) => other(
                OperationKind::DataReplacement,
                op.replacements.iter().map(|r| r.fragment_id).collect(),
            ),
            Some(Op::UpdateMemWalState(_)) => other(OperationKind::UpdateMemWalState, Vec::new()),
            Some(Op::Clone(_)) => other(OperationKind::Clone, Vec::new()),
            Some(Op::UpdateBases(_)) => other(OperationKind::UpdateBases, Vec::new()),
        };
        Ok(Transaction {
            read_version: message.read_version,
            uuid: message.uuid,
            operation,
            properties: message.transaction_properties,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (found by the transaction_decode fuzz target): an Overwrite transaction
    /// carrying schema metadata lost it when written back.
    #[test]
    fn overwrite_schema_metadata_survives_a_round_trip() {
        let mut schema = LanceSchema::default();
        schema.metadata.insert(String::new(), Vec::new());
        let transaction = Transaction {
            read_version: 0,
            uuid: String::new(),
            operation: Operation::Overwrite {
                fragments: Vec::new(),
                schema,
                config_upsert: BTreeMap::new(),
            },
            properties: BTreeMap::new(),
        };
        assert_eq!(
            Transaction::decode(&transaction.encode().unwrap()).unwrap(),
            transaction
        );
    }
}
