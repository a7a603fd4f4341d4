use super::update_node::ModifyNode;
use crate::errors::RegistryError;
use crate::events::NodeChange;
use crate::state::{NodeRecord, NodeStatus};
use anchor_lang::prelude::*;

/// Retirement is final: a retired leaf can no longer be updated or attested. The node's
/// registration deposit goes back to the operator.
pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, ModifyNode<'info>>, root: [u8; 32], current: NodeRecord) -> Result<()> {
    let proof = ctx.remaining_accounts;
    let accounts = ctx.accounts;
    let previous_leaf = accounts.check_current(root, &current, proof)?;
    let mut new = current;
    new.status = NodeStatus::Retired;
    new.score = 0;
    new.deposit_lamports = 0;
    let refund = current.deposit_lamports;
    if refund > 0 {
        let overflow = || error!(RegistryError::ArithmeticOverflow);
        let stats = &mut accounts.operator_stats;
        stats.deposits_lamports = stats.deposits_lamports.checked_sub(refund).ok_or_else(overflow)?;
        let from = stats.to_account_info();
        let to = accounts.operator.to_account_info();
        from.sub_lamports(refund)?;
        to.add_lamports(refund)?;
    }
    accounts.commit(root, &current, previous_leaf, new, NodeChange::Retired, proof)
}
