//! The one error type of the crate: every refusal is a named variant, so callers (the HTTP API,
//! the CLI) can map each to a message or a status code without parsing text.

use thiserror::Error;

/// Why a metric could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MetricsError {
    /// A token price (USD per IO) that is not finite and strictly positive: every USD figure and
    /// every burn in IO divides or multiplies by it, so a zero or NaN price would poison them all.
    #[error("invalid IO price {0}: it must be finite and above zero")]
    InvalidPrice(f64),
    /// An electricity price that is not finite or is negative.
    #[error("invalid electricity price {0} USD/kWh: it must be finite and not negative")]
    InvalidElectricityPrice(f64),
    /// An amount (demand, emission) that is not finite or is negative.
    #[error("invalid {what} {value}: it must be finite and not negative")]
    InvalidAmount {
        /// Which input was refused.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A fee of 100% or more leaves nothing to buy back and burn, and makes break-even undefined.
    #[error("invalid fee {0} bps: it must be below 10000")]
    InvalidFee(u16),
    /// A yearly growth of -100% or less would make demand zero or negative.
    #[error("invalid growth {0} bps: it must be above -10000")]
    InvalidGrowth(i32),
    /// A u64 that is not a valid H3 cell index.
    #[error("invalid H3 cell index {0:#x}")]
    InvalidCell(u64),
    /// An H3 resolution outside 0..=15.
    #[error("invalid H3 resolution {0}: 0 to 15")]
    InvalidResolution(u8),
    /// A period length of zero seconds.
    #[error("invalid calendar: the period must be at least one second long")]
    InvalidCalendar,
    /// The requested range spans more periods than [`crate::MAX_PERIODS`] (a bad `through` or a
    /// tiny period would otherwise allocate without bound).
    #[error("{0} periods requested, more than the limit")]
    TooManyPeriods(u64),
    /// A sum of base units does not fit in a u64.
    #[error("arithmetic overflow summing base units")]
    Overflow,
    /// The hardware table is not valid TOML or does not have the expected shape.
    #[error("malformed hardware table: {0}")]
    MalformedHardware(String),
    /// A hardware figure that is negative or not finite.
    #[error("invalid hardware figure for {model}: {reason}")]
    InvalidHardware {
        /// The catalogue model the figure belongs to.
        model: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tier name that is none of enterprise, mid-market, consumer.
    #[error("unknown tier {0:?}: expected enterprise, mid-market or consumer")]
    UnknownTier(String),
    /// A model listed twice in a hardware table: which figure to use would be ambiguous.
    #[error("GPU model {0:?} listed more than once")]
    DuplicateModel(String),
}

/// Refuses a token price that is not finite and strictly positive.
pub(crate) fn check_price(io_usd: f64) -> Result<f64, MetricsError> {
    if io_usd.is_finite() && io_usd > 0.0 {
        Ok(io_usd)
    } else {
        Err(MetricsError::InvalidPrice(io_usd))
    }
}

/// Refuses a fee of 100% or more.
pub(crate) fn check_fee(fee_bps: u16) -> Result<u16, MetricsError> {
    if fee_bps < 10_000 {
        Ok(fee_bps)
    } else {
        Err(MetricsError::InvalidFee(fee_bps))
    }
}

/// Refuses an amount that is negative or not finite.
pub(crate) fn check_amount(what: &'static str, value: f64) -> Result<f64, MetricsError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(MetricsError::InvalidAmount { what, value })
    }
}
