//! The local object-store servers `cargo xtask test` starts (moto for S3, Azurite for
//! Azure), as the tests see them: through environment variables. Like the oracle, a missing
//! server fails a full run and is reported as not run otherwise.

use crate::oracle::full_run;

/// Which kind of store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// S3 (moto).
    S3,
    /// Azure blobs (Azurite).
    Azure,
}

/// A running server and how to reach it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The kind of store.
    pub kind: Kind,
    /// `s3://bucket` or `az://container`.
    pub prefix: String,
    /// Storage options that configure a client for it.
    pub options: Vec<(String, String)>,
    /// Environment variables that configure a client for it without any option.
    pub env: Vec<(String, String)>,
}

impl Endpoint {
    /// A URI for a new dataset, unique to this call.
    pub fn uri(&self, name: &str) -> String {
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("{}/{name}-{nonce:x}-{}", self.prefix, std::process::id())
    }
}

fn lookup(test: &str, kind: Kind, variables: &[&str]) -> Option<Vec<String>> {
    let values: Vec<Option<String>> = variables.iter().map(|v| std::env::var(v).ok()).collect();
    if values.iter().all(Option::is_some) {
        return Some(values.into_iter().map(Option::unwrap).collect());
    }
    if full_run() {
        panic!(
            "{test}: the {kind:?} test server is required in a full run but {variables:?} are not all set"
        );
    }
    eprintln!(
        "NOT RUN: {test} needs the local {kind:?} server that `cargo xtask test` starts ({variables:?} unset)"
    );
    None
}

/// The S3 server (moto), if one is running.
pub fn s3(test: &str) -> Option<Endpoint> {
    let values = lookup(test, Kind::S3, &["LANCER_S3_ENDPOINT", "LANCER_S3_BUCKET"])?;
    let (endpoint, bucket) = (values[0].clone(), values[1].clone());
    let pairs = |upper: bool| {
        let key = |k: &str| {
            if upper {
                k.to_ascii_uppercase()
            } else {
                k.to_string()
            }
        };
        vec![
            (key("aws_endpoint"), endpoint.clone()),
            (
                key(if upper {
                    "aws_allow_http"
                } else {
                    "allow_http"
                }),
                "true".to_string(),
            ),
            (key("aws_access_key_id"), "testing".to_string()),
            (key("aws_secret_access_key"), "testing-secret".to_string()),
            (key("aws_region"), "us-east-1".to_string()),
        ]
    };
    Some(Endpoint {
        kind: Kind::S3,
        prefix: format!("s3://{bucket}"),
        options: pairs(false),
        env: pairs(true),
    })
}

/// The Azure server (Azurite), if one is running.
pub fn azure(test: &str) -> Option<Endpoint> {
    let values = lookup(
        test,
        Kind::Azure,
        &[
            "LANCER_AZURITE_URL",
            "LANCER_AZURE_CONTAINER",
            "AZURITE_BLOB_STORAGE_URL",
        ],
    )?;
    let container = values[1].clone();
    Some(Endpoint {
        kind: Kind::Azure,
        prefix: format!("az://{container}"),
        options: vec![("azure_storage_use_emulator".to_string(), "true".to_string())],
        env: vec![
            ("AZURE_STORAGE_USE_EMULATOR".to_string(), "true".to_string()),
            ("AZURITE_BLOB_STORAGE_URL".to_string(), values[0].clone()),
        ],
    })
}

/// Every server that is running (each missing one reported, or failing a full run).
pub fn all(test: &str) -> Vec<Endpoint> {
    s3(test).into_iter().chain(azure(test)).collect()
}
