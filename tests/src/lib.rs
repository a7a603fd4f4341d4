//! The shared test harness: a genesis-initialised embedded bank, funded wallets, helpers
//! that build and send each instruction, and the invariant checks every test calls.

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

    pub fn staking_config(&mut self) -> StakingConfig {
        fetch(&mut self.net, &pda::staking_config()).unwrap()
    }

    pub fn stake(&mut self, operator: &Pubkey) -> OperatorStake {
        fetch(&mut self.net, &pda::operator_stake(operator)).unwrap()
    }

    /// Sends instructions that must succeed; returns what landed (logs, events, size).
    pub fn ok(&mut self, instructions: &[solana_sdk::instruction::Instruction], signers: &[&Keypair]) -> io_sdk::client::TxOutcome {
        let outcome = self.net.send(instructions, signers).unwrap_or_else(|e| panic!("{e:?}"));
        self.registry.ingest(&outcome).unwrap();
        self.check_invariants();
        outcome
    }

    pub fn model_id(&mut self, name: &str) -> u16 {
        let catalogue: GpuCatalogue = fetch(&mut self.net, &pda::gpu_catalogue()).unwrap();
        catalogue.models.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no model {name}")).id
    }

    /// A valid spec for `count` GPUs of `model`, at a CUDA version every model accepts.
    pub fn spec(&mut self, model: &str, count: u16, seed: u64) -> HardwareSpec {
        let digits: Vec<u8> = (0..7).map(|i| ((seed >> (i * 3)) % 7) as u8).collect();
        let gpu_uuids_hash = self.gpu_set(&Self::gpu_uuids(seed, count));
        HardwareSpec {
            gpu_model: self.model_id(model),
            gpu_count: count,
            cuda: CudaVersion { major: 12, minor: 4 },
            region: h3_cell_from_parts(7, (seed % 122) as u8, &digits).unwrap(),
            gpu_uuids_hash,
        }
    }

    /// The UUIDs of the `count` GPUs of the machine numbered `seed`.
    pub fn gpu_uuids(seed: u64, count: u16) -> Vec<String> {
        (0..count).map(|i| format!("GPU-{seed:08x}-{i:04x}-4e1c-9a1b-6f0d3c2e8b7a")).collect()
    }

    /// The GPU set hash of `uuids`, remembered so a verification can name the GPUs.
    pub fn gpu_set(&mut self, uuids: &[String]) -> [u8; 32] {
        let ids = io_sdk::gpu_ids(uuids);
        let hash = gpu_set_hash(&ids);
        self.gpu_sets.insert(hash, ids);
        hash
    }

    /// The identities of the GPUs `record` claims (made by `spec` or `gpu_set`).
    pub fn gpu_ids(&self, record: &NodeRecord) -> Vec<[u8; GPU_ID_LEN]> {
        self.gpu_sets.get(&record.gpu_uuids_hash).cloned().expect("a GPU set made by Harness::spec or gpu_set")
    }

    /// Has the first `quorum` oracles vote about `node`'s newest leaf, then attests it;
    /// a verification names the record's GPUs. Returns the attestation's outcome.
    pub fn attest(
        &mut self,
        quorum: usize,
        node: &Pubkey,
        verdict: Verdict,
        metrics: NodeMetrics,
        after: &[solana_sdk::instruction::Instruction],
    ) -> io_sdk::client::TxOutcome {
        let epoch = self.current_epoch();
        let leaf = self.registry.proven_leaf(node).unwrap();
        let gpus = if verdict == Verdict::Verified { self.gpu_ids(&leaf.record) } else { vec![] };
        let subject = ix::verdict_subject(&leaf, epoch, verdict, false, gpus);
        self.attest_subject(quorum, &leaf, &subject, metrics, after)
    }

    /// The first `quorum` oracles vote `subject` about `leaf` with `metrics`, then the
    /// attestation goes out with `after`; returns its outcome (panics on a refusal).
    pub fn attest_subject(
        &mut self,
        quorum: usize,
        leaf: &ix::ProvenLeaf,
        subject: &VerdictSubject,
        metrics: NodeMetrics,
        after: &[solana_sdk::instruction::Instruction],
    ) -> io_sdk::client::TxOutcome {
        let oracles: Vec<Keypair> = self.oracles.iter().take(quorum).map(|k| k.insecure_clone()).collect();
        let votes: Vec<(&Keypair, NodeMetrics)> = oracles.iter().map(|k| (k, metrics)).collect();
        let outcome =
            io_sdk::network::attest_by_quorum(&mut self.net, leaf, &votes, subject, after).unwrap_or_else(|e| panic!("{e:?}")).attestation;
        self.registry.ingest(&outcome).unwrap();
        self.check_invariants();
        outcome
    }

    /// Registers a node; returns its key and record.
    pub fn register(&mut self, operator: &Keypair, spec: HardwareSpec) -> (Keypair, NodeRecord) {
        let node = Keypair::new();
        let record = self.registry.register(&mut self.net, operator, &node, spec).expect("register");
        (node, record)
    }

    pub fn oracle_refs(&self, n: usize) -> Vec<&Keypair> {
        self.oracles.iter().take(n).collect()
    }

    pub fn config(&mut self) -> RegistryConfig {
        fetch(&mut self.net, &pda::registry_config()).unwrap()
    }

    /// The oracle set and threshold as they stand: what a `set_oracles` is written against.
    pub fn oracle_set(&mut self) -> (Vec<Pubkey>, u8) {
        let config = self.config();
        (config.oracles, config.threshold)
    }

    /// Catalogue entry `model_id` as `update_gpu_model` expects it.
    pub fn model_args(&mut self, model_id: u16) -> io_registry::GpuModelArgs {
        let catalogue: io_registry::GpuCatalogue = fetch(&mut self.net, &pda::gpu_catalogue()).unwrap();
        let m = catalogue.models.iter().find(|m| m.id == model_id).expect("a catalogue entry").clone();
        io_registry::GpuModelArgs { name: m.name, tier: m.tier, expected_centi_tflops: m.expected_centi_tflops, min_cuda: m.min_cuda }
    }

    pub fn current_epoch(&mut self) -> u64 {
        let now = self.net.unix_time().unwrap();
        self.config().current_epoch(now).unwrap()
    }

    /// Moves the clock into the next attestation epoch; returns it.
    pub fn next_epoch(&mut self) -> u64 {
        let length = i64::from(self.config().epoch_length_secs);
        self.net.warp_seconds(length);
        self.current_epoch()
    }

    /// Healthy metrics for a node of `tier`.
    pub fn good_metrics(tier: Tier) -> NodeMetrics {
        NodeMetrics {
            verified_centi_tflops: 1_000,
            rtt_us: 18_000,
            bandwidth_mbps: MIN_BANDWIDTH_MBPS[tier.index()].max(500) + 100,
            packet_loss_bps: 5,
        }
    }

    /// Attests `node` verified by the first `threshold` oracles in the current epoch.
    pub fn verify(&mut self, node: &Pubkey) -> NodeRecord {
        let tier = self.registry.record(node).unwrap().tier;
        self.attest(2, node, Verdict::Verified, Self::good_metrics(tier), &[]);
        *self.registry.record(node).unwrap()
    }

    pub fn operator_stats(&mut self, operator: &Pubkey) -> OperatorStats {
        fetch(&mut self.net, &pda::operator_stats(operator)).unwrap()
    }

    /// The operator's verified capacity as it counts now (leases that ended left out).
    pub fn counted(&mut self, operator: &Pubkey) -> io_registry::VerifiedCapacity {
        let stats = self.operator_stats(operator);
        let epoch = stats.current_epoch(self.net.unix_time().unwrap()).unwrap();
        stats.verified_at(epoch).unwrap()
    }

    pub fn onchain_root(&mut self, tree: &Pubkey) -> [u8; 32] {
        let data = self.net.account_data(tree).unwrap().unwrap();
        onchain_root(&data).unwrap()
    }

    /// Every registry account's bytes: compared before and after a refused instruction.
    pub fn snapshot(&mut self) -> BTreeMap<Pubkey, Option<Vec<u8>>> {
        let mut keys = vec![
            pda::registry_config(),
            pda::gpu_catalogue(),
            pda::staking_config(),
            pda::staking_vault(),
            pda::staking_reward_vault(),
            pda::emissions_config(),
            pda::treasury_config(),
            pda::iosd_mint(),
            pda::treasury_iosd_vault(),
            pda::buyback_pool(),
            self.io_mint,
            self.treasury,
            self.genesis_tokens,
        ];
        keys.extend(self.token_accounts.iter().copied());
        keys.extend(self.operators.iter().map(pda::operator_stake));
        for tree in self.registry.trees.keys() {
            keys.push(*tree);
            keys.push(pda::tree_config(tree));
        }
        keys.extend(self.operators.iter().map(pda::operator_stats));
        keys.into_iter().map(|k| (k, self.net.account_data(&k).unwrap())).collect()
    }

    /// Sends instructions that must be refused with `expected` (a program's error enum, or
    /// a [`Refusal`] naming program and code), and checks that no registry account changed.
    /// The program that raised the error is compared too, CPIs included.
    pub fn expect_error(
        &mut self,
        instructions: &[solana_sdk::instruction::Instruction],
        signers: &[&Keypair],
        expected: impl Into<Refusal>,
    ) {
        let expected = expected.into();
        let before = self.snapshot();
        let err = self.net.send(instructions, signers).expect_err("instruction should fail");
        assert_eq!(Refusal::of(&err), Some(expected), "expected {expected:?}, got {err:?}");
        assert!(self.snapshot() == before, "a refused instruction changed registry state");
        self.check_invariants();
    }

    /// The registry's invariants: every mirror root equals its on-chain root, every tree
    /// config counts its leaves, and every operator's aggregates equal what its records add up to.
    pub fn check_invariants(&mut self) {
        let trees: Vec<Pubkey> = self.registry.trees.keys().copied().collect();
        for tree in trees {
            let onchain = self.onchain_root(&tree);
            let tracked = &self.registry.trees[&tree];
            assert_eq!(tracked.mirror.root(), onchain, "mirror root of {tree} differs from the chain");
            let tree_config: TreeConfig = fetch(&mut self.net, &pda::tree_config(&tree)).unwrap();
            assert_eq!(tree_config.num_nodes as usize, self.registry.trees[&tree].mirror.len());
        }
        self.check_staking_invariants();
        self.check_treasury_invariants();
        self.check_governance_invariants();
        for operator in self.operators.clone() {
            let Some(data) = self.net.account_data(&pda::operator_stats(&operator)).unwrap() else { continue };
            let stats = OperatorStats::try_deserialize(&mut data.as_slice()).unwrap();
            // What counts is the records whose verification lease runs in the current
            // epoch, read lazily as staking reads it.
            let epoch = stats.current_epoch(self.net.unix_time().unwrap()).unwrap();
            let (mut by_status, mut registered, mut deposits) = ([0u32; 4], 0u64, 0u64);
            let mut counted = io_registry::VerifiedCapacity::default();
            for (_, record) in self.registry.records().filter(|(_, r)| r.operator == operator) {
                by_status[record.status.index()] += 1;
                registered += 1;
                deposits += record.deposit_lamports;
                if record.status == NodeStatus::Verified && record.lease_end_epoch > epoch {
                    counted.nodes_by_tier[record.tier.index()] += 1;
                    counted.gpus_by_tier[record.tier.index()] += u32::from(record.gpu_count);
                    counted.score_gpus_by_tier[record.tier.index()] += record.verified_score_gpus();
                }
            }
            let expected = (by_status, registered, deposits);
            assert_eq!(stats.nodes_by_status, by_status, "status counts of {operator}");
            assert_eq!(stats.verified_at(epoch).unwrap(), counted, "verified capacity of {operator} in epoch {epoch}");
            assert_eq!(stats.nodes_registered, expected.1);
            // The deposits the records hold are the deposits the account holds, on top of
            // its rent exemption, to the lamport.
            assert_eq!(stats.deposits_lamports, expected.2, "deposits held for {operator}");
            let rent = self.net.rent_exempt_balance(data.len()).unwrap();
            let lamports = self.net.account(&pda::operator_stats(&operator)).unwrap().unwrap().lamports;
            assert_eq!(lamports, rent + stats.deposits_lamports, "lamports of {operator}'s aggregates account");
        }
        // Forfeited deposits sit in the config account on top of its rent exemption.
        let config_account = self.net.account(&pda::registry_config()).unwrap().unwrap();
        let config = RegistryConfig::try_deserialize(&mut config_account.data.as_slice()).unwrap();
        let rent = self.net.rent_exempt_balance(config_account.data.len()).unwrap();
        assert_eq!(config_account.lamports, rent + config.forfeited_lamports, "registry config lamports");
    }
}

impl Harness {
    /// Staking's conservation law: the vault holds exactly the bonded plus unbonding stake,
    /// the config's totals are the sums over every operator, and pending slashes never
    /// exceed what an operator has.
    pub fn check_staking_invariants(&mut self) {
        let config = self.check_vault_invariant();
        let (mut bonded, mut unbonding, mut weight) = (0u64, 0u64, 0u64);
        for operator in self.operators.clone() {
            let Some(data) = self.net.account_data(&pda::operator_stake(&operator)).unwrap() else { continue };
            let stake = OperatorStake::try_deserialize(&mut data.as_slice()).unwrap();
            bonded += stake.bonded;
            unbonding += stake.unbonding_total().unwrap();
            weight += stake.weight;
            assert!(stake.pending_slash <= stake.slashable().unwrap(), "pending slashes exceed the stake of {operator}");
        }
        assert_eq!(bonded, config.total_bonded, "sum of bonds != total_bonded");
        assert_eq!(unbonding, config.total_unbonding, "sum of unbonding != total_unbonding");
        assert_eq!(weight, config.total_weight, "sum of weights != total_weight");
        self.check_reward_invariants();
    }

    /// Emission and reward conservation: cumulative minted <= the cap; everything the
    /// emissions program minted went to the reward vault; the vault holds exactly what was
    /// distributed and not claimed; claimed + owed <= distributed; every claim is counted;
    /// the earning weight is the sum of the live leases, bucket by bucket; every unit of
    /// the cap is minted, held back or still scheduled.
    pub fn check_reward_invariants(&mut self) {
        let config = self.staking_config();
        let emissions = self.emissions_config();
        let pool = config.rewards.clone();
        assert!(emissions.total_minted <= emissions.supply_cap, "minted past the cap");
        assert_eq!(emissions.supply_cap, 800_000_000 * 1_000_000);
        // Every base unit of the cap is minted, held back, or still ahead in the schedule
        // (emission returned to the reserve included).
        let cursor = emissions.cursor;
        let n = u128::from(emissions.epochs_per_year);
        let accounted_this_year = (u128::from(cursor.year_total) * u128::from(cursor.epoch_in_year).min(n) / n) as u64;
        let ahead = cursor.unscheduled + (cursor.year_total - accounted_this_year);
        assert_eq!(
            u128::from(emissions.total_minted) + u128::from(emissions.held_back) + u128::from(ahead),
            u128::from(emissions.supply_cap),
            "minted + held back + still scheduled != cap"
        );
        assert_eq!(emissions.total_minted - emissions.genesis_supply, pool.total_distributed, "emissions minted != rewards distributed");
        assert!(self.io_supply() <= emissions.total_minted, "supply above cumulative minted");
        assert!(pool.total_claimed <= pool.total_distributed, "claimed more than emitted");
        let reward_vault = self.token_balance(&pda::staking_reward_vault());
        assert_eq!(reward_vault, pool.total_distributed - pool.total_claimed, "reward vault != distributed - claimed");
        let (mut claimed, mut owed, mut earning) = (0u64, 0u128, 0u64);
        let mut buckets = std::collections::BTreeMap::<u64, u64>::new();
        for operator in self.operators.clone() {
            let Some(data) = self.net.account_data(&pda::operator_stake(&operator)).unwrap() else { continue };
            let stake = OperatorStake::try_deserialize(&mut data.as_slice()).unwrap();
            claimed += stake.claimed_rewards;
            owed += u128::from(io_sdk::rewards::pending_rewards(&config, &stake));
            if io_sdk::rewards::lease_is_live(&config, &stake) {
                earning += stake.weight;
                *buckets.entry(stake.lease_end).or_default() += stake.weight;
            }
        }
        assert_eq!(claimed, pool.total_claimed, "sum of claims != total_claimed");
        assert!(owed <= u128::from(pool.total_distributed - pool.total_claimed), "operators are owed more than the vault holds");
        assert_eq!(earning, pool.earning_weight, "sum of live weights != earning_weight");
        let held: std::collections::BTreeMap<u64, u64> =
            pool.expiring.iter().filter(|b| b.end_epoch != 0).map(|b| (b.end_epoch, b.weight)).collect();
        assert_eq!(buckets, held, "lease buckets");
    }

    pub fn treasury_config(&mut self) -> io_treasury::TreasuryConfig {
        fetch(&mut self.net, &pda::treasury_config()).unwrap()
    }

    /// The treasury's conservation laws: every payment split exactly (fee + rest == paid,
    /// per asset), the pool holds what was paid to it less what keepers took, the IOSD fee
    /// vault holds the fees less grants, the IO vault at least the IO fees less grants (it
    /// also receives treasury-bound slashes), and IOSD in circulation is minted - redeemed.
    pub fn check_treasury_invariants(&mut self) {
        let t = self.treasury_config().totals;
        assert_eq!(t.iosd_fee + t.iosd_to_pool, t.iosd_paid, "IOSD fee + pool != paid");
        assert_eq!(t.io_fee + t.io_burned_from_payments, t.io_paid, "IO fee + burned != paid");
        assert_eq!(self.token_balance(&pda::buyback_pool()), t.iosd_to_pool - t.iosd_spent_on_buybacks, "pool != paid in - spent");
        assert_eq!(self.token_balance(&pda::treasury_iosd_vault()), t.iosd_fee - t.iosd_granted, "IOSD vault != fees - grants");
        assert!(self.token_balance(&pda::treasury_io_vault()) >= t.io_fee - t.io_granted, "IO vault below fees - grants");
        let iosd = token::supply(&self.net.account_data(&pda::iosd_mint()).unwrap().unwrap()).unwrap();
        assert_eq!(iosd, t.iosd_minted - t.iosd_redeemed, "IOSD supply != minted - redeemed");
    }

    pub fn emissions_config(&mut self) -> EmissionsConfig {
        fetch(&mut self.net, &pda::emissions_config()).unwrap()
    }

    /// Moves the clock to the end of the emission epoch in progress (plus `extra` epochs).
    pub fn end_emission_epochs(&mut self, epochs: u64) {
        let config = self.emissions_config();
        let now = self.net.unix_time().unwrap();
        let length = i64::from(config.epoch_secs);
        let into = (now - config.start_ts).rem_euclid(length);
        self.net.warp_seconds(length - into + (epochs as i64 - 1) * length);
    }

    /// The emissions crank, which must succeed.
    pub fn crank(&mut self) {
        let mint = self.io_mint;
        self.ok(&[emissions_ix::advance_epoch(&mint)], &[]);
    }

    /// What the oracle quorum does within every lease: attests each verified node again
    /// (with the metrics it was last measured at) unless it was attested this epoch, each
    /// attestation followed by its operator's `refresh_weight` in the same transaction.
    pub fn reattest_all(&mut self) {
        let epoch = self.current_epoch();
        let due: Vec<NodeRecord> = self
            .registry
            .records()
            .map(|(_, r)| *r)
            .filter(|r| r.status == NodeStatus::Verified && r.last_attested_epoch < epoch)
            // A key's newest leaf only (an older leaf of a re-registered key is the
            // oracles' to suspend).
            .filter(|r| self.registry.record(&r.node_id) == Some(r))
            .collect();
        for record in due {
            let mut after = vec![];
            if self.net.account_data(&pda::operator_stake(&record.operator)).unwrap().is_some() {
                after.push(io_sdk::staking::refresh_weight(&record.operator));
            }
            self.attest(2, &record.node_id, Verdict::Verified, record.metrics, &after);
        }
    }

    /// Keeps every verified node's lease (`reattest_all`) and renews every staked
    /// operator's weight lease.
    pub fn refresh_all(&mut self) {
        self.reattest_all();
        for operator in self.operators.clone() {
            if self.net.account_data(&pda::operator_stake(&operator)).unwrap().is_some() {
                self.ok(&[io_sdk::staking::refresh_weight(&operator)], &[]);
            }
        }
    }

    /// Ends the epoch in progress, renews every lease and cranks.
    pub fn pay_epoch(&mut self) {
        self.end_emission_epochs(1);
        self.refresh_all();
        self.crank();
    }
}

impl Harness {
    /// The vault holds exactly the bonded plus unbonding stake (two reads; the full
    /// per-operator sums are in [`Self::check_staking_invariants`]).
    pub fn check_vault_invariant(&mut self) -> StakingConfig {
        let config = self.staking_config();
        let vault = self.token_balance(&pda::staking_vault());
        assert_eq!(
            u128::from(vault),
            u128::from(config.total_bonded) + u128::from(config.total_unbonding),
            "vault balance != bonded + unbonding"
        );
        config
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// The DAO: proposals, votes and their invariants.
impl Harness {
    pub fn governance_config(&mut self) -> Option<io_governance::GovernanceConfig> {
        io_sdk::client::fetch_opt(&mut self.net, &pda::governance_config()).unwrap()
    }

    pub fn proposal(&mut self, id: u64) -> io_governance::Proposal {
        fetch(&mut self.net, &pda::proposal(id)).unwrap()
    }

    /// A new tracked operator with `amount` base units of $IO bonded (no hardware), and
    /// the clock one second on, so the bond counts for proposals opened from now.
    pub fn staker_with_bond(&mut self, amount: u64) -> Keypair {
        let key = self.operator();
        let tokens = self.fund_io(&key.pubkey(), amount);
        let mint = self.io_mint;
        self.ok(&[io_sdk::staking::deposit(&key.pubkey(), &mint, &tokens, amount)], &[&key]);
        self.net.advance_clock(1);
        key
    }

    /// Opens a proposal carrying `actions`; returns its id.
    pub fn propose(&mut self, proposer: &Keypair, actions: &[solana_sdk::instruction::Instruction]) -> u64 {
        let id = self.governance_config().expect("the DAO is open").proposal_count;
        let payer = self.net.payer();
        let hash = io_sdk::governance::description_hash(&format!("proposal {id}"));
        // One transaction when the proposal fits one; a draft, appends and the opening
        // otherwise.
        let steps = io_sdk::governance::propose(&payer, &proposer.pubkey(), id, hash, "https://gov.io.example/p", actions)
            .expect("every action fits a transaction");
        for step in steps {
            self.ok(&[step], &[proposer]);
        }
        id
    }

    pub fn vote(&mut self, voter: &Keypair, id: u64, choice: io_governance::VoteChoice) {
        self.ok(&[io_sdk::governance::cast_vote(&voter.pubkey(), id, choice)], &[voter]);
    }

    /// Moves the clock to the end of proposal `id`'s voting period and queues it.
    pub fn end_vote_and_queue(&mut self, id: u64) -> io_governance::Proposal {
        let p = self.proposal(id);
        let now = self.net.unix_time().unwrap();
        if now < p.voting_ends_at {
            self.net.advance_clock(p.voting_ends_at - now);
        }
        self.ok(&[io_sdk::governance::queue_proposal(id)], &[]);
        self.proposal(id)
    }

    /// Moves the clock past a queued proposal's timelock and executes it.
    pub fn execute(&mut self, id: u64) -> io_sdk::client::TxOutcome {
        let p = self.proposal(id);
        let now = self.net.unix_time().unwrap();
        if now < p.executable_at {
            self.net.advance_clock(p.executable_at - now);
        }
        self.ok(&[io_sdk::governance::execute_proposal(id, &p.instructions)], &[])
    }

    /// Bonds `amount` more for an existing staker (from a new funded token account), in
    /// the current second: no clock move.
    pub fn top_up(&mut self, staker: &Keypair, amount: u64) {
        let tokens = self.fund_io(&staker.pubkey(), amount);
        let mint = self.io_mint;
        self.ok(&[io_sdk::staking::deposit(&staker.pubkey(), &mint, &tokens, amount)], &[staker]);
    }

    /// Opens a proposal that its proposer alone carries (a yes vote), ends the vote and
    /// queues it; returns its id. The proposer must hold enough of the stake for quorum.
    pub fn passed_proposal(&mut self, proposer: &Keypair, actions: &[solana_sdk::instruction::Instruction]) -> u64 {
        let id = self.propose(proposer, actions);
        self.vote(proposer, id, io_governance::VoteChoice::Yes);
        let p = self.end_vote_and_queue(id);
        assert_eq!(p.status, io_governance::ProposalStatus::Queued, "proposal {id} should have passed");
        id
    }

    /// A slash of `amount` against `operator` co-signed by the first two oracles; its id.
    pub fn oracle_slash(&mut self, operator: &Pubkey, amount: u64) -> u64 {
        let id = self.staking_config().next_slash_id;
        let (a, b) = (self.oracles[0].insecure_clone(), self.oracles[1].insecure_clone());
        let payer = self.net.payer();
        let ix = io_sdk::staking::propose_slash(
            &payer,
            operator,
            id,
            amount,
            io_staking::SlashReason::Downtime,
            [7; 32],
            &[a.pubkey(), b.pubkey()],
        );
        self.ok(&[ix], &[&a, &b]);
        id
    }

    /// A new IOSD token account of `owner` holding `amount`, minted by the gateway.
    pub fn iosd_account(&mut self, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = self.token_account(&pda::iosd_mint(), owner, 0);
        if amount > 0 {
            let gateway = self.gateway.insecure_clone();
            self.ok(&[io_sdk::treasury::mint_iosd(&gateway.pubkey(), &account, amount)], &[&gateway]);
        }
        account
    }

    /// A customer pays `amount` IOSD for a cluster: the fee share lands in the treasury's
    /// IOSD vault (what grants are paid from). Returns the fee.
    pub fn pay_cluster_in_iosd(&mut self, amount: u64) -> u64 {
        let customer = self.operator();
        let account = self.iosd_account(&customer.pubkey(), amount);
        let before = self.token_balance(&pda::treasury_iosd_vault());
        self.ok(&[io_sdk::treasury::pay_with_iosd(&customer.pubkey(), &account, amount, [0xC5; 32])], &[&customer]);
        self.token_balance(&pda::treasury_iosd_vault()) - before
    }

    /// Every account a refused DAO instruction could have touched: the registry-wide
    /// [`Self::snapshot`], plus the governance config, every proposal (and the next id's
    /// address), every tracked operator's vote record on each, every slash proposal (and
    /// the next), the DAO PDA, and the whole account (lamports included) of each of these
    /// governance and staking accounts.
    pub fn dao_snapshot(&mut self) -> BTreeMap<Pubkey, Option<(u64, Pubkey, Vec<u8>)>> {
        let mut keys: Vec<Pubkey> = self.snapshot().into_keys().collect();
        keys.extend([pda::governance_config(), pda::dao(), pda::treasury_io_vault()]);
        let count = self.governance_config().map_or(0, |c| c.proposal_count);
        for id in 0..=count {
            let proposal = pda::proposal(id);
            keys.push(proposal);
            keys.extend(self.operators.iter().map(|o| pda::vote_record(&proposal, o)));
        }
        let slashes = self.staking_config().next_slash_id;
        keys.extend((0..=slashes).map(pda::slash_proposal));
        keys.into_iter().map(|k| (k, self.net.account(&k).unwrap().map(|a| (a.lamports, a.owner, a.data)))).collect()
    }

    /// Sends instructions that must be refused with `expected` (any program's error enum, or
    /// a [`Refusal`] naming program and code; an error inside a CPI is the callee's), and
    /// checks that no account of [`Self::dao_snapshot`] changed.
    pub fn expect_dao_error(
        &mut self,
        instructions: &[solana_sdk::instruction::Instruction],
        signers: &[&Keypair],
        expected: impl Into<Refusal>,
    ) {
        let expected = expected.into();
        let before = self.dao_snapshot();
        let err = self.net.send(instructions, signers).expect_err("instruction should fail");
        assert_eq!(Refusal::of(&err), Some(expected), "expected {expected:?}, got {err:?}");
        let after = self.dao_snapshot();
        for (key, was) in &before {
            assert!(after.get(key) == Some(was), "a refused instruction changed account {key}");
        }
        self.check_invariants();
    }

    /// The DAO's invariants: every proposal's tally is the sum of the weights recorded by
    /// the votes of tracked operators (all of them, when every voter is tracked), no tally
    /// exceeds the stake at opening, and the lifecycle fields agree with the status.
    pub fn check_governance_invariants(&mut self) {
        use io_governance::{ProposalStatus, VoteChoice, VoteRecord};
        let Some(config) = self.governance_config() else { return };
        for id in 0..config.proposal_count {
            let p = self.proposal(id);
            let (mut yes, mut no, mut abstain, mut voters) = (0u64, 0u64, 0u64, 0u64);
            for operator in self.operators.clone() {
                let record = pda::vote_record(&pda::proposal(id), &operator);
                let Some(data) = self.net.account_data(&record).unwrap() else { continue };
                let vote = VoteRecord::try_deserialize(&mut data.as_slice()).unwrap();
                assert_eq!((vote.proposal, vote.voter), (pda::proposal(id), operator));
                match vote.choice {
                    VoteChoice::Yes => yes += vote.weight,
                    VoteChoice::No => no += vote.weight,
                    VoteChoice::Abstain => abstain += vote.weight,
                }
                voters += 1;
            }
            assert!(yes <= p.yes && no <= p.no && abstain <= p.abstain && voters <= p.voters, "proposal {id}: votes above the tally");
            if voters == p.voters {
                assert_eq!((yes, no, abstain), (p.yes, p.no, p.abstain), "proposal {id}: tally != sum of its votes");
            }
            assert!(p.yes + p.no + p.abstain <= p.stake_at_open || id == 0, "proposal {id}: tally above the stake at opening");
            match p.status {
                ProposalStatus::Queued => assert!(p.executable_at >= p.voting_ends_at && p.expires_at > p.executable_at),
                ProposalStatus::Executed => assert!(p.executed_at >= p.executable_at && p.executed_at < p.expires_at),
                ProposalStatus::Cancelled => assert_eq!(p.voters, 0),
                ProposalStatus::Voting | ProposalStatus::Defeated => assert_eq!(p.executed_at, 0),
                ProposalStatus::Draft => {
                    assert_eq!((p.voters, p.opened_at, p.executed_at), (0, 0, 0), "proposal {id}: a draft was voted on");
                    assert!(p.instructions.len() <= io_governance::MAX_PROPOSAL_INSTRUCTIONS);
                }
            }
        }
    }
}
