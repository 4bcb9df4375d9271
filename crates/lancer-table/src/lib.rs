//! The Lance table format as pure data: manifests, fragments, transactions, and the rules
//! that take one version of a dataset to the next.
//!
//! Nothing here touches storage. `lancer-commit` reads and writes the bytes this crate
//! encodes and decodes; this crate decides what they mean:
//!
//! - [`Manifest`]: one version (schema, fragments, format, flags), and the manifest file
//!   layout ([`Manifest::decode`], [`Manifest::encode`]) with unknown fields preserved;
//! - [`Fragment`]: fragment metadata, with JSON identical to pylance's
//!   `FragmentMetadata.to_json()` ([`Fragment::to_json`], [`fragments_from_json`]) and strict
//!   validation of fragments that come from workers;
//! - [`Transaction`] and [`Operation`]: what a commit does, as stored in `.txn` files;
//! - [`next_manifest`]: `(previous, transaction) -> next` for every operation;
//! - [`conflict`]: the conflict matrix, deciding whether a transaction built on an older
//!   version can be rebased over what was committed since;
//! - [`naming`]: manifest names (both schemes), transaction and data file names, the
//!   version hint; [`features`]: feature flags.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_schema::{DataType, Field, Schema};
//! use lancer_file::{FileVersion, LanceSchema};
//! use lancer_table::{CommitInfo, DataFile, Fragment, Operation, Transaction, next_manifest, proto};
//!
//! let schema = LanceSchema::from_arrow(&Schema::new(vec![Field::new("a", DataType::Int32, true)])).unwrap();
//! let file = |name: &str| DataFile::new(name, vec![0], vec![0], FileVersion::V2_0, 274);
//! let create = Transaction::new(0, Operation::Overwrite {
//!     fragments: vec![Fragment::new(file("w1.lance"), 3), Fragment::new(file("w2.lance"), 3)],
//!     schema,
//!     config_upsert: Default::default(),
//! });
//! let info = CommitInfo { version: 1, timestamp: proto::Timestamp::default(), restored: None };
//! let v1 = next_manifest(None, &create, info).unwrap();
//! assert_eq!(v1.fragments.iter().map(|f| f.id).collect::<Vec<_>>(), vec![0, 1]);
//! assert_eq!(v1.max_fragment_id, Some(1));
//!
//! // One data file in two fragments would count its rows twice: refused.
//! let twice = Transaction::new(1, Operation::append(vec![Fragment::new(file("w1.lance"), 3)]));
//! let info = CommitInfo { version: 2, timestamp: proto::Timestamp::default(), restored: None };
//! assert!(next_manifest(Some(&v1), &twice, info).is_err());
//!
//! // The manifest file round trips byte for byte.
//! let bytes = v1.encode();
//! assert_eq!(lancer_table::Manifest::decode(&bytes).unwrap().encode(), bytes);
//! ```
#![deny(missing_docs)]

mod apply;
pub mod conflict;
mod error;
pub mod features;
mod fragment;
mod json;
mod listed_once;
mod manifest;
pub mod naming;
mod operation;
pub mod proto;
mod schema;
mod splice;
mod wire;

pub use apply::{CommitInfo, DEFAULT_FILE_VERSION, INLINE_TRANSACTION_LIMIT, next_manifest};
pub use conflict::{Verdict, check_all};
pub use error::{Error, Result};
pub use fragment::{
    CarriedParts, DataFile, DeletionFile, DeletionFileType, Fragment, MAX_FRAGMENT_ID,
    check_relative_path,
};
pub use json::{fragments_from_json, fragments_to_json};
pub use manifest::{DataFormat, Manifest, ManifestHead, WRITER_LIBRARY};
pub use naming::ManifestNaming;
pub use operation::{MapUpdate, Operation, OperationKind, RewriteGroup, Transaction};
pub use schema::{add_fields, added_fields, drop_fields};
