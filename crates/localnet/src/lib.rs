//! An in-process Solana bank (solana-program-test) with every program of the suite,
//! the real spl-account-compression and noop programs, and the bundled SPL Token.
//!
//! It is synchronous on purpose: it owns its async runtime, so the demo, the tests and
//! the genesis code drive it like any other [`Chain`].

mod compute_log;
mod event_capture;

pub use compute_log::top_level_compute_units;

use anchor_lang::solana_program::{account_info::AccountInfo, entrypoint::ProgramResult};
use anyhow::Context;
use io_sdk::client::{Chain, TxFailure, TxOutcome};
use solana_loader_v3_interface::state::UpgradeableLoaderState;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_sdk::clock::Clock;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;
use solana_sdk_ids::bpf_loader_upgradeable;
use std::collections::{HashMap, HashSet};

// Anchor's entry points tie the account slice to the 'info lifetime; solana-program-test
// wants a plain function pointer. The bank keeps the accounts alive for the whole call.
fn registry_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    io_registry::entry(program_id, accounts, data)
}

fn staking_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    io_staking::entry(program_id, accounts, data)
}

fn emissions_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    io_emissions::entry(program_id, accounts, data)
}

fn treasury_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    io_treasury::entry(program_id, accounts, data)
}

fn governance_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    io_governance::entry(program_id, accounts, data)
}

fn compression_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    spl_account_compression::entry(program_id, accounts, data)
}

/// Where the SBF artifacts are when the bank runs real bytecode: the `IO_SBF_DIR`
/// environment variable (`scripts/sbf/build.sh` writes `target/deploy`). Unset, the bank
/// runs every program as a native processor.
pub fn sbf_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("IO_SBF_DIR").map(std::path::PathBuf::from)
}

/// Whether the bank runs the artifact `name` (e.g. "io_treasury") as SBF bytecode.
pub fn runs_as_sbf(name: &str) -> bool {
    sbf_dir().is_some_and(|d| d.join(format!("{name}.so")).is_file())
}

/// The suite's programs: artifact name (the `.so` file stem) and address.
const PROGRAMS: [(&str, Pubkey); 7] = [
    ("io_registry", io_registry::ID),
    ("io_staking", io_staking::ID),
    ("io_emissions", io_emissions::ID),
    ("io_treasury", io_treasury::ID),
    ("io_governance", io_governance::ID),
    ("spl_account_compression", spl_account_compression::ID),
    ("spl_noop", io_sdk::NOOP_PROGRAM_ID),
];

/// The embedded bank's deployer: the upgrade authority of every program in it, and the
/// bank's fee payer, as `solana program deploy` makes the CLI keypair both. A fixed key
/// (it only ever exists in this in-process bank) so the programs' ProgramData can name it
/// before the bank starts.
pub fn deployer() -> Keypair {
    Keypair::new_from_array(*b"io-localnet-deployer-upgrade-key")
}

/// Lamports the deployer starts with: enough for any test's rent and airdrops.
const DEPLOYER_LAMPORTS: u64 = 1_000_000 * 1_000_000_000;

/// A ProgramData account (upgradeable loader) naming `authority`, followed by `elf`.
fn program_data_account(authority: &Pubkey, elf: &[u8]) -> solana_sdk::account::Account {
    let mut data = bincode::serialize(&UpgradeableLoaderState::ProgramData { slot: 0, upgrade_authority_address: Some(*authority) })
        .expect("ProgramData header");
    data.extend_from_slice(elf);
    solana_sdk::account::Account {
        lamports: solana_sdk::rent::Rent::default().minimum_balance(data.len()),
        data,
        owner: bpf_loader_upgradeable::ID,
        executable: false,
        rent_epoch: 0,
    }
}

/// Deploys `elf` at `id` under the upgradeable loader, as `solana program deploy` would:
/// a program account pointing at its ProgramData, whose upgrade authority is the deployer.
fn add_upgradeable_program(test: &mut ProgramTest, id: Pubkey, elf: &[u8], authority: &Pubkey) {
    let program_data = io_sdk::pda::program_data(&id);
    let data = bincode::serialize(&UpgradeableLoaderState::Program { programdata_address: program_data }).expect("Program header");
    let program = solana_sdk::account::Account {
        lamports: solana_sdk::rent::Rent::default().minimum_balance(data.len()),
        data,
        owner: bpf_loader_upgradeable::ID,
        executable: true,
        rent_epoch: 0,
    };
    // Genesis accounts, so the bank's program cache sees them when it starts.
    test.add_genesis_account(id, program);
    test.add_genesis_account(program_data, program_data_account(authority, elf));
}

/// The program set of the suite, registered with a `ProgramTest`. With `IO_SBF_DIR` set,
/// every program whose `.so` is there runs as SBF bytecode in the bank's VM (compute
/// meter, 4 KiB frames, 32 KiB heap, account privileges), deployed under the upgradeable
/// loader with [`deployer`] as its upgrade authority; the others stay native, each with a
/// ProgramData account naming the same authority, so `initialize_*` checks the deployer
/// the same way in both lanes. Which ran how is printed once, so a run never passes for an
/// SBF run it was not.
pub fn program_test() -> ProgramTest {
    let mut test = ProgramTest::default();
    test.prefer_bpf(false);
    let deployer = deployer().pubkey();
    test.add_account(
        deployer,
        solana_sdk::account::Account { lamports: DEPLOYER_LAMPORTS, owner: solana_sdk::system_program::ID, ..Default::default() },
    );
    let dir = sbf_dir();
    let mut lanes = vec![];
    for (name, id) in PROGRAMS {
        let sbf = runs_as_sbf(name);
        if sbf {
            let path = dir.as_ref().expect("an SBF dir").join(format!("{name}.so"));
            let elf = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            add_upgradeable_program(&mut test, id, &elf, &deployer);
        } else {
            test.add_account(io_sdk::pda::program_data(&id), program_data_account(&deployer, &[]));
            match name {
                "io_registry" => test.add_program(name, id, processor!(registry_entry)),
                "io_staking" => test.add_program(name, id, processor!(staking_entry)),
                "io_emissions" => test.add_program(name, id, processor!(emissions_entry)),
                "io_treasury" => test.add_program(name, id, processor!(treasury_entry)),
                "io_governance" => test.add_program(name, id, processor!(governance_entry)),
                "spl_account_compression" => test.add_program(name, id, processor!(compression_entry)),
                _ => test.add_program(name, id, processor!(spl_noop::noop)),
            }
        }
        lanes.push(format!("{name}: {}", if sbf { "SBF" } else { "native" }));
    }
    if dir.is_some() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| eprintln!("embedded bank programs: {}", lanes.join(", ")));
    }
    test
}

/// A running embedded bank.
pub struct Localnet {
    runtime: tokio::runtime::Runtime,
    context: ProgramTestContext,
    sent: HashSet<Signature>,
    /// Noop data per written account, for `noop_history`.
    history: HashMap<Pubkey, Vec<Vec<u8>>>,
    /// Every landed transaction that logged noop data, in order: what an indexer follows.
    ledger: Vec<LedgerEntry>,
    /// Transactions landed.
    pub transactions: u64,
    /// Compute units each kind of instruction (program, Anchor discriminator) consumed,
    /// one entry per landed instruction; only programs running as SBF are metered.
    pub compute_units: std::collections::BTreeMap<(Pubkey, [u8; 8]), Vec<u64>>,
    blockhash_at: std::time::Instant,
}

impl Localnet {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let mut context = runtime.block_on(program_test().start_with_context());
        // The deployer pays, as the CLI keypair that deployed a program does on a cluster.
        context.payer = deployer();
        event_capture::install();
        let blockhash_at = std::time::Instant::now();
        Self {
            runtime,
            context,
            sent: HashSet::new(),
            history: HashMap::new(),
            ledger: Vec::new(),
            transactions: 0,
            compute_units: Default::default(),
            blockhash_at,
        }
    }

    pub fn payer_keypair(&self) -> &Keypair {
        &self.context.payer
    }

    /// Moves lamports from the payer to `to` (for operator and oracle wallets).
    pub fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> anyhow::Result<()> {
        let ix = solana_sdk::system_instruction::transfer(&self.payer(), to, lamports);
        self.send(&[ix], &[]).map(|_| ())
    }

    pub fn rent(&mut self) -> anyhow::Result<solana_sdk::rent::Rent> {
        Ok(self.runtime.block_on(self.context.banks_client.get_rent())?)
    }

    pub fn clock(&mut self) -> Clock {
        self.runtime.block_on(self.context.banks_client.get_sysvar::<Clock>()).expect("clock sysvar")
    }

    /// Moves the bank's clock forward (the slot advances too, so blockhashes renew).
    pub fn warp_seconds(&mut self, seconds: i64) {
        let clock = self.clock();
        let slot = clock.slot + 1 + (seconds.max(0) as u64 / 4).min(1_000);
        self.context.warp_to_slot(slot).expect("warp");
        let mut clock = self.clock();
        clock.unix_timestamp = clock.unix_timestamp.max(0) + seconds;
        self.context.set_sysvar(&clock);
        self.refresh_blockhash();
    }

    fn refresh_blockhash(&mut self) {
        let hash = self.runtime.block_on(self.context.banks_client.get_latest_blockhash()).expect("blockhash");
        self.context.last_blockhash = hash;
        self.blockhash_at = std::time::Instant::now();
    }

    /// Builds and signs a transaction without sending it (to measure its size).
    pub fn transaction(&self, instructions: &[Instruction], signers: &[&Keypair]) -> Transaction {
        let mut all: Vec<&Keypair> = vec![&self.context.payer];
        all.extend(signers.iter().copied().filter(|k| k.pubkey() != self.context.payer.pubkey()));
        Transaction::new_signed_with_payer(instructions, Some(&self.context.payer.pubkey()), &all, self.context.last_blockhash)
    }

    fn signed(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Transaction {
        // The test bank registers a new blockhash every tick in the background and keeps
        // the last 300, so a long run of transactions without a warp would outlive its
        // blockhash: take a fresh one every second.
        if self.blockhash_at.elapsed() > std::time::Duration::from_secs(1) {
            self.refresh_blockhash();
        }
        let mut tx = self.transaction(instructions, signers);
        // The same transaction twice in one blockhash would be refused as a duplicate
        // before any program ran; a test that repeats one on purpose gets a fresh slot.
        if self.sent.contains(&tx.signatures[0]) {
            let slot = self.clock().slot + 1;
            self.context.warp_to_slot(slot).expect("warp");
            self.refresh_blockhash();
            tx = self.transaction(instructions, signers);
        }
        tx
    }
}

impl Chain for Localnet {
    fn payer(&self) -> Pubkey {
        self.context.payer.pubkey()
    }

    fn rent_exempt_balance(&mut self, size: usize) -> anyhow::Result<u64> {
        let rent = self.runtime.block_on(self.context.banks_client.get_rent())?;
        Ok(rent.minimum_balance(size))
    }

    fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> anyhow::Result<TxOutcome> {
        let tx = self.signed(instructions, signers);
        self.process(tx)
    }

    fn latest_blockhash(&mut self) -> anyhow::Result<solana_sdk::hash::Hash> {
        if self.blockhash_at.elapsed() > std::time::Duration::from_secs(1) {
            self.refresh_blockhash();
        }
        Ok(self.context.last_blockhash)
    }

    fn submit(&mut self, mut tx: Transaction) -> anyhow::Result<TxOutcome> {
        let blockhash = tx.message.recent_blockhash;
        tx.try_partial_sign(&[&self.context.payer], blockhash).context("the payer's signature")?;
        self.process(tx)
    }

    fn account_data(&mut self, address: &Pubkey) -> anyhow::Result<Option<Vec<u8>>> {
        let account = self.runtime.block_on(self.context.banks_client.get_account(*address)).context("get_account")?;
        Ok(account.map(|a| a.data))
    }

    fn unix_time(&mut self) -> anyhow::Result<i64> {
        Ok(self.clock().unix_timestamp)
    }

    fn noop_history(&mut self, address: &Pubkey) -> anyhow::Result<Vec<Vec<u8>>> {
        Ok(self.history.get(address).cloned().unwrap_or_default())
    }
}

impl Localnet {
    /// Simulates (to see the noop data), then processes a fully signed transaction.
    fn process(&mut self, tx: Transaction) -> anyhow::Result<TxOutcome> {
        let size = bincode::serialize(&tx)?.len();
        let signature = tx.signatures[0];
        self.sent.insert(signature);
        let banks = &mut self.context.banks_client;
        // Simulation is the only way to see inner instructions (the noop data) here; the
        // transaction is then processed for real against the same state.
        let simulated = self.runtime.block_on(banks.simulate_transaction(tx.clone()))?;
        let (logs, inner_instructions) = match simulated.simulation_details {
            Some(details) => (details.logs, details.inner_instructions.unwrap_or_default()),
            None => (vec![], vec![]),
        };
        let logs = event_capture::restore(logs);
        if let Some(Err(error)) = simulated.result {
            return Err(TxFailure { error, logs }.into());
        }
        let processed = self.runtime.block_on(banks.process_transaction_with_metadata(tx.clone()))?;
        if let Err(error) = processed.result {
            let logs = processed.metadata.map(|m| event_capture::restore(m.log_messages)).unwrap_or_default();
            return Err(TxFailure { error, logs }.into());
        }
        let keys = &tx.message.account_keys;
        let noop = io_sdk::NOOP_PROGRAM_ID;
        let noop_data: Vec<Vec<u8>> = inner_instructions
            .iter()
            .flatten()
            .filter(|inner| keys.get(inner.instruction.program_id_index as usize) == Some(&noop))
            .map(|inner| inner.instruction.data.clone())
            .collect();
        if !noop_data.is_empty() {
            for (i, key) in keys.iter().enumerate() {
                if tx.message.is_maybe_writable(i, None) {
                    self.history.entry(*key).or_default().extend(noop_data.iter().cloned());
                }
            }
        }
        // With the program of the top-level instruction each was logged inside: only
        // what the registry's own instructions logged is the registry's.
        let by_instruction: Vec<(Pubkey, Vec<u8>)> = inner_instructions
            .iter()
            .enumerate()
            .flat_map(|(i, inner)| {
                let top = tx.message.instructions.get(i).and_then(|ix| keys.get(ix.program_id_index as usize)).copied().unwrap_or_default();
                inner
                    .iter()
                    .filter(|inner| keys.get(inner.instruction.program_id_index as usize) == Some(&noop))
                    .map(move |inner| (top, inner.instruction.data.clone()))
            })
            .collect();
        let program_data = io_sdk::events::program_data(&logs);
        if !by_instruction.is_empty() || !program_data.events.is_empty() || program_data.truncated {
            // The bank's clock when it landed: what a validator reports as the block time.
            let block_time = self.clock().unix_timestamp;
            self.ledger.push(LedgerEntry { seq: self.transactions, signature, block_time, noop_data: by_instruction, program_data });
        }
        self.transactions += 1;
        // The suite's own five programs; the SPL programs' figures are theirs.
        let mut metered = compute_log::metered(&tx, &logs);
        metered.retain(|(program, _, _)| PROGRAMS[..5].iter().any(|(_, id)| id == program));
        compute_log::append(&metered);
        for (program, discriminator, units) in metered {
            self.compute_units.entry((program, discriminator)).or_default().push(units);
        }
        Ok(TxOutcome { signature, noop_data, logs, size })
    }
}

/// One landed transaction of the bank's ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The transaction's position among every transaction the bank landed.
    pub seq: u64,
    pub signature: Signature,
    /// Unix seconds of the bank's clock when it landed (a validator's block time).
    pub block_time: i64,
    /// Noop instruction data, each with the program of the top-level instruction it was
    /// logged inside.
    pub noop_data: Vec<(Pubkey, Vec<u8>)>,
    /// Anchor events (`Program data:` lines), each with the program that emitted it.
    pub program_data: io_sdk::events::ProgramData,
}

impl Localnet {
    /// Up to `limit` ledger entries after position `after` (from the first for `None`).
    pub fn ledger_after(&self, after: Option<u64>, limit: usize) -> &[LedgerEntry] {
        let start = after.map_or(0, |a| self.ledger.partition_point(|e| e.seq <= a));
        let end = start.saturating_add(limit).min(self.ledger.len());
        &self.ledger[start..end]
    }
}

/// Errors from the banks client, re-exported for callers that match on them.
pub type BankError = BanksClientError;

/// Native builds of on-chain programs print their `msg!` lines straight to stdout (on
/// the host, `sol_log` is `println!`). A command whose stdout is its report holds one of
/// these while the bank runs; the old stdout comes back when it drops.
pub struct QuietStdout {
    saved: libc::c_int,
}

impl QuietStdout {
    pub fn new() -> std::io::Result<Self> {
        use std::io::Write;
        std::io::stdout().flush()?;
        let devnull = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
        // SAFETY: plain descriptor duplication on descriptors this process owns.
        unsafe {
            let saved = libc::dup(libc::STDOUT_FILENO);
            if saved < 0 || libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&devnull), libc::STDOUT_FILENO) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(Self { saved })
        }
    }
}

impl Drop for QuietStdout {
    fn drop(&mut self) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: restores the descriptor saved in `new`.
        unsafe {
            libc::dup2(self.saved, libc::STDOUT_FILENO);
            libc::close(self.saved);
        }
    }
}

/// Direct state access for benches that need a large existing state (say 100,000
/// stakers) that would take hours to build transaction by transaction.
impl Localnet {
    /// The whole account (lamports, owner, data), not just its data.
    pub fn account(&mut self, address: &Pubkey) -> anyhow::Result<Option<solana_sdk::account::Account>> {
        Ok(self.runtime.block_on(self.context.banks_client.get_account(*address))?)
    }

    /// Writes an account into the bank as is, bypassing every program. The caller keeps
    /// the programs' invariants true (totals, vault balances); nothing here checks them.
    pub fn set_account(&mut self, address: &Pubkey, account: solana_sdk::account::Account) {
        self.context.set_account(address, &account.into());
    }

    /// Like `warp_seconds`, but moves the bank one slot only. A warp over many slots makes
    /// program-test hash every account (and keep the hash cache files open), which costs
    /// seconds and runs out of file descriptors once the bank holds 100,000s of accounts.
    pub fn advance_clock(&mut self, seconds: i64) {
        let slot = self.clock().slot + 1;
        self.context.warp_to_slot(slot).expect("next slot");
        let mut clock = self.clock();
        clock.unix_timestamp += seconds.max(0);
        self.context.set_sysvar(&clock);
        self.refresh_blockhash();
    }
}
