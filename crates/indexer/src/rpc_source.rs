//! Transactions from a cluster's JSON-RPC, finalized only: `getSignaturesForAddress` for
//! each of the suite's programs finds them, `getBlock` (signatures only) orders those that
//! share a slot, and `getTransaction` reads each one's inner instructions and logs.
//!
//! A transaction's position is `slot << 20 | its index in the block`, so it increases in
//! the order the chain applied transactions and survives a restart: finalized slots never
//! change, and a slot is scanned whole (a scan reaches only finalized slots, complete by
//! then). A slot holding one of the suite's transactions needs no `getBlock`: its index is
//! recorded as 0, which orders it the same way.
//!
//! A scan holds a few pages of signatures at a time, however long the history it covers
//! (`rpc_scan`).

use crate::rpc_scan::{History, Listed, Scan};
use crate::source::{Source, SourceTx};
use anyhow::{anyhow, Context};
use solana_rpc_client::rpc_client::{GetConfirmedSignaturesForAddress2Config, RpcClient};
use solana_rpc_client_api::config::{RpcBlockConfig, RpcTransactionConfig};
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{TransactionDetails, UiInstruction, UiTransactionEncoding};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// Bits of a position that hold the index in the block.
const INDEX_BITS: u32 = 20;
/// Signatures per `getSignaturesForAddress` page: the RPC's maximum, the default.
pub const MAX_SIGNATURE_PAGE: usize = 1_000;

/// A transaction's position from its slot and index in the block.
pub fn position(slot: u64, index: u64) -> u64 {
    slot << INDEX_BITS | index
}

/// The slot of a position.
pub fn slot_of(position: u64) -> u64 {
    position >> INDEX_BITS
}

pub struct RpcSource {
    client: RpcClient,
    programs: Vec<Pubkey>,
    page_size: usize,
    /// The newest signature each program's last finished scan saw: the next scan stops there.
    newest: HashMap<Pubkey, Signature>,
    /// The scan in progress, if any.
    scan: Option<Scan>,
    /// Transactions found and not yet handed out, by position.
    pending: BTreeMap<u64, Signature>,
}

impl RpcSource {
    /// A source over the transactions of `programs` (the suite's five) at `url`.
    pub fn new(url: &str, programs: Vec<Pubkey>) -> Self {
        Self::with_page_size(url, programs, MAX_SIGNATURE_PAGE)
    }

    /// The same, reading `page_size` signatures per `getSignaturesForAddress` call (1 to
    /// 1,000): a scan holds about two pages per program.
    pub fn with_page_size(url: &str, programs: Vec<Pubkey>, page_size: usize) -> Self {
        let client = RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::finalized());
        let page_size = page_size.clamp(1, MAX_SIGNATURE_PAGE);
        Self { client, programs, page_size, newest: HashMap::new(), scan: None, pending: BTreeMap::new() }
    }
}

impl History for RpcClient {
    fn page(&self, program: &Pubkey, before: Option<Signature>, until: Option<Signature>, limit: usize) -> anyhow::Result<Vec<Listed>> {
        let config =
            GetConfirmedSignaturesForAddress2Config { before, until, limit: Some(limit), commitment: Some(CommitmentConfig::finalized()) };
        let page = self.get_signatures_for_address_with_config(program, config).context("getSignaturesForAddress")?;
        page.iter()
            .map(|status| Ok((status.slot, Signature::from_str(&status.signature).context("a signature")?, status.err.is_some())))
            .collect()
    }

    fn finalized_slot(&self) -> anyhow::Result<u64> {
        self.get_slot_with_commitment(CommitmentConfig::finalized()).context("getSlot")
    }

    fn block_order(&self, slot: u64, signatures: &[Signature]) -> anyhow::Result<Vec<(u64, Signature)>> {
        let config = RpcBlockConfig {
            encoding: None,
            transaction_details: Some(TransactionDetails::Signatures),
            rewards: Some(false),
            commitment: Some(CommitmentConfig::finalized()),
            max_supported_transaction_version: Some(0),
        };
        let block = self.get_block_with_config(slot, config).context("getBlock")?;
        let listed = block.signatures.ok_or_else(|| anyhow!("block {slot}: no signatures"))?;
        signatures
            .iter()
            .map(|signature| {
                let text = signature.to_string();
                let index = listed.iter().position(|s| *s == text).ok_or_else(|| anyhow!("block {slot} does not list {signature}"))?;
                Ok((index as u64, *signature))
            })
            .collect()
    }
}

impl RpcSource {
    /// One transaction's noop data (with the program of the top-level instruction it was
    /// logged inside) and the events of its logs.
    fn fetch(&self, seq: u64, signature: &Signature) -> anyhow::Result<SourceTx> {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::finalized()),
            max_supported_transaction_version: Some(0),
        };
        let tx = self.client.get_transaction_with_config(signature, config).with_context(|| format!("getTransaction {signature}"))?;
        let meta = tx.transaction.meta.ok_or_else(|| anyhow!("{signature}: no status meta"))?;
        let decoded = tx.transaction.transaction.decode().ok_or_else(|| anyhow!("{signature}: undecodable"))?;
        let mut keys: Vec<Pubkey> = decoded.message.static_account_keys().to_vec();
        if let OptionSerializer::Some(loaded) = &meta.loaded_addresses {
            for list in [&loaded.writable, &loaded.readonly] {
                for key in list {
                    keys.push(Pubkey::from_str(key).with_context(|| format!("{signature}: a loaded address"))?);
                }
            }
        }
        let top_level = decoded.message.instructions();
        let mut noop_data = vec![];
        if let OptionSerializer::Some(inner) = &meta.inner_instructions {
            for group in inner {
                let top = top_level
                    .get(usize::from(group.index))
                    .and_then(|ix| keys.get(usize::from(ix.program_id_index)))
                    .copied()
                    .ok_or_else(|| anyhow!("{signature}: inner instructions of a missing instruction"))?;
                for ix in &group.instructions {
                    if let UiInstruction::Compiled(c) = ix {
                        if keys.get(usize::from(c.program_id_index)) == Some(&io_sdk::NOOP_PROGRAM_ID) {
                            noop_data.push((top, bs58::decode(&c.data).into_vec().context("noop data")?));
                        }
                    }
                }
            }
        }
        let logs: Vec<String> = match meta.log_messages {
            OptionSerializer::Some(lines) => lines,
            _ => vec![],
        };
        // A finalized transaction's block has a time; a node that pruned it reports none (0).
        let block_time = tx.block_time.unwrap_or(0);
        Ok(SourceTx { seq, signature: signature.to_string(), block_time, noop_data, program_data: io_sdk::events::program_data(&logs) })
    }
}

impl Source for RpcSource {
    fn after(&mut self, after: Option<u64>, limit: usize) -> anyhow::Result<Vec<SourceTx>> {
        // Positions at or before the cursor are done with.
        if let Some(a) = after {
            self.pending = self.pending.split_off(&a.saturating_add(1));
        }
        if self.pending.is_empty() && self.scan.is_none() {
            self.scan = Some(Scan::new(&self.programs, &self.newest, after, self.page_size));
        }
        // A failed call leaves the scan where it was: the next call repeats it.
        while self.pending.len() < limit {
            let Some(scan) = self.scan.as_mut() else { break };
            if scan.advance(&self.client, &mut self.pending)? {
                self.newest = scan.newest().clone();
                self.scan = None;
            }
        }
        let page: Vec<(u64, Signature)> = self.pending.iter().take(limit).map(|(s, sig)| (*s, *sig)).collect();
        page.iter().map(|(seq, signature)| self.fetch(*seq, signature)).collect()
    }
}
