//! The banks the crank bench measures: genesis, stakers that go through every real
//! transaction, and the rest of the positions written straight into the bank.

use anchor_lang::{AccountSerialize, Space};
use io_emissions::EmissionsConfig;
use io_localnet::Localnet;
use io_math::h3::h3_cell_from_parts;
use io_math::{reward_weight, VerifiedHardware};
use io_migrations::{run_genesis, Deployment, Genesis};
use io_registry::{CudaVersion, GpuCatalogue, HardwareSpec, NodeMetrics, NodeStatus, OperatorStats, RegistryConfig, Tier, Verdict};
use io_sdk::client::{fetch, Chain};
use io_sdk::{pda, staking as staking_ix, token};
use io_staking::{BondCheckpoint, OperatorStake, StakingConfig, UnbondingEntry, BOND_HISTORY, MAX_UNBONDING_ENTRIES};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::time::{Duration, Instant};

pub const IO: u64 = 1_000_000;
/// Stakers that go through the real path: node registered, attested by two oracles, bond
/// deposited. Both runs have exactly these, so the only difference is the injected rest.
pub const REAL_STAKERS: usize = 10;
const WALLET_LAMPORTS: u64 = 10_000_000_000;

pub struct Bank {
    pub net: Localnet,
    pub deployment: Deployment,
    pub authority: Keypair,
    pub oracles: Vec<Keypair>,
    /// Operators that staked through transactions.
    pub real: Vec<Keypair>,
    /// Operators whose accounts were written straight into the bank.
    pub injected: Vec<Pubkey>,
    pub setup: Duration,
    pub injection: Duration,
}

/// An Anchor account's bytes (discriminator first), padded to the space its `init` allots.
fn anchor_bytes<T: AccountSerialize>(value: &T, space: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(space);
    value.try_serialize(&mut data).expect("serialize");
    assert!(data.len() <= space, "serialized account larger than its space");
    data.resize(space, 0);
    data
}

impl Bank {
    /// Genesis, then `REAL_STAKERS` operators that each register an 8 x H100 node, get it
    /// verified by an oracle quorum and bond what it needs (80,000 IO).
    pub fn new() -> Self {
        let started = Instant::now();
        let mut net = Localnet::start();
        let authority = Keypair::new();
        let oracles: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
        for key in std::iter::once(&authority).chain(&oracles) {
            net.airdrop(&key.pubkey(), WALLET_LAMPORTS).expect("airdrop");
        }
        let oracle_keys: Vec<Pubkey> = oracles.iter().map(Keypair::pubkey).collect();
        let deployment = run_genesis(&mut net, &Genesis::reference(), &authority, &oracle_keys).expect("genesis");
        let mut bank =
            Bank { net, deployment, authority, oracles, real: vec![], injected: vec![], setup: Duration::ZERO, injection: Duration::ZERO };
        bank.stake_real_operators();
        bank.setup = started.elapsed();
        bank
    }

    fn stake_real_operators(&mut self) {
        let catalogue: GpuCatalogue = fetch(&mut self.net, &pda::gpu_catalogue()).expect("catalogue");
        let h100 = catalogue.models.iter().find(|m| m.name == "H100").expect("H100 in the catalogue").id;
        let bond = 80_000 * IO;
        let mut wallets = vec![];
        for i in 0..REAL_STAKERS {
            let operator = Keypair::new();
            self.net.airdrop(&operator.pubkey(), WALLET_LAMPORTS).expect("airdrop");
            let tokens = self.fund(&operator.pubkey(), bond);
            let spec = HardwareSpec {
                gpu_model: h100,
                gpu_count: 8,
                cuda: CudaVersion { major: 12, minor: 4 },
                region: h3_cell_from_parts(7, (i % 122) as u8, &[2, 1, 2, 3, 4, 5, (i % 7) as u8]).expect("h3 cell"),
                gpu_uuids_hash: io_sdk::gpu_uuids_hash(&gpu_uuids(i)),
            };
            let node = Keypair::new();
            self.deployment.registry.register(&mut self.net, &operator, &node, spec).expect("register node");
            wallets.push((operator, node, tokens, io_sdk::gpu_ids(&gpu_uuids(i))));
        }
        // A node is audited in an epoch after the one it registered in.
        let config: RegistryConfig = fetch(&mut self.net, &pda::registry_config()).expect("registry config");
        self.net.warp_seconds(i64::from(config.epoch_length_secs));
        let now = self.net.unix_time().expect("time");
        let epoch = config.current_epoch(now).expect("epoch");
        let quorum: Vec<&Keypair> = self.oracles.iter().take(2).collect();
        let metrics = NodeMetrics { verified_centi_tflops: 6_500, rtt_us: 18_000, bandwidth_mbps: 10_100, packet_loss_bps: 5 };
        let mint = self.deployment.io_mint;
        for (operator, node, tokens, gpus) in wallets {
            self.deployment
                .registry
                .attest(&mut self.net, &quorum, &node.pubkey(), epoch, Verdict::Verified, metrics, gpus)
                .expect("attest");
            self.net.send(&[staking_ix::deposit(&operator.pubkey(), &mint, &tokens, bond)], &[&operator]).expect("deposit");
            self.real.push(operator);
        }
    }

    /// A token account of `owner` holding `amount` $IO from the genesis allocation.
    fn fund(&mut self, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = Keypair::new();
        let rent = self.net.rent_exempt_balance(token::account_len()).expect("rent");
        let payer = self.net.payer();
        let mut ixs = token::create_account(&payer, &account.pubkey(), &self.deployment.io_mint, owner, rent).to_vec();
        ixs.push(token::transfer(&self.deployment.genesis_tokens, &account.pubkey(), &self.authority.pubkey(), amount));
        let authority = self.authority.insecure_clone();
        self.net.send(&ixs, &[&account, &authority]).expect("token account");
        account.pubkey()
    }

    /// Writes `count` more stakers straight into the bank: for each, the registry's
    /// aggregate account (one verified consumer node of 1 to 4 GPUs) and a staking position
    /// bonding exactly what that hardware needs, with the weight `refresh_weight` would
    /// compute and a fresh lease. The staking config's totals and lease bucket are raised by
    /// the sums, and the bonded sum really moves from the genesis allocation into the stake
    /// vault (a token transfer), so the vault still holds bonded + unbonding and the $IO
    /// supply is unchanged.
    pub fn inject(&mut self, count: usize) {
        if count == 0 {
            return;
        }
        let started = Instant::now();
        let mut config: StakingConfig = fetch(&mut self.net, &pda::staking_config()).expect("staking config");
        let tiers = config.params.tiers();
        let rent = self.net.rent().expect("rent");
        let stake_space = 8 + OperatorStake::INIT_SPACE;
        let stats_space = 8 + OperatorStats::INIT_SPACE;
        // Each operator's node was just attested: its lease, and so its weight's, runs for
        // the registry's lease from the current epoch.
        let registry: io_registry::RegistryConfig = fetch(&mut self.net, &pda::registry_config()).expect("registry config");
        let now = self.net.unix_time().expect("clock");
        let epoch = registry.current_epoch(now).expect("epoch");
        let lease_end = epoch + registry.lease_epochs;
        let consumer = Tier::Consumer.index();
        let (mut bonded_sum, mut weight_sum) = (0u64, 0u64);
        for i in 0..count {
            let operator = Pubkey::new_unique();
            let gpus = 1 + (i % 4) as u32;
            let mut hardware = VerifiedHardware::default();
            hardware.gpus[consumer] = gpus;
            hardware.score_gpus[consumer] = u64::from(gpus) * 10_000;
            let bonded = tiers.min_stake_per_gpu[consumer] * u64::from(gpus);
            let weight = reward_weight(bonded, &hardware, &tiers).expect("weight");
            assert!(weight > 0);

            let (stats_address, stats_bump) =
                Pubkey::find_program_address(&[io_registry::OPERATOR_SEED, operator.as_ref()], &io_registry::ID);
            let mut nodes_by_status = [0; NodeStatus::COUNT];
            nodes_by_status[NodeStatus::Verified.index()] = 1;
            let mut capacity = io_registry::VerifiedCapacity::default();
            capacity.nodes_by_tier[consumer] = 1;
            capacity.gpus_by_tier = hardware.gpus;
            capacity.score_gpus_by_tier = hardware.score_gpus;
            let mut lapses = [io_registry::LeaseLapse::default(); io_registry::LEASE_RING];
            lapses[(lease_end % io_registry::LEASE_RING as u64) as usize] = io_registry::LeaseLapse { end_epoch: lease_end, capacity };
            let stats = OperatorStats {
                operator,
                nodes_by_status,
                verified: capacity,
                settled_epoch: epoch,
                lapses: Box::new(lapses),
                nodes_registered: 1,
                deposits_lamports: 0,
                verified_version: 1,
                epoch_origin: registry.epoch_origin,
                epoch_length_secs: registry.epoch_length_secs,
                bump: stats_bump,
            };
            self.net.set_account(
                &stats_address,
                Account {
                    lamports: rent.minimum_balance(stats_space),
                    data: anchor_bytes(&stats, stats_space),
                    owner: io_registry::ID,
                    executable: false,
                    rent_epoch: 0,
                },
            );

            let (stake_address, stake_bump) = Pubkey::find_program_address(&[io_staking::STAKE_SEED, operator.as_ref()], &io_staking::ID);
            let stake = OperatorStake {
                operator,
                bonded,
                unbonding: [UnbondingEntry::default(); MAX_UNBONDING_ENTRIES],
                pending_slash: 0,
                weight,
                registry_version: stats.verified_version,
                reward_checkpoint: config.rewards.accumulator,
                lease_end,
                accrued_rewards: 0,
                claimed_rewards: 0,
                bond_history: {
                    let mut history = [BondCheckpoint::default(); BOND_HISTORY];
                    history[0] = BondCheckpoint { since: 0, bonded };
                    history
                },
                bond_checkpoints: 1,
                bump: stake_bump,
            };
            self.net.set_account(
                &stake_address,
                Account {
                    lamports: rent.minimum_balance(stake_space),
                    data: anchor_bytes(&stake, stake_space),
                    owner: io_staking::ID,
                    executable: false,
                    rent_epoch: 0,
                },
            );
            bonded_sum += bonded;
            weight_sum += weight;
            self.injected.push(operator);
        }

        config.total_bonded += bonded_sum;
        config.total_weight += weight_sum;
        config.rewards.lease(weight_sum, lease_end).expect("lease");
        let address = pda::staking_config();
        let mut account = self.net.account(&address).expect("read").expect("staking config");
        let space = account.data.len();
        account.data = anchor_bytes(&config, space);
        self.net.set_account(&address, account);

        let move_bond = token::transfer(&self.deployment.genesis_tokens, &pda::staking_vault(), &self.authority.pubkey(), bonded_sum);
        let authority = self.authority.insecure_clone();
        self.net.send(&[move_bond], &[&authority]).expect("fund the stake vault");
        self.injection = started.elapsed();
    }

    pub fn staking_config(&mut self) -> StakingConfig {
        fetch(&mut self.net, &pda::staking_config()).expect("staking config")
    }

    pub fn emissions_config(&mut self) -> EmissionsConfig {
        fetch(&mut self.net, &pda::emissions_config()).expect("emissions config")
    }

    /// The staking vault holds every bonded and unbonding unit, and the config's totals
    /// are what the stakers add up to (the injected sums are known, so the large run
    /// checks them without reading 100,000 accounts back).
    pub fn check_vault(&mut self) {
        let config = self.staking_config();
        let vault = self.net.account_data(&pda::staking_vault()).expect("read").expect("vault");
        let held = token::balance(&vault).expect("token account");
        assert_eq!(u128::from(held), u128::from(config.total_bonded) + u128::from(config.total_unbonding), "vault != bonded + unbonding");
    }

    /// Moves the clock to the end of the emission epoch in progress, so the next crank
    /// accounts exactly one epoch.
    pub fn end_emission_epoch(&mut self) {
        let config = self.emissions_config();
        let now = self.net.unix_time().expect("time");
        let length = i64::from(config.epoch_secs);
        let into = (now - config.start_ts).rem_euclid(length);
        self.net.advance_clock(length - into);
    }

    pub fn refresh(&mut self, operator: &Pubkey) -> Duration {
        let ix = staking_ix::refresh_weight(operator);
        let started = Instant::now();
        self.net.send(&[ix], &[]).expect("refresh_weight");
        started.elapsed()
    }
}

/// Eight distinct GPU UUIDs of the bench's node `i`.
fn gpu_uuids(i: usize) -> Vec<String> {
    (0..8).map(|g| format!("GPU-bench-{i:04}-{g}")).collect()
}
