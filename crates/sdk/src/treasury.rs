//! Instruction builders for the treasury program, and Pyth `PriceUpdateV2` account bytes
//! for simulations and tests.

use crate::pda;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use io_treasury::price::{price_update_account_data, PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use io_treasury::{accounts, instruction, Asset, TreasuryParams, TreasuryParamsChange};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_system_interface::program as system_program;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: io_treasury::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// `deployer` must be the program's upgrade authority.
pub fn initialize_treasury(
    payer: &Pubkey,
    deployer: &Pubkey,
    authority: &Pubkey,
    io_mint: &Pubkey,
    params: TreasuryParams,
    demand_period_secs: u32,
) -> Instruction {
    build(
        accounts::InitializeTreasury {
            payer: *payer,
            deploy: accounts::Deployer { deployer: *deployer, program_data: pda::program_data(&io_treasury::ID) },
            config: pda::treasury_config(),
            io_mint: *io_mint,
            iosd_mint: pda::iosd_mint(),
            iosd_vault: pda::treasury_iosd_vault(),
            io_vault: pda::treasury_io_vault(),
            pool_vault: pda::buyback_pool(),
            token_program: spl_token::ID,
            system_program: system_program::ID,
        },
        instruction::InitializeTreasury { authority: *authority, params, demand_period_secs },
    )
}

pub fn propose_authority(authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
    build(
        accounts::ProposeAuthority { authority: *authority, config: pda::treasury_config() },
        instruction::ProposeAuthority { new_authority: *new_authority },
    )
}

pub fn accept_authority(new_authority: &Pubkey) -> Instruction {
    build(accounts::AcceptAuthority { new_authority: *new_authority, config: pda::treasury_config() }, instruction::AcceptAuthority {})
}

/// Changes the treasury parameters from `current` (as they stand) to `wanted`: the
/// instruction names only the fields that differ, each with its current value, so it is
/// refused (`StaleParams`) if one of them changes before it runs.
pub fn set_treasury_params(authority: &Pubkey, current: &TreasuryParams, wanted: &TreasuryParams) -> Instruction {
    let (expected, change) = TreasuryParamsChange::between(current, wanted);
    set_treasury_params_change(authority, expected, change)
}

/// `set_treasury_params` as the program takes it: the fields `change` names, each
/// expected at its value in `expected`.
pub fn set_treasury_params_change(authority: &Pubkey, expected: TreasuryParamsChange, change: TreasuryParamsChange) -> Instruction {
    build(
        accounts::SetTreasuryParams { authority: *authority, config: pda::treasury_config() },
        instruction::SetTreasuryParams { expected, change },
    )
}

/// The gateway mints `amount` IOSD into `to` (an IOSD token account).
pub fn mint_iosd(gateway: &Pubkey, to: &Pubkey, amount: u64) -> Instruction {
    build(
        accounts::MintIosd {
            gateway: *gateway,
            config: pda::treasury_config(),
            iosd_mint: pda::iosd_mint(),
            to: *to,
            token_program: spl_token::ID,
        },
        instruction::MintIosd { amount },
    )
}

pub fn redeem_iosd(holder: &Pubkey, holder_iosd: &Pubkey, amount: u64, reference: [u8; 32]) -> Instruction {
    build(
        accounts::RedeemIosd {
            holder: *holder,
            config: pda::treasury_config(),
            iosd_mint: pda::iosd_mint(),
            holder_iosd: *holder_iosd,
            token_program: spl_token::ID,
        },
        instruction::RedeemIosd { amount, reference },
    )
}

pub fn pay_with_iosd(payer: &Pubkey, payer_iosd: &Pubkey, amount: u64, reference: [u8; 32]) -> Instruction {
    build(
        accounts::PayWithIosd {
            payer: *payer,
            config: pda::treasury_config(),
            iosd_mint: pda::iosd_mint(),
            payer_iosd: *payer_iosd,
            iosd_vault: pda::treasury_iosd_vault(),
            pool_vault: pda::buyback_pool(),
            token_program: spl_token::ID,
        },
        instruction::PayWithIosd { amount, reference },
    )
}

pub fn pay_with_io(payer: &Pubkey, io_mint: &Pubkey, payer_io: &Pubkey, amount: u64, reference: [u8; 32]) -> Instruction {
    build(
        accounts::PayWithIo {
            payer: *payer,
            config: pda::treasury_config(),
            io_mint: *io_mint,
            payer_io: *payer_io,
            io_vault: pda::treasury_io_vault(),
            token_program: spl_token::ID,
        },
        instruction::PayWithIo { amount, reference },
    )
}

/// A keeper's fill: `io_amount` of its $IO (from `keeper_io`) burned for `iosd_amount` IOSD
/// from the pool (into `keeper_iosd`), priced by `price_update`.
pub fn buyback_and_burn(
    keeper: &Pubkey,
    io_mint: &Pubkey,
    keeper_io: &Pubkey,
    keeper_iosd: &Pubkey,
    price_update: &Pubkey,
    iosd_amount: u64,
    io_amount: u64,
) -> Instruction {
    build(
        accounts::BuybackAndBurn {
            keeper: *keeper,
            config: pda::treasury_config(),
            io_mint: *io_mint,
            iosd_mint: pda::iosd_mint(),
            keeper_io: *keeper_io,
            keeper_iosd: *keeper_iosd,
            pool_vault: pda::buyback_pool(),
            price_update: *price_update,
            token_program: spl_token::ID,
        },
        instruction::BuybackAndBurn { iosd_amount, io_amount },
    )
}

/// A grant of `asset` from the treasury to `recipient` (a token account of that asset).
pub fn grant(authority: &Pubkey, io_mint: &Pubkey, asset: Asset, recipient: &Pubkey, amount: u64) -> Instruction {
    let (mint, vault) = match asset {
        Asset::Iosd => (pda::iosd_mint(), pda::treasury_iosd_vault()),
        Asset::Io => (*io_mint, pda::treasury_io_vault()),
    };
    build(
        accounts::Grant {
            authority: *authority,
            config: pda::treasury_config(),
            mint,
            vault,
            recipient: *recipient,
            token_program: spl_token::ID,
        },
        instruction::Grant { asset, amount },
    )
}

/// A `PriceUpdateV2` as the Pyth receiver stores it: `price x 10^exponent` USD per IO.
pub fn price_update_data(feed_id: [u8; 32], price: i64, conf: u64, exponent: i32, publish_time: i64, full: bool) -> Vec<u8> {
    price_update_account_data(&PriceUpdateV2 {
        write_authority: Pubkey::default(),
        verification_level: if full { VerificationLevel::Full } else { VerificationLevel::Partial { num_signatures: 5 } },
        price_message: PriceFeedMessage {
            feed_id,
            price,
            conf,
            exponent,
            publish_time,
            prev_publish_time: publish_time - 1,
            ema_price: price,
            ema_conf: conf,
        },
        posted_slot: 0,
    })
}
