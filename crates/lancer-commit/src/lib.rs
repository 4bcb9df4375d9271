//! Versions of a Lance dataset on an object store, and the commit protocol that adds them.
//!
//! [`DatasetStore`] is a dataset on any `object_store` store (local filesystem, memory,
//! S3, Azure, GCS): it lists versions, finds the latest, reads manifests and transactions,
//! and [commits](DatasetStore::commit) a [`Transaction`](lancer_table::Transaction) as the
//! next version — exactly once, while other lancer or pylance writers commit concurrently.
//! The manifest is created with an atomic create-if-absent; conflicting concurrent commits
//! are judged by lancer-table's conflict matrix; a commit re-run with the same transaction
//! id never commits twice. See [`commit`] for the protocol and why it is safe.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use arrow_schema::{DataType, Field, Schema};
//! use lancer_commit::{CommitOptions, DatasetStore};
//! use lancer_file::{FileVersion, LanceSchema};
//! use lancer_table::{DataFile, Fragment, Operation, Transaction};
//! use object_store::{memory::InMemory, path::Path};
//!
//! let dataset = DatasetStore::new(Arc::new(InMemory::new()), Path::from("my_dataset"));
//! let schema = LanceSchema::from_arrow(&Schema::new(vec![Field::new("a", DataType::Int32, true)])).unwrap();
//! let file = DataFile::new("w1.lance", vec![0], vec![0], FileVersion::V2_0, 274);
//! let create = Transaction::new(0, Operation::Overwrite {
//!     fragments: vec![Fragment::new(file, 3)],
//!     schema,
//!     config_upsert: Default::default(),
//! });
//! let committed = dataset.commit(&create, &CommitOptions::default()).await.unwrap();
//! assert_eq!(committed.version, 1);
//! // Running the same transaction again does not create version 2.
//! let again = dataset.commit(&create, &CommitOptions::default()).await.unwrap();
//! assert!(again.already_committed && again.version == 1);
//! # });
//! ```
#![deny(missing_docs)]

pub mod commit;
mod error;
pub mod store;
mod versions;

pub use commit::{CommitOptions, Committed};
pub use error::{CommitError, Result};
pub use store::{StoreOptions, local_dir, open_store};
pub use versions::{DatasetStore, VersionEntry};
