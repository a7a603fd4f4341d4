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

/// What [`program_data`] found in a transaction's logs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgramData {
    /// Each `Program data:` line's bytes (its base64 fields joined), with the program whose
    /// invocation logged it, in log order.
    pub events: Vec<(solana_sdk::pubkey::Pubkey, Vec<u8>)>,
    /// The runtime cut the logs short ("Log truncated"): events after the cut are missing.
    pub truncated: bool,
    /// `Program data:` lines that could not be attributed or decoded (outside any
    /// invocation, or not base64).
    pub malformed: usize,
}

/// The Anchor events of a transaction's logs, each attributed to the program that emitted
/// it: the innermost invocation open when the line was logged (`Program <id> invoke [n]`
/// opens one, `Program <id> success` or `... failed` closes it). A program cannot log a
/// line into another program's invocation, so the attribution is what makes an event
/// trustworthy: bytes shaped like the staking program's event, logged by any other
/// program, are attributed to that other program.
pub fn program_data(logs: &[String]) -> ProgramData {
    use base64::Engine as _;
    let mut found = ProgramData::default();
    let mut stack: Vec<solana_sdk::pubkey::Pubkey> = vec![];
    for line in logs {
        if let Some(fields) = line.strip_prefix("Program data: ") {
            let decoded: Option<Vec<u8>> = fields
                .split(' ')
                .map(|field| base64::engine::general_purpose::STANDARD.decode(field).ok())
                .collect::<Option<Vec<Vec<u8>>>>()
                .map(|parts| parts.concat());
            match (stack.last(), decoded) {
                (Some(program), Some(bytes)) => found.events.push((*program, bytes)),
                _ => found.malformed += 1,
            }
        } else if line == "Log truncated" {
            found.truncated = true;
        } else if let Some(rest) = line.strip_prefix("Program ") {
            let mut words = rest.split(' ');
            let (Some(id), Some(verb)) = (words.next(), words.next()) else { continue };
            match verb {
                "invoke" => {
                    if let Ok(program) = id.parse() {
                        stack.push(program);
                    }
                }
                "success" | "failed:" if stack.last().is_some_and(|top| top.to_string() == id) => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use solana_sdk::pubkey::Pubkey;

    fn data(bytes: &[u8]) -> String {
        format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    #[test]
    fn each_event_belongs_to_the_invocation_open_when_it_was_logged() {
        let (outer, inner, other) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let logs = vec![
            format!("Program {outer} invoke [1]"),
            data(b"outer before"),
            format!("Program {inner} invoke [2]"),
            "Program log: Program data: not an event, a log line".to_string(),
            data(b"inner"),
            format!("Program {inner} consumed 100 of 200000 compute units"),
            format!("Program {inner} success"),
            data(b"outer after"),
            format!("Program {outer} success"),
            format!("Program {other} invoke [1]"),
            data(b"other"),
            format!("Program {other} failed: custom program error: 0x1"),
            data(b"outside"),
            "Program data: !!not base64".to_string(),
        ];
        let found = program_data(&logs);
        let expected: Vec<(Pubkey, Vec<u8>)> = vec![
            (outer, b"outer before".to_vec()),
            (inner, b"inner".to_vec()),
            (outer, b"outer after".to_vec()),
            (other, b"other".to_vec()),
        ];
        assert_eq!(found.events, expected);
        // One line outside any invocation, one not base64.
        assert_eq!((found.malformed, found.truncated), (2, false));
        let cut = program_data(&[format!("Program {outer} invoke [1]"), data(b"kept"), "Log truncated".to_string()]);
        assert_eq!((cut.events.len(), cut.truncated), (1, true));
    }
}
