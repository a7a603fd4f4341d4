//! Transactions from a cluster's JSON-RPC, finalized only: `getSignaturesForAddress` for
//! each of the suite's programs finds them, `getBlock` (signatures only) orders those that
//! share a slot, and `getTransaction` reads each one's inner instructions and logs.
//!
//! A transaction's position is `slot << 20 | its index in the block`, so it increases in
//! the order the chain applied transactions and survives a restart: finalized slots never
//! change, and a slot is scanned whole (a scan reaches only finalized slots, complete by
//! then). A slot holding one of the suite's transactions needs no `getBlock`: its index is
//! recorded as 0, which orders it the same way.

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
/// Signatures per `getSignaturesForAddress` page (the RPC's maximum).
const SIGNATURE_PAGE: usize = 1_000;

/// A transaction's position from its slot and index in the block.
pub fn position(slot: u64, index: u64) -> u64 {
    slot << INDEX_BITS | index
}

pub struct RpcSource {
    client: RpcClient,
    programs: Vec<Pubkey>,
    /// The newest signature each program's last scan saw: the next scan stops there.
    newest: HashMap<Pubkey, Signature>,
    /// Transactions found and not yet handed out, by position.
    pending: BTreeMap<u64, Signature>,
}

impl RpcSource {
    /// A source over the transactions of `programs` (the suite's five) at `url`.
    pub fn new(url: &str, programs: Vec<Pubkey>) -> Self {
        let client = RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::finalized());
        Self { client, programs, newest: HashMap::new(), pending: BTreeMap::new() }
    }

    /// Finds every finalized, successful transaction of the programs newer than the last
    /// scan (the first scan goes back to the slot of `after`, or to the beginning).
    fn scan(&mut self, after: Option<u64>) -> anyhow::Result<()> {
        let from_slot = after.map_or(0, |a| a >> INDEX_BITS);
        let mut by_slot: BTreeMap<u64, Vec<Signature>> = BTreeMap::new();
        // Where each program's next scan stops: kept only once this scan has succeeded
        // whole, so a failed scan is repeated rather than skipped.
        let mut newest = self.newest.clone();
        for program in self.programs.clone() {
            let until = self.newest.get(&program).copied();
            let mut before = None;
            let mut first = true;
            loop {
                let config = GetConfirmedSignaturesForAddress2Config {
                    before,
                    until,
                    limit: Some(SIGNATURE_PAGE),
                    commitment: Some(CommitmentConfig::finalized()),
                };
                let page = self.client.get_signatures_for_address_with_config(&program, config).context("getSignaturesForAddress")?;
                let full = page.len() == SIGNATURE_PAGE;
                let mut reached_cursor = false;
                for status in &page {
                    let signature = Signature::from_str(&status.signature).context("a signature")?;
                    if first {
                        newest.insert(program, signature);
                        first = false;
                    }
                    if status.slot < from_slot {
                        reached_cursor = true;
                        break;
                    }
                    // A failed transaction changed nothing.
                    if status.err.is_none() {
                        let slot = by_slot.entry(status.slot).or_default();
                        if !slot.contains(&signature) {
                            slot.push(signature);
                        }
                    }
                    before = Some(signature);
                }
                if !full || reached_cursor {
                    break;
                }
            }
        }
        let mut found = BTreeMap::new();
        for (slot, signatures) in by_slot {
            let ordered = if signatures.len() == 1 { vec![(0, signatures[0])] } else { self.block_order(slot, &signatures)? };
            for (index, signature) in ordered {
                let seq = position(slot, index);
                if after.is_none_or(|a| seq > a) {
                    found.insert(seq, signature);
                }
            }
        }
        self.pending.extend(found);
        self.newest = newest;
        Ok(())
    }

    /// The indices in block `slot` of `signatures`.
    fn block_order(&self, slot: u64, signatures: &[Signature]) -> anyhow::Result<Vec<(u64, Signature)>> {
        let config = RpcBlockConfig {
            encoding: None,
            transaction_details: Some(TransactionDetails::Signatures),
            rewards: Some(false),
            commitment: Some(CommitmentConfig::finalized()),
            max_supported_transaction_version: Some(0),
        };
        let block = self.client.get_block_with_config(slot, config).context("getBlock")?;
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
        if self.pending.is_empty() {
            self.scan(after)?;
        }
        let page: Vec<(u64, Signature)> = self.pending.iter().take(limit).map(|(s, sig)| (*s, *sig)).collect();
        page.iter().map(|(seq, signature)| self.fetch(*seq, signature)).collect()
    }
}
