//! A client of the indexer's HTTP API, for the CLI and the demo: typed answers, and each
//! failure told apart (the server unreachable, a refusal by name, a body that is not the
//! API's), so a caller can fall back to replaying history only when the server is away.

use crate::api::views::ErrorView;
use serde::de::DeserializeOwned;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ClientError {
    /// No answer: the server is down, the address wrong, or the request timed out.
    #[error("indexer at {url} unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server answered with a refusal.
    #[error("indexer refused {path}: {status} {error}: {message}")]
    Refused { path: String, status: u16, error: String, message: String },
    #[error("indexer answered {path} with a body that is not the API's: {reason}")]
    BadBody { path: String, reason: String },
}

pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl ApiClient {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8899`); each request may take
    /// `timeout`. Not for use inside an async runtime (it blocks on its own).
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(timeout).build()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Self { base: base.trim_end_matches('/').to_string(), http, runtime })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `path` (with its query) and decode the answer.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let unreachable = |e: reqwest::Error| ClientError::Unreachable { url: self.base.clone(), reason: e.to_string() };
            let response = self.http.get(&url).send().await.map_err(unreachable)?;
            let status = response.status();
            let body = response.bytes().await.map_err(unreachable)?;
            let bad = |e: serde_json::Error| ClientError::BadBody { path: path.to_string(), reason: e.to_string() };
            if status.is_success() {
                serde_json::from_slice(&body).map_err(bad)
            } else {
                let refusal: ErrorView = serde_json::from_slice(&body).map_err(bad)?;
                Err(ClientError::Refused {
                    path: path.to_string(),
                    status: status.as_u16(),
                    error: refusal.error,
                    message: refusal.message,
                })
            }
        })
    }
}
