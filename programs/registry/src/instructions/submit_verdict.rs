use crate::ballot::{Ballot, VerdictSubject};
use crate::constants::*;
use crate::errors::RegistryError;
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SubmitVerdictArgs {
    /// The audited leaf's position in `merkle_tree`.
    pub leaf_index: u32,
    pub subject: VerdictSubject,
    /// This oracle's own measurement; the attestation takes the median of the votes'.
    pub metrics: NodeMetrics,
}

#[derive(Accounts)]
#[instruction(args: SubmitVerdictArgs)]
pub struct SubmitVerdict<'info> {
    /// Pays the ballot's rent when this vote opens it (returned by the attestation).
    #[account(mut)]
    pub payer: Signer<'info>,
    pub oracle: Signer<'info>,
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, RegistryConfig>>,
    /// CHECK: only a seed of the ballot; the attestation checks it is a registry tree
    /// holding the record, so a ballot of any other account can never be applied.
    pub merkle_tree: UncheckedAccount<'info>,
    #[account(
        init_if_needed,
        payer = payer,
        space = Ballot::SPACE,
        seeds = [BALLOT_SEED, merkle_tree.key().as_ref(), &args.leaf_index.to_le_bytes()],
        bump,
    )]
    pub ballot: Box<Account<'info, Ballot>>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<SubmitVerdict>, args: SubmitVerdictArgs) -> Result<()> {
    let accounts = ctx.accounts;
    let oracle = accounts.oracle.key();
    require!(accounts.config.oracle_index(&oracle).is_some(), RegistryError::NotAnOracle);
    let now_epoch = accounts.config.current_epoch(Clock::get()?.unix_timestamp)?;
    args.subject.check(&args.metrics, now_epoch)?;
    let ballot = &mut accounts.ballot;
    if ballot.rent_payer == Pubkey::default() {
        // Opened by this vote.
        ballot.merkle_tree = accounts.merkle_tree.key();
        ballot.leaf_index = args.leaf_index;
        ballot.rent_payer = accounts.payer.key();
        ballot.bump = ctx.bumps.ballot;
    }
    ballot.cast(oracle, args.subject, args.metrics)
}
