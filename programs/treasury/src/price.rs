//! Checking a Pyth `PriceUpdateV2` account, whose type comes from Pyth's published receiver
//! SDK (`pyth-solana-receiver-sdk` 1.0.1, built on Anchor 0.31 like this program). Every
//! check a fill needs is made here, each with its own error: owner, account type, feed id,
//! verification level, age, sign and confidence.

use crate::constants::PYTH_RECEIVER_ID;
use crate::errors::TreasuryError;
use crate::state::TreasuryParams;
use anchor_lang::prelude::*;
use io_math::UsdPrice;
pub use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

/// `sha256("account:PriceUpdateV2")[..8]`, the account's Anchor discriminator.
pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];

/// The account's bytes as the receiver writes them (for tests and simulations).
pub fn price_update_account_data(update: &PriceUpdateV2) -> Vec<u8> {
    let mut data = PRICE_UPDATE_V2_DISCRIMINATOR.to_vec();
    update.serialize(&mut data).expect("in-memory write");
    data
}

/// The IO/USD price a fill may use at `now` and its publish time, or the named reason it may not.
pub fn checked_price(account: &AccountInfo, params: &TreasuryParams, now: i64) -> Result<(UsdPrice, i64)> {
    require_keys_eq!(*account.owner, PYTH_RECEIVER_ID, TreasuryError::WrongPriceOwner);
    let data = account.try_borrow_data()?;
    require!(data.len() > 8 && data[..8] == PRICE_UPDATE_V2_DISCRIMINATOR, TreasuryError::InvalidPriceAccount);
    let update = PriceUpdateV2::deserialize(&mut &data[8..]).map_err(|_| error!(TreasuryError::InvalidPriceAccount))?;
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
    use anchor_lang::Discriminator;

    #[test]
    fn the_discriminator_is_the_sdks() {
        let hash = anchor_lang::solana_program::hash::hash(b"account:PriceUpdateV2").to_bytes();
        assert_eq!(hash[..8], super::PRICE_UPDATE_V2_DISCRIMINATOR);
        assert_eq!(super::PriceUpdateV2::DISCRIMINATOR, &super::PRICE_UPDATE_V2_DISCRIMINATOR[..]);
        assert_eq!(super::PYTH_RECEIVER_ID, pyth_solana_receiver_sdk::ID);
    }
}
