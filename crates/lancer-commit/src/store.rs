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

    /// A hash of the options (keys and values, in any order), to tell configurations
    /// apart without keeping their values, which may be secrets.
    pub(crate) fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut sorted: Vec<_> = self.options.iter().collect();
        sorted.sort();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        sorted.hash(&mut hasher);
        hasher.finish()
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
        "s3" | "s3a" => cloud::s3(&url, options),
        "az" | "adl" | "azure" | "abfs" | "abfss" => cloud::azure(&url, options),
        "gs" => cloud::gcs(&url, options),
        "memory" => memory(&url),
        other => Err(CommitError::InvalidUri(format!(
            "unsupported scheme `{other}` in `{}` (local paths, file://, memory://, s3://, az://, gs:// are supported)",
            redact(uri)
        ))),
    }
}

/// The directory on the local disk that `uri` names, if it names one (a path or a
/// `file://` URL): there files can be written directly rather than through the store.
pub fn local_dir(uri: &str) -> Option<std::path::PathBuf> {
    if !uri.contains("://") && !uri.starts_with("file:") {
        return std::path::absolute(uri).ok();
    }
    let url = url::Url::parse(uri).ok()?;
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

/// The dataset root inside a bucket or container: the URL's path.
#[allow(dead_code)]
fn root_of(url: &url::Url) -> Result<Path> {
    Path::from_url_path(url.path())
        .map_err(|e| CommitError::InvalidUri(format!("`{}`: {e}", redact(url.as_str()))))
}

/// An option key the store does not know: an error, so a typo never silently drops a
/// setting (a misspelt endpoint would otherwise send requests to the real cloud).
#[allow(dead_code)]
fn unknown_option(store: &str, key: &str) -> CommitError {
    // A key that cannot be an option name may be a credential pasted in the wrong place.
    let plain = key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain {
        CommitError::InvalidUri(format!("unknown {store} storage option `{key}`"))
    } else {
        CommitError::InvalidUri(format!(
            "unknown {store} storage option (not shown: option names are letters, digits and `_`)"
        ))
    }
}

/// Options left for a store's own builder once the retry options are taken out.
#[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
type OtherOptions<'a> = Vec<(&'a str, &'a str)>;

/// Lance's options for the HTTP client's retries, which every cloud store takes:
/// `client_max_retries` (default 10) and `client_retry_timeout` (seconds, default 180).
/// Returns the retry settings and the remaining options.
#[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
fn retry_options(
    options: &StoreOptions,
) -> Result<(Option<object_store::RetryConfig>, OtherOptions<'_>)> {
    let mut retry: Option<object_store::RetryConfig> = None;
    let mut rest = Vec::new();
    for (key, value) in options.iter() {
        let number = |what: &str| {
            value.trim().parse::<u64>().map_err(|_| {
                CommitError::InvalidUri(format!(
                    "storage option `{key}` must be a whole number of {what}"
                ))
            })
        };
        match key.to_ascii_lowercase().as_str() {
            "client_max_retries" => {
                let retries = usize::try_from(number("retries")?).unwrap_or(usize::MAX);
                retry.get_or_insert_with(Default::default).max_retries = retries;
            }
            "client_retry_timeout" => {
                retry.get_or_insert_with(Default::default).retry_timeout =
                    std::time::Duration::from_secs(number("seconds")?);
            }
            _ => rest.push((key, value)),
        }
    }
    Ok((retry, rest))
}

/// Builders for the cloud stores: environment first (AWS_*, AZURE_*, GOOGLE_*), then the
/// URL, then the options given.
mod cloud {
    use super::*;

    #[allow(dead_code)]
    fn missing(feature: &str, url: &url::Url) -> CommitError {
        CommitError::InvalidUri(format!(
            "`{}://` needs lancer built with the `{feature}` feature",
            url.scheme()
        ))
    }

    #[cfg(feature = "aws")]
    pub(super) fn s3(
        url: &url::Url,
        options: &StoreOptions,
    ) -> Result<(Arc<dyn ObjectStore>, Path)> {
        use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
        let mut builder = AmazonS3Builder::from_env().with_url(url.as_str());
        let (retry, rest) = retry_options(options)?;
        if let Some(retry) = retry {
            builder = builder.with_retry(retry);
        }
        for (key, value) in rest {
            let parsed: AmazonS3ConfigKey = key
                .to_ascii_lowercase()
                .parse()
                .map_err(|_| unknown_option("S3", key))?;
            builder = builder.with_config(parsed, value);
        }
        Ok((Arc::new(builder.build()?), root_of(url)?))
    }

    #[cfg(not(feature = "aws"))]
    pub(super) fn s3(url: &url::Url, _: &StoreOptions) -> Result<(Arc<dyn ObjectStore>, Path)> {
        Err(missing("aws", url))
    }

    #[cfg(feature = "azure")]
    pub(super) fn azure(
        url: &url::Url,
        options: &StoreOptions,
    ) -> Result<(Arc<dyn ObjectStore>, Path)> {
        use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
        let mut builder = MicrosoftAzureBuilder::from_env().with_url(url.as_str());
        let (retry, rest) = retry_options(options)?;
        if let Some(retry) = retry {
            builder = builder.with_retry(retry);
        }
        for (key, value) in rest {
            let parsed: AzureConfigKey = key
                .to_ascii_lowercase()
                .parse()
                .map_err(|_| unknown_option("Azure", key))?;
            builder = builder.with_config(parsed, value);
        }
        Ok((Arc::new(builder.build()?), root_of(url)?))
    }

    #[cfg(not(feature = "azure"))]
    pub(super) fn azure(url: &url::Url, _: &StoreOptions) -> Result<(Arc<dyn ObjectStore>, Path)> {
        Err(missing("azure", url))
    }

    #[cfg(feature = "gcp")]
    pub(super) fn gcs(
        url: &url::Url,
        options: &StoreOptions,
    ) -> Result<(Arc<dyn ObjectStore>, Path)> {
        use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
        let mut builder = GoogleCloudStorageBuilder::from_env().with_url(url.as_str());
        let (retry, rest) = retry_options(options)?;
        if let Some(retry) = retry {
            builder = builder.with_retry(retry);
        }
        for (key, value) in rest {
            let parsed: GoogleConfigKey = key
                .to_ascii_lowercase()
                .parse()
                .map_err(|_| unknown_option("GCS", key))?;
            builder = builder.with_config(parsed, value);
        }
        Ok((Arc::new(builder.build()?), root_of(url)?))
    }

    #[cfg(not(feature = "gcp"))]
    pub(super) fn gcs(url: &url::Url, _: &StoreOptions) -> Result<(Arc<dyn ObjectStore>, Path)> {
        Err(missing("gcp", url))
    }
}

/// `memory://name/...`: one in-memory store per process shared by every such URI (as in
/// pylance), for tests and notebooks; gone when the process ends.
fn memory(url: &url::Url) -> Result<(Arc<dyn ObjectStore>, Path)> {
    static STORE: std::sync::OnceLock<Arc<object_store::memory::InMemory>> =
        std::sync::OnceLock::new();
    let store = STORE.get_or_init(|| Arc::new(object_store::memory::InMemory::new()));
    let name = format!("{}{}", url.host_str().unwrap_or_default(), url.path());
    let root = Path::parse(name.trim_matches('/'))
        .map_err(|e| CommitError::InvalidUri(format!("`{}`: {e}", redact(url.as_str()))))?;
    Ok((store.clone() as Arc<dyn ObjectStore>, root))
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
    fn local_directories_are_recognised() {
        assert_eq!(local_dir("/tmp/x/ds"), Some("/tmp/x/ds".into()));
        assert_eq!(local_dir("file:///tmp/x/ds"), Some("/tmp/x/ds".into()));
        assert!(local_dir("relative/ds").unwrap().is_absolute());
        assert_eq!(local_dir("s3://bucket/ds"), None);
        assert_eq!(local_dir("memory://ds"), None);
    }

    #[test]
    fn memory_urls_share_one_store() {
        let (first, root) = open_store("memory://tests/ds", &StoreOptions::default()).unwrap();
        assert_eq!(root.as_ref(), "tests/ds");
        let (second, _) = open_store("memory://other", &StoreOptions::default()).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }

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
