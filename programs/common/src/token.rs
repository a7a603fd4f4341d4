//! Token movements signed by a program's config PDA (its vaults' owner and its mints'
//! authority): one place for the CPI plumbing, so an instruction names only what moves.

use anchor_lang::prelude::*;
use anchor_spl::token::{burn, mint_to, transfer_checked, Burn, MintTo, TransferChecked};

/// The accounts every signed movement names: the token program, the mint, and the PDA
/// that signs with `seeds` (its bump included).
pub struct PdaSigner<'a, 'info> {
    pub token_program: &'a AccountInfo<'info>,
    pub mint: &'a AccountInfo<'info>,
    pub authority: &'a AccountInfo<'info>,
    pub seeds: &'a [&'a [u8]],
}

impl<'info> PdaSigner<'_, 'info> {
    /// `transfer_checked` of `amount` from `from` (owned by the PDA) to `to`.
    pub fn transfer(&self, from: &AccountInfo<'info>, to: &AccountInfo<'info>, amount: u64, decimals: u8) -> Result<()> {
        let accounts = TransferChecked { from: from.clone(), mint: self.mint.clone(), to: to.clone(), authority: self.authority.clone() };
        transfer_checked(CpiContext::new_with_signer(self.token_program.clone(), accounts, &[self.seeds]), amount, decimals)
    }

    /// Mints `amount` into `to` (the PDA is the mint authority).
    pub fn mint(&self, to: &AccountInfo<'info>, amount: u64) -> Result<()> {
        let accounts = MintTo { mint: self.mint.clone(), to: to.clone(), authority: self.authority.clone() };
        mint_to(CpiContext::new_with_signer(self.token_program.clone(), accounts, &[self.seeds]), amount)
    }

    /// Burns `amount` from `from` (owned by the PDA).
    pub fn burn(&self, from: &AccountInfo<'info>, amount: u64) -> Result<()> {
        let accounts = Burn { mint: self.mint.clone(), from: from.clone(), authority: self.authority.clone() };
        burn(CpiContext::new_with_signer(self.token_program.clone(), accounts, &[self.seeds]), amount)
    }
}
