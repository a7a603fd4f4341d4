//! The one interface every tool talks to a chain through: the embedded bank of the demo
//! and tests, or a real cluster.

use crate::events::{decode_noop_data, NoopPayload};
use anchor_lang::AccountDeserialize;
use io_registry::NodeEvent;
use solana_sdk::hash::Hash;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::transaction::{Transaction, TransactionError};

/// What a landed transaction left behind that off-chain code needs.
#[derive(Clone, Debug, Default)]
pub struct TxOutcome {
    pub signature: Signature,
    /// Data of every noop instruction the transaction invoked, in order.
    pub noop_data: Vec<Vec<u8>>,
    pub logs: Vec<String>,
    /// Serialized size of the transaction in bytes.
    pub size: usize,
}

impl TxOutcome {
    pub fn node_events(&self) -> Vec<NodeEvent> {
        self.noop_data
            .iter()
            .filter_map(|data| match decode_noop_data(data) {
                NoopPayload::Node(event) => Some(*event),
                _ => None,
            })
            .collect()
    }
}

/// A transaction the chain refused.
#[derive(Clone, Debug, thiserror::Error)]
#[error("transaction failed: {error}")]
pub struct TxFailure {
    pub error: TransactionError,
    pub logs: Vec<String>,
}

impl TxFailure {
    /// The program's custom error code, if the failure was one.
    pub fn custom_code(&self) -> Option<u32> {
        match &self.error {
            TransactionError::InstructionError(_, solana_sdk::instruction::InstructionError::Custom(code)) => Some(*code),
            _ => None,
        }
    }

    /// The program that raised the failure: the innermost one whose failure the runtime
    /// logged, so an error from a CPI names the callee. Every Anchor program numbers its
    /// errors from 6000; this is what tells one program's code from another's.
    pub fn raised_by(&self) -> Option<Pubkey> {
        self.logs.iter().find_map(|line| {
            let rest = line.strip_prefix("Program ")?;
            let (id, tail) = rest.split_once(' ')?;
            tail.starts_with("failed: ").then(|| id.parse().ok()).flatten()
        })
    }
}

/// A chain the suite can deploy to and operate on.
pub trait Chain {
    /// Pays fees and rent; signs every transaction.
    fn payer(&self) -> Pubkey;
    fn rent_exempt_balance(&mut self, size: usize) -> anyhow::Result<u64>;
    /// Sends one transaction signed by the payer and `signers`. A refusal by the chain is
    /// returned as a [`TxFailure`] inside the error.
    fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> anyhow::Result<TxOutcome>;
    fn account_data(&mut self, address: &Pubkey) -> anyhow::Result<Option<Vec<u8>>>;
    /// The cluster's unix time.
    fn unix_time(&mut self) -> anyhow::Result<i64>;
    /// Data of every noop instruction of every transaction that wrote `address`, oldest
    /// first: what an indexer replays to rebuild a tree.
    fn noop_history(&mut self, address: &Pubkey) -> anyhow::Result<Vec<Vec<u8>>>;
    /// A blockhash that transactions built now may carry (for messages that several
    /// parties sign before one of them sends it).
    fn latest_blockhash(&mut self) -> anyhow::Result<Hash>;
    /// Sends a transaction whose message pays fees from [`Chain::payer`] and that carries
    /// every other signature already: the chain adds the payer's and sends it.
    fn submit(&mut self, tx: Transaction) -> anyhow::Result<TxOutcome>;
}

/// A borrowed chain is a chain, so a `&mut dyn Chain` (say, handed to a closure by a
/// thread that owns the chain) works with every helper written for `impl Chain`.
impl<C: Chain + ?Sized> Chain for &mut C {
    fn payer(&self) -> Pubkey {
        (**self).payer()
    }
    fn rent_exempt_balance(&mut self, size: usize) -> anyhow::Result<u64> {
        (**self).rent_exempt_balance(size)
    }
    fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> anyhow::Result<TxOutcome> {
        (**self).send(instructions, signers)
    }
    fn account_data(&mut self, address: &Pubkey) -> anyhow::Result<Option<Vec<u8>>> {
        (**self).account_data(address)
    }
    fn unix_time(&mut self) -> anyhow::Result<i64> {
        (**self).unix_time()
    }
    fn noop_history(&mut self, address: &Pubkey) -> anyhow::Result<Vec<Vec<u8>>> {
        (**self).noop_history(address)
    }
    fn latest_blockhash(&mut self) -> anyhow::Result<Hash> {
        (**self).latest_blockhash()
    }
    fn submit(&mut self, tx: Transaction) -> anyhow::Result<TxOutcome> {
        (**self).submit(tx)
    }
}

/// Reads and decodes an Anchor account.
pub fn fetch<T: AccountDeserialize>(chain: &mut impl Chain, address: &Pubkey) -> anyhow::Result<T> {
    let data = chain.account_data(address)?.ok_or_else(|| anyhow::anyhow!("account {address} does not exist"))?;
    Ok(T::try_deserialize(&mut data.as_slice())?)
}

/// Like [`fetch`], but `None` when the account does not exist.
pub fn fetch_opt<T: AccountDeserialize>(chain: &mut impl Chain, address: &Pubkey) -> anyhow::Result<Option<T>> {
    match chain.account_data(address)? {
        Some(data) => Ok(Some(T::try_deserialize(&mut data.as_slice())?)),
        None => Ok(None),
    }
}

/// The custom error code of a failed send, if any. Every Anchor program numbers its
/// errors from 6000: where the program matters, compare a [`Refusal`].
pub fn failure_code(error: &anyhow::Error) -> Option<u32> {
    error.downcast_ref::<TxFailure>().and_then(TxFailure::custom_code)
}

/// Which program refused a transaction, and with which custom error: the pair that names
/// a refusal (the code alone is shared by all five programs, and an error raised inside a
/// CPI is the callee's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub program: Pubkey,
    pub code: u32,
}

impl Refusal {
    pub fn new(program: Pubkey, code: impl Into<u32>) -> Self {
        Self { program, code: code.into() }
    }

    /// The refusal inside a failed send: the innermost failing program and its code.
    pub fn of(error: &anyhow::Error) -> Option<Self> {
        let failure = error.downcast_ref::<TxFailure>()?;
        Some(Self { program: failure.raised_by()?, code: failure.custom_code()? })
    }
}

macro_rules! refusal_from_program_errors {
    ($($error:ty => $program:path),* $(,)?) => {
        $(impl From<$error> for Refusal {
            fn from(error: $error) -> Self {
                Self { program: $program, code: error.into() }
            }
        })*
    };
}

refusal_from_program_errors!(
    io_registry::RegistryError => io_registry::ID,
    io_staking::StakingError => io_staking::ID,
    io_emissions::EmissionsError => io_emissions::ID,
    io_treasury::TreasuryError => io_treasury::ID,
    io_governance::GovernanceError => io_governance::ID,
);
