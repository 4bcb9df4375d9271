//! Keeping credentials out of everything the CLI prints.
//!
//! Every value given with `--storage-option` whose key names a secret, and the secret
//! environment variables object_store reads, are collected once; all output that could
//! carry them (error messages above all, since object-store errors quote URLs, and Azure
//! SAS tokens travel inside URLs) goes through [`redact`].

use std::sync::OnceLock;

static SECRETS: OnceLock<Vec<String>> = OnceLock::new();

const SECRET_ENV: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
];

/// Whether an option key names a credential.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "secret",
        "token",
        "key",
        "password",
        "sas",
        "credential",
        "signature",
    ]
    .iter()
    .any(|word| key.contains(word))
        && !key.ends_with("_path")
}

/// Records the secrets of this run from the raw command line (call once, before anything
/// is printed, clap's own usage errors included). Besides well-formed `KEY=VALUE` options
/// naming a secret, malformed ones are taken as secrets whole: `key:VALUE`, `=VALUE`, and a
/// secret key whose value was given as the next argument (`key VALUE`), since clap quotes
/// them back when it refuses them.
pub fn init(args: &[String]) {
    let mut found = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let value = match args[i].strip_prefix("--storage-option") {
            Some("") => {
                i += 1;
                args.get(i).cloned()
            }
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        i += 1;
        let Some(value) = value else { continue };
        match value.split_once('=') {
            Some((key, secret)) if is_option_name(key) && is_secret_key(key) => {
                found.push(secret.to_string());
            }
            Some((key, _)) if is_option_name(key) => {}
            Some((key, secret)) => {
                found.push(key.to_string());
                found.push(secret.to_string());
                found.push(value.clone());
            }
            None if value.contains(':') => {
                found.extend(value.split_once(':').map(|(_, s)| s.to_string()));
                found.push(value.clone());
            }
            None if is_secret_key(&value) => found.extend(args.get(i).cloned()),
            None => {}
        }
    }
    record(found);
}

/// Whether `key` could be an object store option name (letters, digits, `_`, `-`, `.`).
pub fn is_option_name(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn record(found: Vec<String>) {
    let mut secrets: Vec<String> = found
        .into_iter()
        .chain(
            SECRET_ENV
                .iter()
                .filter_map(|name| std::env::var(name).ok()),
        )
        .filter(|v| v.len() >= 4)
        .collect();
    // Longer first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let _ = SECRETS.set(secrets);
}

/// `text` with every known secret replaced by `***` and the query string of every URL
/// (where signatures and SAS tokens live) removed.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for secret in SECRETS.get().map(Vec::as_slice).unwrap_or_default() {
        out = out.replace(secret.as_str(), "***");
    }
    strip_url_queries(&out)
}

fn strip_url_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ')' | '>'))
            .unwrap_or(after.len());
        let url = &after[..end];
        let url = without_user_info(url);
        out.push_str(url.split('?').next().unwrap_or(&url));
        if url.contains('?') {
            out.push_str("?<redacted>");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `://user:password@host/...` without the user and password.
fn without_user_info(url: &str) -> String {
    let rest = &url[3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_queries() {
        assert_eq!(
            strip_url_queries("GET https://acct.blob.core.windows.net/c/x?sv=1&sig=abc failed"),
            "GET https://acct.blob.core.windows.net/c/x?<redacted> failed"
        );
        assert_eq!(strip_url_queries("no url here"), "no url here");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            strip_url_queries("cannot open s3://AKID:SECRET@bucket/x/y: denied"),
            "cannot open s3://***@bucket/x/y: denied"
        );
        assert_eq!(strip_url_queries("s3://bucket/a@b"), "s3://bucket/a@b");
    }

    #[test]
    fn secret_keys() {
        for key in [
            "aws_secret_access_key",
            "azure_storage_sas_token",
            "AWS_SESSION_TOKEN",
            "azure_storage_account_key",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "aws_region",
            "aws_endpoint",
            "azure_storage_account_name",
            "google_service_account_path",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
