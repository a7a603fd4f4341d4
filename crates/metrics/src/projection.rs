//! Projection: given the emission schedule in force and today's demand, when does the
//! buyback-and-burn overtake emission?

use serde::{Deserialize, Serialize};

use crate::economy::{burn_share, de_ratio};
use crate::error::{check_amount, check_fee, check_price, MetricsError};

/// One projected year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProjectedYear {
    /// 1 for the coming year.
    pub year: u32,
    /// IO emitted in the year.
    pub emission_io: f64,
    /// Demand in the year, USD.
    pub demand_usd: f64,
    /// IO the buyback burns: `demand x (1 - fee) / price`.
    pub burn_io: f64,
    /// `emission - burn`: negative means the supply shrinks.
    pub net_io: f64,
    /// Demand over emission valued at the price; None when nothing is emitted.
    pub de_ratio: Option<f64>,
    /// `burn > emission`.
    pub net_deflationary: bool,
}

/// Year-by-year projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// One entry per year of the schedule given.
    pub years: Vec<ProjectedYear>,
    /// The first year whose burn exceeds its emission, if any.
    pub first_deflationary_year: Option<u32>,
}

/// Projects net emission over the coming years at a constant IO price.
///
/// `year_emissions_io` is the emission of each coming year under the schedule in force (whole IO;
/// halvings included by the caller). Demand starts at `arr_usd` in year 1 and compounds by
/// `growth_bps` a year (year n: `arr x (1 + growth)^(n-1)`); growth may be zero or negative but
/// above -100%. The price is held constant because the projection asks what demand does against
/// the schedule, not where the price goes.
pub fn project(year_emissions_io: &[f64], arr_usd: f64, growth_bps: i32, io_usd: f64, fee_bps: u16) -> Result<Projection, MetricsError> {
    let price = check_price(io_usd)?;
    check_fee(fee_bps)?;
    check_amount("annual demand (USD)", arr_usd)?;
    if growth_bps <= -10_000 {
        return Err(MetricsError::InvalidGrowth(growth_bps));
    }
    let growth = 1.0 + f64::from(growth_bps) / 10_000.0;
    let mut years = Vec::with_capacity(year_emissions_io.len());
    let mut demand_usd = arr_usd;
    for (i, &emission) in year_emissions_io.iter().enumerate() {
        let emission_io = check_amount("yearly emission (IO)", emission)?;
        let burn_io = demand_usd * burn_share(fee_bps) / price;
        years.push(ProjectedYear {
            year: i as u32 + 1,
            emission_io,
            demand_usd,
            burn_io,
            net_io: emission_io - burn_io,
            de_ratio: de_ratio(demand_usd, emission_io * price),
            net_deflationary: burn_io > emission_io,
        });
        demand_usd *= growth;
    }
    let first_deflationary_year = years.iter().find(|y| y.net_deflationary).map(|y| y.year);
    Ok(Projection { years, first_deflationary_year })
}
