use crate::ballot::{Ballot, Verdict};
use crate::compression::{verify_leaf, TreeCpi};
use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::Attestation;
use crate::events::NodeChange;
use crate::operator_stats::OperatorStats;
use crate::state::*;
use anchor_lang::prelude::*;
use spl_account_compression::program::SplAccountCompression;
use spl_account_compression::Noop;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AttestNodeArgs {
    pub root: [u8; 32],
    /// The record the ballot's quorum audited.
    pub current: NodeRecord,
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
    /// The leaf's ballot, closed here: its rent goes back to whoever opened it.
    #[account(
        mut,
        close = rent_payer,
        has_one = rent_payer @ RegistryError::BallotNotForRecord,
        seeds = [BALLOT_SEED, merkle_tree.key().as_ref(), &args.current.leaf_index.to_le_bytes()],
        bump = ballot.bump,
    )]
    pub ballot: Box<Account<'info, Ballot>>,
    /// CHECK: the ballot names it (`has_one`); it only receives lamports.
    #[account(mut)]
    pub rent_payer: UncheckedAccount<'info>,
    pub compression_program: Program<'info, SplAccountCompression>,
    pub noop_program: Program<'info, Noop>,
}

pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, AttestNode<'info>>, args: AttestNodeArgs) -> Result<()> {
    let proof = ctx.remaining_accounts;
    let accounts = ctx.accounts;
    let (oracles, metrics) = accounts.ballot.tally(&accounts.config)?;
    let subject = accounts.ballot.subject.clone();

    let current = args.current;
    let previous_leaf = current.leaf_hash();
    require!(subject.record_hash == previous_leaf, RegistryError::BallotNotForRecord);
    require!(current.version == NODE_RECORD_VERSION, RegistryError::RecordMismatch);
    require!(current.status != NodeStatus::Retired, RegistryError::NodeRetired);
    // Each epoch's audit is attested once. The one exception: a node verified this epoch
    // that then stops answering its heartbeats may be suspended within the same epoch,
    // once (it is no longer verified afterwards), so a dead node does not keep earning
    // until the next audit.
    let heartbeat_suspension =
        subject.verdict == Verdict::Suspended && current.status == NodeStatus::Verified && subject.epoch == current.last_attested_epoch;
    require!(subject.epoch > current.last_attested_epoch || heartbeat_suspension, RegistryError::StaleAttestationEpoch);
    let now_epoch = accounts.config.current_epoch(Clock::get()?.unix_timestamp)?;
    // Each vote passed `VerdictSubject::check`; the median of valid metrics is valid.
    require!(subject.epoch <= now_epoch, RegistryError::FutureAttestationEpoch);

    // The catalogue is read again, so a re-tiered or re-rated model takes effect here.
    let model = accounts.catalogue.model(current.gpu_model)?;
    let mut new = current;
    new.tier = model.tier;
    new.metrics = metrics;
    new.last_attested_epoch = subject.epoch;
    new.lease_end_epoch = 0;
    match subject.verdict {
        Verdict::Verified => {
            // Every claimed GPU was proven and is named: `gpu_count` is attested.
            require!(
                subject.gpu_ids.len() == usize::from(current.gpu_count) && gpu_set_hash(&subject.gpu_ids) == current.gpu_uuids_hash,
                RegistryError::GpuSetMismatch
            );
            require!(metrics.bandwidth_mbps >= MIN_BANDWIDTH_MBPS[model.tier.index()], RegistryError::BandwidthBelowTierMinimum);
            new.status = NodeStatus::Verified;
            // The lease runs from the audited epoch, so a late transaction does not
            // stretch it.
            new.lease_end_epoch =
                subject.epoch.checked_add(accounts.config.lease_epochs).ok_or_else(|| error!(RegistryError::ArithmeticOverflow))?;
            new.score =
                io_math::node_score(metrics.verified_centi_tflops, model.expected_centi_tflops, metrics.rtt_us, metrics.packet_loss_bps);
        }
        Verdict::Suspended => {
            new.status = NodeStatus::Suspended;
            new.score = 0;
        }
    }

    let merkle_tree = accounts.merkle_tree.to_account_info();
    verify_leaf(&merkle_tree, args.root, previous_leaf, current.leaf_index, proof)?;
    accounts.operator_stats.apply(Some(&current), &new, now_epoch)?;
    if subject.forfeit_deposit {
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
    let attestation = Attestation { epoch: subject.epoch, oracles, gpu_ids: subject.gpu_ids };
    cpi.replace_record(args.root, &current, previous_leaf, new, NodeChange::Attested, attestation, proof)
}
