//! Treasury arithmetic: the protocol fee split and the bounds a buyback fill must meet.
//! IOSD and $IO both have 6 decimals, so one base unit of either is 1e-6 of a unit.

use crate::score::BPS_SCALE;

/// `(fee, pool)` of a payment: `fee = ceil(amount * fee_bps / 10,000)`, `pool` the rest,
/// so `fee + pool == amount` for every amount; `None` for a rate above 100%. Rounding up
/// means a non-zero payment at a non-zero rate always pays a fee: rounded down, every
/// payment under 50 base units would pay none at 200 bps, and splitting a bill into such
/// dust would dodge the treasury's share entirely.
pub fn fee_split(amount: u64, fee_bps: u16) -> Option<(u64, u64)> {
    if u64::from(fee_bps) > BPS_SCALE {
        return None;
    }
    // At most `amount`, since fee_bps <= 10,000.
    let fee = crate::mul_div_ceil(amount, u64::from(fee_bps), BPS_SCALE)?;
    Some((fee, amount.checked_sub(fee)?))
}

/// A price as a price feed publishes it: `price * 10^exponent` USD per IO, with a
/// confidence interval in the same units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsdPrice {
    pub price: i64,
    pub conf: u64,
    pub exponent: i32,
}

impl UsdPrice {
    /// True when the confidence interval is at most `max_conf_bps` of the price.
    pub fn confidence_within(&self, max_conf_bps: u16) -> bool {
        // Products of a u64 and at most 10,000 never saturate a u128.
        self.price > 0
            && u128::from(self.conf).saturating_mul(u128::from(BPS_SCALE)) <= (self.price as u128).saturating_mul(u128::from(max_conf_bps))
    }

    /// IO base units that `usd_units` (IOSD base units) buy at this price, rounded down;
    /// `None` for a non-positive price or an out-of-range result.
    pub fn io_for_usd(&self, usd_units: u64) -> Option<u64> {
        if self.price <= 0 || !(-18..=18).contains(&self.exponent) {
            return None;
        }
        let price = self.price as u128;
        let scale = 10u128.pow(self.exponent.unsigned_abs());
        // io = usd / (price * 10^exponent)
        let io = if self.exponent <= 0 {
            u128::from(usd_units).checked_mul(scale)?.checked_div(price)?
        } else {
            u128::from(usd_units).checked_div(price.checked_mul(scale)?)?
        };
        u64::try_from(io).ok()
    }
}

/// The least IO a keeper must hand in for `usd_units` of the pool: the fair amount at
/// `price` less at most `max_slippage_bps`, rounded up so the bound is never loosened.
pub fn min_io_for_fill(usd_units: u64, price: &UsdPrice, max_slippage_bps: u16) -> Option<u64> {
    if u64::from(max_slippage_bps) > BPS_SCALE {
        return None;
    }
    let fair = price.io_for_usd(usd_units)?;
    let keep = BPS_SCALE.checked_sub(u64::from(max_slippage_bps))?;
    crate::mul_div_ceil(fair, keep, BPS_SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_percent_of_a_payment() {
        assert_eq!(fee_split(1_000_000, 200), Some((20_000, 980_000)));
        // Dust pays at least one base unit: 49 x 2% = 0.98, 1 x 2% = 0.02, 50 x 2% = 1.
        assert_eq!(fee_split(49, 200), Some((1, 48)));
        assert_eq!(fee_split(1, 200), Some((1, 0)));
        assert_eq!(fee_split(50, 200), Some((1, 49)));
        assert_eq!(fee_split(51, 200), Some((2, 49)));
        assert_eq!(fee_split(0, 200), Some((0, 0)));
        assert_eq!(fee_split(49, 0), Some((0, 49)));
        assert_eq!(fee_split(u64::MAX, 10_000), Some((u64::MAX, 0)));
        assert_eq!(fee_split(1, 10_001), None);
    }

    #[test]
    fn io_for_dollars() {
        // $2.50 an IO (250 x 10^-2): $1,000 buys 400 IO.
        let p = UsdPrice { price: 250, conf: 1, exponent: -2 };
        assert_eq!(p.io_for_usd(1_000_000_000), Some(400_000_000));
        // 1% slippage allowed: at least 396 IO.
        assert_eq!(min_io_for_fill(1_000_000_000, &p, 100), Some(396_000_000));
        assert!(p.confidence_within(40));
        assert!(!UsdPrice { price: 250, conf: 2, exponent: -2 }.confidence_within(40));
        assert_eq!(UsdPrice { price: 0, conf: 0, exponent: -8 }.io_for_usd(1), None);
        assert_eq!(UsdPrice { price: -5, conf: 0, exponent: -8 }.io_for_usd(1), None);
        // A price of $3 with a positive exponent.
        assert_eq!(UsdPrice { price: 3, conf: 0, exponent: 0 }.io_for_usd(9_000_000), Some(3_000_000));
    }

    proptest! {
        #[test]
        fn fee_plus_pool_is_the_amount(amount in any::<u64>(), bps in 0u16..=10_000) {
            let (fee, pool) = fee_split(amount, bps).unwrap();
            prop_assert_eq!(u128::from(fee) + u128::from(pool), u128::from(amount));
            // The fee is the exact share rounded up: within one base unit above it.
            prop_assert!(u128::from(fee) * 10_000 >= u128::from(amount) * u128::from(bps));
            prop_assert!(u128::from(fee.saturating_sub(1)) * 10_000 < u128::from(amount) * u128::from(bps) || fee == 0);
            prop_assert_eq!(fee == 0, amount == 0 || bps == 0);
        }

        #[test]
        fn the_fill_bound_never_asks_more_than_the_fair_amount(usd in any::<u64>(), price in 1i64..=i64::MAX, exponent in -12i32..=2, slip in 0u16..=10_000) {
            let p = UsdPrice { price, conf: 0, exponent };
            if let (Some(fair), Some(min)) = (p.io_for_usd(usd), min_io_for_fill(usd, &p, slip)) {
                prop_assert!(min <= fair);
                prop_assert!(u128::from(min) * 10_000 >= u128::from(fair) * u128::from(10_000 - slip));
            }
        }
    }
}
