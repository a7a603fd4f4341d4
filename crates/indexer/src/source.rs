//! Where the indexer reads transactions from, oldest first, after a cursor.

use io_sdk::events::ProgramData;
use solana_sdk::pubkey::Pubkey;

/// One landed transaction as the indexer needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTx {
    /// Position in the order the chain applied transactions; strictly increasing.
    pub seq: u64,
    pub signature: String,
    /// Unix seconds of the block it landed in (0 when the source cannot tell).
    pub block_time: i64,
    /// Noop instruction data, each with the program of the top-level instruction it was
    /// logged inside (only the registry's own count).
    pub noop_data: Vec<(Pubkey, Vec<u8>)>,
    /// The Anchor events of its logs, each with the program that emitted it.
    pub program_data: ProgramData,
}

/// Transactions after a cursor, in order. The embedded bank implements it; an RPC
/// backfill (`getSignaturesForAddress` + `getTransaction`) or a Geyser stream is another
/// implementation of the same two methods.
pub trait Source {
    /// Up to `limit` transactions with `seq > after` (all of them for `None`), oldest
    /// first.
    fn after(&mut self, after: Option<u64>, limit: usize) -> anyhow::Result<Vec<SourceTx>>;
    /// The newest transaction the source has (what ingestion lag is measured against);
    /// `None` when it has none or cannot tell.
    fn head(&mut self) -> anyhow::Result<Option<u64>> {
        Ok(None)
    }
}

impl Source for io_localnet::Localnet {
    fn after(&mut self, after: Option<u64>, limit: usize) -> anyhow::Result<Vec<SourceTx>> {
        Ok(self
            .ledger_after(after, limit)
            .iter()
            .map(|entry| SourceTx {
                seq: entry.seq,
                signature: entry.signature.to_string(),
                block_time: entry.block_time,
                noop_data: entry.noop_data.clone(),
                program_data: entry.program_data.clone(),
            })
            .collect())
    }

    fn head(&mut self) -> anyhow::Result<Option<u64>> {
        Ok(self.ledger_after(None, usize::MAX).last().map(|entry| entry.seq))
    }
}

/// A source over transactions held in memory (tests, replays of a recorded ledger).
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    pub transactions: Vec<SourceTx>,
}

impl Source for MemorySource {
    fn after(&mut self, after: Option<u64>, limit: usize) -> anyhow::Result<Vec<SourceTx>> {
        Ok(self.transactions.iter().filter(|t| after.is_none_or(|a| t.seq > a)).take(limit).cloned().collect())
    }

    fn head(&mut self) -> anyhow::Result<Option<u64>> {
        Ok(self.transactions.last().map(|t| t.seq))
    }
}
