use crate::compression::TreeCpi;
use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::{NodeChange, NodeEvent};
use crate::operator_stats::OperatorStats;
use crate::state::*;
use anchor_lang::prelude::*;
use spl_account_compression::program::SplAccountCompression;
use spl_account_compression::Noop;

#[derive(Accounts)]
pub struct RegisterNode<'info> {
    /// Owns the node and pays for its aggregate account on first use.
    #[account(mut)]
    pub operator: Signer<'info>,
    /// The node's own key: it signs, so nobody can register a key they do not hold.
    pub node: Signer<'info>,
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, RegistryConfig>>,
    #[account(seeds = [CATALOGUE_SEED], bump = catalogue.bump)]
    pub catalogue: Box<Account<'info, GpuCatalogue>>,
    #[account(mut, seeds = [TREE_SEED, merkle_tree.key().as_ref()], bump = tree_config.bump)]
    pub tree_config: Box<Account<'info, TreeConfig>>,
    /// CHECK: must be the active tree; the compression program checks the rest.
    #[account(
        mut,
        address = config.active_tree @ RegistryError::NotActiveTree,
        owner = spl_account_compression::ID @ RegistryError::InvalidTreeAccount
    )]
    pub merkle_tree: UncheckedAccount<'info>,
    #[account(
        init_if_needed,
        payer = operator,
        space = 8 + OperatorStats::INIT_SPACE,
        seeds = [OPERATOR_SEED, operator.key().as_ref()],
        bump
    )]
    pub operator_stats: Box<Account<'info, OperatorStats>>,
    pub compression_program: Program<'info, SplAccountCompression>,
    pub noop_program: Program<'info, Noop>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<RegisterNode>, spec: HardwareSpec) -> Result<()> {
    let tier = ctx.accounts.catalogue.check_spec(&spec, false)?;
    let registration = ctx.accounts.config.registration;
    let pending = ctx.accounts.operator_stats.nodes_by_status[NodeStatus::Pending.index()];
    require!(pending < registration.max_pending_per_operator, RegistryError::TooManyPendingNodes);
    let tree_config = &mut ctx.accounts.tree_config;
    require!(tree_config.num_nodes < tree_config.capacity, RegistryError::TreeFull);
    let leaf_index = u32::try_from(tree_config.num_nodes).map_err(|_| error!(RegistryError::TreeFull))?;

    let record = NodeRecord {
        version: NODE_RECORD_VERSION,
        node_id: ctx.accounts.node.key(),
        operator: ctx.accounts.operator.key(),
        leaf_index,
        gpu_model: spec.gpu_model,
        gpu_count: spec.gpu_count,
        tier,
        cuda: spec.cuda,
        region: spec.region,
        gpu_uuids_hash: spec.gpu_uuids_hash,
        status: NodeStatus::Pending,
        metrics: NodeMetrics::default(),
        last_attested_epoch: 0,
        score: 0,
        registered_at: Clock::get()?.unix_timestamp,
        deposit_lamports: registration.deposit_lamports,
        lease_end_epoch: 0,
    };

    // The deposit waits in the operator's aggregates account until retirement or a
    // slashing verdict.
    if registration.deposit_lamports > 0 {
        anchor_lang::system_program::transfer(
            CpiContext::new(
                ctx.accounts.system_program.to_account_info(),
                anchor_lang::system_program::Transfer {
                    from: ctx.accounts.operator.to_account_info(),
                    to: ctx.accounts.operator_stats.to_account_info(),
                },
            ),
            registration.deposit_lamports,
        )?;
    }

    let stats = &mut ctx.accounts.operator_stats;
    if stats.operator == Pubkey::default() {
        stats.operator = record.operator;
        stats.bump = ctx.bumps.operator_stats;
        stats.epoch_origin = ctx.accounts.config.epoch_origin;
        stats.epoch_length_secs = ctx.accounts.config.epoch_length_secs;
    }
    let epoch = stats.current_epoch(record.registered_at)?;
    stats.apply(None, &record, epoch)?;
    stats.deposits_lamports =
        stats.deposits_lamports.checked_add(record.deposit_lamports).ok_or_else(|| error!(RegistryError::ArithmeticOverflow))?;
    tree_config.num_nodes = tree_config.num_nodes.checked_add(1).ok_or_else(|| error!(RegistryError::ArithmeticOverflow))?;

    let cpi = TreeCpi {
        merkle_tree: &ctx.accounts.merkle_tree.to_account_info(),
        tree_config: &ctx.accounts.tree_config,
        compression_program: &ctx.accounts.compression_program,
        noop_program: &ctx.accounts.noop_program,
    };
    cpi.append(record.leaf_hash())?;
    cpi.log(&NodeEvent {
        change: NodeChange::Registered,
        tree: ctx.accounts.tree_config.merkle_tree,
        record,
        epoch: 0,
        oracles: vec![],
        gpu_ids: vec![],
    })
}
