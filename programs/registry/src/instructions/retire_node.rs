use super::update_node::ModifyNode;
use crate::events::NodeChange;
use crate::state::{NodeRecord, NodeStatus};
use anchor_lang::prelude::*;

/// Retirement is final: a retired leaf can no longer be updated or attested.
pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, ModifyNode<'info>>,
    root: [u8; 32],
    current: NodeRecord,
) -> Result<()> {
    let proof = ctx.remaining_accounts;
    let accounts = ctx.accounts;
    let previous_leaf = accounts.check_current(root, &current, proof)?;
    let mut new = current;
    new.status = NodeStatus::Retired;
    new.score = 0;
    accounts.commit(root, &current, previous_leaf, new, NodeChange::Retired, proof)
}
