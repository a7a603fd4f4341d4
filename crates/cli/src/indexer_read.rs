//! Reads through an indexer (`--indexer URL`) with a fallback: when the indexer cannot be
//! reached the command warns and replays the chain's history instead, so a reader is slow
//! rather than stuck; a refusal by the indexer is an answer, and is reported as an error.

use io_indexer::client::{ApiClient, ClientError};
use std::time::Duration;

/// How long a CLI read may wait for the indexer.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `read` against the indexer at `url`: `Some` with its answer, `None` (after a warning
/// on stderr) when the indexer is unreachable.
pub fn through_indexer<T>(url: &str, read: impl FnOnce(&ApiClient) -> Result<T, ClientError>) -> anyhow::Result<Option<T>> {
    let client = ApiClient::new(url, TIMEOUT)?;
    match read(&client) {
        Ok(answer) => Ok(Some(answer)),
        Err(e @ ClientError::Unreachable { .. }) => {
            eprintln!("warning: {e}; replaying the registry's history from the chain instead (slow on a large network)");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}
