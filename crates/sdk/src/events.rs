//! Decoding the registry's node events from noop instruction data.

use anchor_lang::AnchorDeserialize;
use io_registry::{NodeEvent, NODE_EVENT_TAG};
use spl_account_compression::events::{AccountCompressionEvent, ApplicationDataEvent};

/// One noop instruction's data, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum NoopPayload {
    /// A registry node event.
    Node(Box<NodeEvent>),
    /// The compression program's change log: the tree's new root and sequence number.
    ChangeLog { tree: [u8; 32], root: [u8; 32], seq: u64, index: u32 },
    /// Anything else logged through noop.
    Other,
}

/// Decodes the data of one noop instruction.
pub fn decode_noop_data(data: &[u8]) -> NoopPayload {
    let Ok(event) = AccountCompressionEvent::try_from_slice(data) else {
        return NoopPayload::Other;
    };
    match event {
        AccountCompressionEvent::ApplicationData(ApplicationDataEvent::V1(app)) => {
            let bytes = app.application_data;
            match bytes.strip_prefix(&NODE_EVENT_TAG[..]) {
                Some(body) => match NodeEvent::try_from_slice(body) {
                    Ok(event) => NoopPayload::Node(Box::new(event)),
                    Err(_) => NoopPayload::Other,
                },
                None => NoopPayload::Other,
            }
        }
        AccountCompressionEvent::ChangeLog(spl_account_compression::events::ChangeLogEvent::V1(log)) => {
            let root = log.path.last().map(|p| p.node).unwrap_or_default();
            NoopPayload::ChangeLog { tree: log.id.to_bytes(), root, seq: log.seq, index: log.index }
        }
    }
}

/// Every Anchor event of type `T` in a transaction's logs (`Program data: <base64>` lines,
/// the event's discriminator followed by its borsh body), in order.
pub fn anchor_events<T: AnchorDeserialize + anchor_lang::Discriminator>(logs: &[String]) -> Vec<T> {
    use base64::Engine as _;
    logs.iter()
        .filter_map(|line| line.strip_prefix("Program data: "))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64.split(' ').next()?).ok())
        .filter_map(|bytes| {
            let body = bytes.strip_prefix(T::DISCRIMINATOR)?;
            T::try_from_slice(body).ok()
        })
        .collect()
}
