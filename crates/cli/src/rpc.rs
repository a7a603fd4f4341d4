//! [`Chain`] over a real cluster's JSON-RPC: what `io registry` uses outside the demo.
//!
//! The tree history is read the way an indexer reads it: every signature that wrote the
//! tree account, oldest first, and the noop instructions inside each transaction.

use anyhow::{anyhow, Context};
use io_sdk::client::{Chain, TxFailure, TxOutcome};
use solana_rpc_client::rpc_client::{GetConfirmedSignaturesForAddress2Config, RpcClient};
use solana_rpc_client_api::config::RpcTransactionConfig;
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{UiInstruction, UiTransactionEncoding};
use std::str::FromStr;

pub struct RpcChain {
    client: RpcClient,
    payer: Keypair,
}

impl RpcChain {
    pub fn new(url: &str, payer: Keypair) -> Self {
        Self { client: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()), payer }
    }

    fn noop_data_of(&self, signature: &Signature) -> anyhow::Result<Vec<Vec<u8>>> {
        Ok(self.landed(signature)?.0)
    }

    /// The noop instruction data and the log lines of a landed transaction (the logs carry
    /// Anchor events, e.g. the emissions crank's `EpochAdvanced`).
    fn landed(&self, signature: &Signature) -> anyhow::Result<(Vec<Vec<u8>>, Vec<String>)> {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let tx = self.client.get_transaction_with_config(signature, config)?;
        let meta = tx.transaction.meta.ok_or_else(|| anyhow!("{signature}: no status meta"))?;
        let logs: Vec<String> = match &meta.log_messages {
            OptionSerializer::Some(lines) => lines.clone(),
            _ => vec![],
        };
        if meta.err.is_some() {
            return Ok((vec![], logs));
        }
        let decoded = tx.transaction.transaction.decode().ok_or_else(|| anyhow!("{signature}: undecodable"))?;
        let mut keys: Vec<Pubkey> = decoded.message.static_account_keys().to_vec();
        if let OptionSerializer::Some(loaded) = &meta.loaded_addresses {
            for list in [&loaded.writable, &loaded.readonly] {
                keys.extend(list.iter().filter_map(|k| Pubkey::from_str(k).ok()));
            }
        }
        let OptionSerializer::Some(inner) = meta.inner_instructions else { return Ok((vec![], logs)) };
        let noop = io_sdk::NOOP_PROGRAM_ID;
        let mut data = vec![];
        for ix in inner.iter().flat_map(|i| i.instructions.iter()) {
            if let UiInstruction::Compiled(c) = ix {
                if keys.get(c.program_id_index as usize) == Some(&noop) {
                    data.push(bs58::decode(&c.data).into_vec().context("noop data")?);
                }
            }
        }
        Ok((data, logs))
    }
}

impl Chain for RpcChain {
    fn payer(&self) -> Pubkey {
        self.payer.pubkey()
    }

    fn rent_exempt_balance(&mut self, size: usize) -> anyhow::Result<u64> {
        Ok(self.client.get_minimum_balance_for_rent_exemption(size)?)
    }

    fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> anyhow::Result<TxOutcome> {
        let blockhash = self.client.get_latest_blockhash()?;
        let mut all: Vec<&Keypair> = vec![&self.payer];
        all.extend(signers.iter().copied().filter(|k| k.pubkey() != self.payer.pubkey()));
        let tx = Transaction::new_signed_with_payer(instructions, Some(&self.payer.pubkey()), &all, blockhash);
        self.submit(tx)
    }

    fn latest_blockhash(&mut self) -> anyhow::Result<solana_sdk::hash::Hash> {
        Ok(self.client.get_latest_blockhash()?)
    }

    fn submit(&mut self, mut tx: Transaction) -> anyhow::Result<TxOutcome> {
        if !tx.is_signed() {
            let blockhash = tx.message.recent_blockhash;
            tx.try_partial_sign(&[&self.payer], blockhash)?;
        }
        let size = bincode_size(&tx);
        let signature = match self.client.send_and_confirm_transaction(&tx) {
            Ok(signature) => signature,
            Err(err) => match err.get_transaction_error() {
                Some(error) => return Err(TxFailure { error, logs: vec![] }.into()),
                None => return Err(err.into()),
            },
        };
        let (noop_data, logs) = self.landed(&signature)?;
        Ok(TxOutcome { signature, noop_data, logs, size })
    }

    fn account_data(&mut self, address: &Pubkey) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.client.get_account_with_commitment(address, CommitmentConfig::confirmed())?.value.map(|a| a.data))
    }

    fn unix_time(&mut self) -> anyhow::Result<i64> {
        let slot = self.client.get_slot()?;
        Ok(self.client.get_block_time(slot)?)
    }

    fn noop_history(&mut self, address: &Pubkey) -> anyhow::Result<Vec<Vec<u8>>> {
        let mut signatures = vec![];
        let mut before = None;
        loop {
            let page = self.client.get_signatures_for_address_with_config(
                address,
                // Confirmed, as every transaction this client sends is awaited: the default
                // (finalized) misses the last few, and the history then has a gap.
                GetConfirmedSignaturesForAddress2Config {
                    before,
                    until: None,
                    limit: Some(1000),
                    commitment: Some(CommitmentConfig::confirmed()),
                },
            )?;
            let Some(last) = page.last() else { break };
            before = Some(Signature::from_str(&last.signature)?);
            signatures.extend(page.into_iter().filter(|s| s.err.is_none()).map(|s| s.signature));
        }
        signatures.reverse();
        let mut history = vec![];
        for signature in signatures {
            history.extend(self.noop_data_of(&Signature::from_str(&signature)?)?);
        }
        Ok(history)
    }
}

fn bincode_size(tx: &Transaction) -> usize {
    // A legacy transaction's wire size: signatures, then the message.
    let message = tx.message_data().len();
    let signatures = tx.signatures.len();
    short_vec_len(signatures) + signatures * 64 + message
}

fn short_vec_len(n: usize) -> usize {
    match n {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        _ => 3,
    }
}
