//! The shared test harness: a genesis-initialised embedded bank, funded wallets, helpers
//! that build and send each instruction, and the invariant checks every test calls. This
//! file holds the bank and the wallets; each program's helpers live in a module of its
//! own (`registry`, `staking`, `emissions`, `treasury`, `governance`), and the invariants
//! and refusal checks in `invariants`.

use anchor_lang::AccountDeserialize;
use io_emissions::EmissionsConfig;
use io_localnet::Localnet;
use io_math::h3::h3_cell_from_parts;
use io_migrations::{run_genesis_with, Genesis, Handover};
use io_registry::*;
use io_sdk::client::{fetch, Chain, Refusal};
use io_sdk::emissions as emissions_ix;
use io_sdk::network::RegistryClient;
use io_sdk::pda;
use io_sdk::token;
use io_sdk::tree::onchain_root;
use io_staking::{OperatorStake, StakingConfig};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::collections::BTreeMap;

pub use io_sdk::registry as ix;

mod emissions;
pub mod figures;
mod governance;
mod invariants;
mod registry;
mod staking;
mod treasury;

/// Lamports every test wallet starts with.
pub const WALLET_LAMPORTS: u64 = 10_000_000_000;

pub struct Harness {
    pub net: Localnet,
    pub genesis: Genesis,
    pub authority: Keypair,
    /// The IOSD gateway the harness's genesis names (a key of its own, not the authority).
    pub gateway: Keypair,
    pub oracles: Vec<Keypair>,
    pub registry: RegistryClient,
    pub first_tree: Pubkey,
    pub io_mint: Pubkey,
    /// The genesis authority's $IO account (the initial allocation).
    pub genesis_tokens: Pubkey,
    pub treasury: Pubkey,
    operators: Vec<Pubkey>,
    token_accounts: Vec<Pubkey>,
    /// The GPU identities behind every GPU set hash `spec` made, so a verification can
    /// name them.
    gpu_sets: BTreeMap<[u8; 32], Vec<[u8; GPU_ID_LEN]>>,
}

impl Harness {
    /// The reference genesis (1M-node tree, 2-of-3 oracles).
    pub fn new() -> Self {
        Self::with_genesis(Genesis::reference())
    }

    /// Genesis with a small tree, for tests that fill one.
    pub fn with_tree(max_depth: u32, max_buffer_size: u32, canopy_depth: u32) -> Self {
        let mut genesis = Genesis::reference();
        genesis.registry.tree.max_depth = max_depth;
        genesis.registry.tree.max_buffer_size = max_buffer_size;
        genesis.registry.tree.canopy_depth = canopy_depth;
        Self::with_genesis(genesis)
    }

    /// The reference genesis run to its end: the DAO holds every config authority.
    pub fn with_dao() -> Self {
        Self::start(Genesis::reference(), Handover::ToDao)
    }

    /// Genesis where the genesis authority keeps the configs, for tests that drive the
    /// config instructions of one program directly.
    pub fn with_genesis(genesis: Genesis) -> Self {
        Self::start(genesis, Handover::KeepGenesisAuthority)
    }

    /// Runs `genesis` with fresh keys; the genesis file's IOSD gateway is the harness's
    /// own `gateway` key.
    pub fn start(mut genesis: Genesis, handover: Handover) -> Self {
        let mut net = Localnet::start();
        let authority = Keypair::new();
        let gateway = Keypair::new();
        genesis.treasury.gateway = Some(gateway.pubkey().to_string());
        let oracles: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
        for key in std::iter::once(&authority).chain(&oracles) {
            net.airdrop(&key.pubkey(), WALLET_LAMPORTS).unwrap();
        }
        let keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
        let deployment = run_genesis_with(&mut net, &genesis, &authority, &keys, handover).expect("genesis");
        Self {
            net,
            genesis,
            authority,
            gateway,
            oracles,
            registry: deployment.registry,
            first_tree: deployment.first_tree,
            io_mint: deployment.io_mint,
            genesis_tokens: deployment.genesis_tokens,
            treasury: deployment.treasury,
            operators: vec![],
            token_accounts: vec![],
            gpu_sets: BTreeMap::new(),
        }
    }

    /// A new funded operator wallet, tracked by the invariant checks.
    pub fn operator(&mut self) -> Keypair {
        let key = Keypair::new();
        self.net.airdrop(&key.pubkey(), WALLET_LAMPORTS).unwrap();
        self.operators.push(key.pubkey());
        key
    }

    /// Tracks an operator created elsewhere, so the invariant checks include it.
    pub fn track_operator(&mut self, operator: Pubkey) {
        self.operators.push(operator);
    }

    /// A new $IO token account owned by `owner`, funded with `amount` base units from the
    /// genesis allocation.
    pub fn fund_io(&mut self, owner: &Pubkey, amount: u64) -> Pubkey {
        self.token_account(&self.io_mint.clone(), owner, amount)
    }

    /// A new token account of `mint` owned by `owner`; `amount` $IO is moved in when the
    /// mint is $IO.
    pub fn token_account(&mut self, mint: &Pubkey, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = Keypair::new();
        let rent = self.net.rent_exempt_balance(token::account_len()).unwrap();
        let payer = self.net.payer();
        let mut ixs = token::create_account(&payer, &account.pubkey(), mint, owner, rent).to_vec();
        if amount > 0 {
            ixs.push(token::transfer(&self.genesis_tokens, &account.pubkey(), &self.authority.pubkey(), amount));
        }
        let authority = self.authority.insecure_clone();
        let signers: &[&Keypair] = if amount > 0 { &[&account, &authority] } else { &[&account] };
        self.net.send(&ixs, signers).expect("token account");
        self.token_accounts.push(account.pubkey());
        account.pubkey()
    }

    pub fn token_balance(&mut self, account: &Pubkey) -> u64 {
        token::balance(&self.net.account_data(account).unwrap().expect("token account")).expect("token account")
    }

    pub fn io_supply(&mut self) -> u64 {
        let mint = self.io_mint;
        token::supply(&self.net.account_data(&mint).unwrap().expect("mint")).expect("mint")
    }

    /// Sends instructions that must succeed; returns what landed (logs, events, size).
    pub fn ok(&mut self, instructions: &[solana_sdk::instruction::Instruction], signers: &[&Keypair]) -> io_sdk::client::TxOutcome {
        let outcome = self.net.send(instructions, signers).unwrap_or_else(|e| panic!("{e:?}"));
        self.registry.ingest(&outcome).unwrap();
        self.check_invariants();
        outcome
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}
