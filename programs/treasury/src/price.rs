//! A reader of Pyth's `PriceUpdateV2` account, from its documented layout (the receiver
//! SDK pins other Solana crates than this workspace). Every check a fill needs is here:
//! owner, account type, feed id, verification level, age, sign and confidence.

use crate::constants::PYTH_RECEIVER_ID;
use crate::errors::TreasuryError;
use crate::state::TreasuryParams;
use anchor_lang::prelude::*;
use io_math::UsdPrice;

/// `sha256("account:PriceUpdateV2")[..8]`, Anchor's account discriminator.
pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];

/// How many Wormhole guardian signatures verified the update.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationLevel {
    Partial { num_signatures: u8 },
    Full,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceFeedMessage {
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub exponent: i32,
    pub publish_time: i64,
    pub prev_publish_time: i64,
    pub ema_price: i64,
    pub ema_conf: u64,
}

/// The account body after the discriminator, in field order.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceUpdateV2 {
    pub write_authority: Pubkey,
    pub verification_level: VerificationLevel,
    pub price_message: PriceFeedMessage,
    pub posted_slot: u64,
}

impl PriceUpdateV2 {
    /// The account's bytes, as the receiver writes them (for tests and simulations).
    pub fn to_account_data(&self) -> Vec<u8> {
        let mut data = PRICE_UPDATE_V2_DISCRIMINATOR.to_vec();
        self.serialize(&mut data).expect("in-memory write");
        data
    }
}

/// The IO/USD price a fill may use at `now` and its publish time, or the named reason it may not.
pub fn checked_price(account: &AccountInfo, params: &TreasuryParams, now: i64) -> Result<(UsdPrice, i64)> {
    require_keys_eq!(*account.owner, PYTH_RECEIVER_ID, TreasuryError::WrongPriceOwner);
    let data = account.try_borrow_data()?;
    require!(data.len() > 8 && data[..8] == PRICE_UPDATE_V2_DISCRIMINATOR, TreasuryError::InvalidPriceAccount);
    let update =
        PriceUpdateV2::deserialize(&mut &data[8..]).map_err(|_| error!(TreasuryError::InvalidPriceAccount))?;
    let message = update.price_message;
    require!(message.feed_id == params.price_feed_id, TreasuryError::WrongPriceFeed);
    require!(update.verification_level == VerificationLevel::Full, TreasuryError::LowVerificationLevel);
    let age = now.checked_sub(message.publish_time).ok_or_else(|| error!(TreasuryError::ArithmeticOverflow))?;
    require!(age <= i64::from(params.max_price_age_secs), TreasuryError::StalePrice);
    require!(message.price > 0, TreasuryError::InvalidPrice);
    let price = UsdPrice { price: message.price, conf: message.conf, exponent: message.exponent };
    require!(price.confidence_within(params.max_conf_bps), TreasuryError::WideConfidence);
    Ok((price, message.publish_time))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_discriminator_is_anchors() {
        let hash = anchor_lang::solana_program::hash::hash(b"account:PriceUpdateV2").to_bytes();
        assert_eq!(hash[..8], super::PRICE_UPDATE_V2_DISCRIMINATOR);
    }
}
