use crate::state::{Asset, TreasuryParams};
use anchor_lang::prelude::*;

#[event]
pub struct AuthorityProposed {
    pub current: Pubkey,
    pub proposed: Pubkey,
}

#[event]
pub struct AuthorityAccepted {
    pub previous: Pubkey,
    pub authority: Pubkey,
    /// The IOSD gateway after the handover (the new authority if the old one held it).
    pub gateway: Pubkey,
}

#[event]
pub struct TreasuryParamsSet {
    pub params: TreasuryParams,
}

#[event]
pub struct IosdMinted {
    pub gateway: Pubkey,
    pub to: Pubkey,
    pub amount: u64,
    /// What the gateway's rolling window counts after this mint (the cap applies to it).
    pub minted_in_window: u64,
}

/// A fiat gateway settles a redemption from this event.
#[event]
pub struct IosdRedeemed {
    pub holder: Pubkey,
    pub amount: u64,
    pub reference: [u8; 32],
}

/// A cluster payment: `fee` to the treasury, `rest` to the buyback pool (IOSD) or burned ($IO).
#[event]
pub struct PaymentReceived {
    pub payer: Pubkey,
    pub asset: Asset,
    pub amount: u64,
    pub fee: u64,
    pub rest: u64,
    pub reference: [u8; 32],
    pub period: u64,
}

#[event]
pub struct BuybackFilled {
    pub keeper: Pubkey,
    pub iosd_paid: u64,
    pub io_burned: u64,
    /// The least IO the price bound allowed.
    pub min_io: u64,
    pub price: i64,
    pub exponent: i32,
    pub publish_time: i64,
    pub period: u64,
}

#[event]
pub struct GrantPaid {
    pub asset: Asset,
    pub amount: u64,
    pub recipient: Pubkey,
}
