use crate::compression::{verify_leaf, TreeCpi};
use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::NodeChange;
use crate::quorum::check_quorum;
use crate::operator_stats::OperatorStats;
use crate::state::*;
use anchor_lang::prelude::*;
use spl_account_compression::program::SplAccountCompression;
use spl_account_compression::Noop;

/// The oracles' finding about a node.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Passed all four stages; the metrics are the measured ones.
    Verified,
    /// Failed an audit or missed its heartbeats; the metrics are what was measured.
    Suspended,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AttestNodeArgs {
    pub root: [u8; 32],
    pub current: NodeRecord,
    /// Attestation epoch of this audit: later than the node's last, not in the future.
    pub epoch: u64,
    pub verdict: Verdict,
    pub metrics: NodeMetrics,
    /// How many of the remaining accounts, from the front, are oracle signers;
    /// the proof nodes follow them.
    pub oracle_signers: u8,
    /// The quorum found misconduct (it proposes a slash beside): the node's registration
    /// deposit is forfeited to the registry config, which the authority sweeps. Only with
    /// a suspension.
    pub forfeit_deposit: bool,
}

#[derive(Accounts)]
#[instruction(args: AttestNodeArgs)]
pub struct AttestNode<'info> {
    /// Writable: a forfeited deposit comes here.
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, RegistryConfig>>,
    #[account(seeds = [CATALOGUE_SEED], bump = catalogue.bump)]
    pub catalogue: Box<Account<'info, GpuCatalogue>>,
    #[account(seeds = [TREE_SEED, merkle_tree.key().as_ref()], bump = tree_config.bump)]
    pub tree_config: Box<Account<'info, TreeConfig>>,
    /// CHECK: bound to `tree_config` by its seeds; the compression program checks the rest.
    #[account(mut, owner = spl_account_compression::ID @ RegistryError::InvalidTreeAccount)]
    pub merkle_tree: UncheckedAccount<'info>,
    #[account(mut, seeds = [OPERATOR_SEED, args.current.operator.as_ref()], bump = operator_stats.bump)]
    pub operator_stats: Box<Account<'info, OperatorStats>>,
    pub compression_program: Program<'info, SplAccountCompression>,
    pub noop_program: Program<'info, Noop>,
}

pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, AttestNode<'info>>, args: AttestNodeArgs) -> Result<()> {
    let remaining = ctx.remaining_accounts;
    let signer_count = usize::from(args.oracle_signers);
    require!(signer_count <= remaining.len(), RegistryError::InsufficientQuorum);
    let (signers, proof) = remaining.split_at(signer_count);
    let accounts = ctx.accounts;
    let oracles = check_quorum(&accounts.config, signers)?;

    let current = args.current;
    require!(current.version == NODE_RECORD_VERSION, RegistryError::RecordMismatch);
    require!(current.status != NodeStatus::Retired, RegistryError::NodeRetired);
    // Each epoch's audit is attested once. The one exception: a node verified this epoch
    // that then stops answering its heartbeats may be suspended within the same epoch,
    // once (it is no longer verified afterwards), so a dead node does not keep earning
    // until the next audit.
    let heartbeat_suspension = args.verdict == Verdict::Suspended
        && current.status == NodeStatus::Verified
        && args.epoch == current.last_attested_epoch;
    require!(args.epoch > current.last_attested_epoch || heartbeat_suspension, RegistryError::StaleAttestationEpoch);
    let now_epoch = accounts.config.current_epoch(Clock::get()?.unix_timestamp)?;
    require!(args.epoch <= now_epoch, RegistryError::FutureAttestationEpoch);
    let metrics = args.metrics;
    require!(metrics.packet_loss_bps <= MAX_PACKET_LOSS_BPS, RegistryError::InvalidMetrics);

    // The catalogue is read again, so a re-tiered or re-rated model takes effect here.
    let model = accounts.catalogue.model(current.gpu_model)?;
    let mut new = current;
    new.tier = model.tier;
    new.metrics = metrics;
    new.last_attested_epoch = args.epoch;
    new.lease_end_epoch = 0;
    match args.verdict {
        Verdict::Verified => {
            require!(metrics.verified_centi_tflops > 0, RegistryError::InvalidMetrics);
            require!(
                metrics.bandwidth_mbps >= MIN_BANDWIDTH_MBPS[model.tier.index()],
                RegistryError::BandwidthBelowTierMinimum
            );
            new.status = NodeStatus::Verified;
            // The lease runs from the audited epoch, so a late transaction does not
            // stretch it.
            new.lease_end_epoch = args
                .epoch
                .checked_add(accounts.config.lease_epochs)
                .ok_or_else(|| error!(RegistryError::ArithmeticOverflow))?;
            new.score = io_math::node_score(
                metrics.verified_centi_tflops,
                model.expected_centi_tflops,
                metrics.rtt_us,
                metrics.packet_loss_bps,
            );
        }
        Verdict::Suspended => {
            new.status = NodeStatus::Suspended;
            new.score = 0;
        }
    }

    let merkle_tree = accounts.merkle_tree.to_account_info();
    let previous_leaf = current.leaf_hash();
    verify_leaf(&merkle_tree, args.root, previous_leaf, current.leaf_index, proof)?;
    accounts.operator_stats.apply(Some(&current), &new, now_epoch)?;
    if args.forfeit_deposit {
        require!(args.verdict == Verdict::Suspended, RegistryError::ForfeitWithoutSuspension);
        let forfeited = current.deposit_lamports;
        new.deposit_lamports = 0;
        let overflow = || error!(RegistryError::ArithmeticOverflow);
        let stats = &mut accounts.operator_stats;
        stats.deposits_lamports = stats.deposits_lamports.checked_sub(forfeited).ok_or_else(overflow)?;
        let config = &mut accounts.config;
        config.forfeited_lamports = config.forfeited_lamports.checked_add(forfeited).ok_or_else(overflow)?;
        stats.to_account_info().sub_lamports(forfeited)?;
        config.to_account_info().add_lamports(forfeited)?;
    }

    let cpi = TreeCpi {
        merkle_tree: &merkle_tree,
        tree_config: &accounts.tree_config,
        compression_program: &accounts.compression_program,
        noop_program: &accounts.noop_program,
    };
    cpi.replace_record(args.root, &current, previous_leaf, new, NodeChange::Attested, args.epoch, oracles, proof)
}
