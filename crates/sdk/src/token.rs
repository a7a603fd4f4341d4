//! SPL Token helpers for genesis, tests and the CLI.

use anchor_spl::token::spl_token;
use solana_sdk::instruction::Instruction;
use solana_sdk::program_pack::Pack;
use solana_sdk::pubkey::Pubkey;
use solana_system_interface::instruction as system_instruction;

/// Creates `mint` (which signs) with `decimals` and `authority`, no freeze authority.
pub fn create_mint(payer: &Pubkey, mint: &Pubkey, authority: &Pubkey, decimals: u8, lamports: u64) -> [Instruction; 2] {
    [
        system_instruction::create_account(payer, mint, lamports, spl_token::state::Mint::LEN as u64, &spl_token::ID),
        spl_token::instruction::initialize_mint2(&spl_token::ID, mint, authority, None, decimals).expect("valid mint ix"),
    ]
}

/// Creates token `account` (which signs) for `mint`, owned by `owner`.
pub fn create_account(payer: &Pubkey, account: &Pubkey, mint: &Pubkey, owner: &Pubkey, lamports: u64) -> [Instruction; 2] {
    [
        system_instruction::create_account(payer, account, lamports, spl_token::state::Account::LEN as u64, &spl_token::ID),
        spl_token::instruction::initialize_account3(&spl_token::ID, account, mint, owner).expect("valid account ix"),
    ]
}

pub fn mint_to(mint: &Pubkey, to: &Pubkey, authority: &Pubkey, amount: u64) -> Instruction {
    spl_token::instruction::mint_to(&spl_token::ID, mint, to, authority, &[], amount).expect("valid mint_to ix")
}

pub fn transfer(from: &Pubkey, to: &Pubkey, owner: &Pubkey, amount: u64) -> Instruction {
    #[allow(deprecated)]
    spl_token::instruction::transfer(&spl_token::ID, from, to, owner, &[], amount).expect("valid transfer ix")
}

pub fn mint_len() -> usize {
    spl_token::state::Mint::LEN
}

pub fn account_len() -> usize {
    spl_token::state::Account::LEN
}

/// Decodes a token account's balance.
pub fn balance(data: &[u8]) -> Option<u64> {
    spl_token::state::Account::unpack(data).ok().map(|a| a.amount)
}

/// Decodes a mint's supply.
pub fn supply(data: &[u8]) -> Option<u64> {
    spl_token::state::Mint::unpack(data).ok().map(|m| m.supply)
}

/// Decodes a whole mint (authorities, supply, decimals).
pub fn unpack_mint(data: &[u8]) -> Option<spl_token::state::Mint> {
    spl_token::state::Mint::unpack(data).ok()
}
