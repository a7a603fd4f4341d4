//! The two-step handover of a config's authority, the same in every program of the suite:
//! the current authority names a successor, and only that successor's own signature makes
//! it the authority, so a mistyped key can never lock a program out. The caller checks
//! the current authority's signature (an Anchor `has_one`) and emits its own program's
//! events.

use anchor_lang::prelude::*;

/// First step: `successor` becomes the pending authority; `Pubkey::default()` cancels a
/// pending handover instead.
pub fn propose(pending: &mut Option<Pubkey>, successor: Pubkey) {
    *pending = (successor != Pubkey::default()).then_some(successor);
}

/// Second step: `signer` must be the pending successor (`no_pending` when nobody is
/// pending, `not_pending` when it is someone else). The successor becomes the authority,
/// nothing stays pending, and the previous authority is returned.
pub fn accept(
    authority: &mut Pubkey,
    pending: &mut Option<Pubkey>,
    signer: &Pubkey,
    no_pending: impl Into<Error>,
    not_pending: impl Into<Error>,
) -> Result<Pubkey> {
    let successor = pending.ok_or_else(|| no_pending.into())?;
    if successor != *signer {
        return Err(not_pending.into());
    }
    *pending = None;
    Ok(core::mem::replace(authority, successor))
}
