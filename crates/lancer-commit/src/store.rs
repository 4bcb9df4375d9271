//! Opening the object store a dataset URI names.
//!
//! Local paths and `file://` URIs use the local filesystem; `s3://`, `az://` (and the other
//! Azure schemes) and `gs://` use the matching object_store backend when the crate feature
//! is enabled, configured from the options given and the usual environment variables.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;

use crate::error::{CommitError, Result};

/// Options for the store a URI names (e.g. `aws_region`, `azure_storage_account_name`), as
/// object_store's builders accept them.
#[derive(Clone, Default)]
pub struct StoreOptions {
    options: Vec<(String, String)>,
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values are often credentials: only the keys are shown.
        f.debug_list()
            .entries(self.options.iter().map(|(k, _)| k))
            .finish()
    }
}

impl StoreOptions {
    /// Adds an option.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// The options.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.options.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The store and the dataset root inside it for `uri` (a local path or a URL).
pub fn open_store(uri: &str, options: &StoreOptions) -> Result<(Arc<dyn ObjectStore>, Path)> {
    if !uri.contains("://") && !uri.starts_with("file:") {
        return local(std::path::Path::new(uri));
    }
    let url = url::Url::parse(uri)
        .map_err(|e| CommitError::InvalidUri(format!("`{}`: {e}", redact(uri))))?;
    match url.scheme() {
        "file" => {
            let path = url.to_file_path().map_err(|_| {
                CommitError::InvalidUri(format!("`{}` is not a local path", redact(uri)))
            })?;
            local(&path)
        }
        scheme @ ("s3" | "s3a" | "az" | "adl" | "azure" | "abfs" | "abfss" | "gs") => {
            let (store, path) =
                object_store::parse_url_opts(&url, options.iter()).map_err(|e| match e {
                    object_store::Error::Generic {
                        store: "parse_url", ..
                    } => CommitError::InvalidUri(format!(
                        "`{scheme}://` needs lancer built with the `{}` feature",
                        match scheme {
                            "gs" => "gcp",
                            "s3" | "s3a" => "aws",
                            _ => "azure",
                        }
                    )),
                    other => CommitError::Io(other),
                })?;
            Ok((Arc::from(store), path))
        }
        other => Err(CommitError::InvalidUri(format!(
            "unsupported scheme `{other}` in `{}` (local paths, file://, s3://, az://, gs:// are supported)",
            redact(uri)
        ))),
    }
}

fn local(path: &std::path::Path) -> Result<(Arc<dyn ObjectStore>, Path)> {
    let absolute = std::path::absolute(path)
        .map_err(|e| CommitError::InvalidUri(format!("`{}`: {e}", path.display())))?;
    let root = Path::from_absolute_path(&absolute)
        .map_err(|e| CommitError::InvalidUri(format!("`{}`: {e}", absolute.display())))?;
    Ok((Arc::new(LocalFileSystem::new()), root))
}

/// The URI without anything that may be a credential (user info, query string).
pub fn redact(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) if url.has_host() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        _ => uri.split(['?', '#']).next().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_and_file_urls() {
        let (_, root) = open_store("/tmp/x/ds", &StoreOptions::default()).unwrap();
        assert_eq!(root.as_ref(), "tmp/x/ds");
        let (_, root) = open_store("file:///tmp/x/ds", &StoreOptions::default()).unwrap();
        assert_eq!(root.as_ref(), "tmp/x/ds");
    }

    #[test]
    fn unknown_schemes_are_refused_without_leaking_secrets() {
        let error = open_store(
            "ftp://user:hunter2@host/ds?token=hunter2",
            &StoreOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("unsupported scheme `ftp`"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn options_debug_hides_values() {
        let options = StoreOptions::default().with("aws_secret_access_key", "hunter2");
        assert!(!format!("{options:?}").contains("hunter2"));
    }
}
