//! The treasury against the real SPL Token program: the gateway's IOSD, the exact fee
//! split in both assets, and the buyback price guard with a Pyth `PriceUpdateV2` account.
//! Every step re-checks the treasury invariants (through `Harness::ok` / `expect_error`).

use io_sdk::client::Chain;
use io_sdk::events::anchor_events;
use io_sdk::pda;
use io_sdk::treasury as tx;
use io_tests::Harness;
use io_treasury::*;
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const UNIT: u64 = 1_000_000;
const FEED: [u8; 32] = [0x10; 32];
const REF: [u8; 32] = [0xAB; 32];

/// An IOSD token account of `owner` holding `amount`, minted by the gateway.
fn iosd_account(h: &mut Harness, owner: &Pubkey, amount: u64) -> Pubkey {
    let account = h.token_account(&pda::iosd_mint(), owner, 0);
    if amount > 0 {
        let gateway = h.gateway.insecure_clone();
        h.ok(&[tx::mint_iosd(&gateway.pubkey(), &account, amount)], &[&gateway]);
    }
    account
}

/// Sets the price guard to `FEED` and writes a price account: `price x 10^-8` USD per IO.
fn price_account(h: &mut Harness, owner: Pubkey, feed: [u8; 32], price: i64, conf: u64, age: i64, full: bool) -> Pubkey {
    let now = h.net.unix_time().unwrap();
    let key = Pubkey::new_unique();
    let data = tx::price_update_data(feed, price, conf, -8, now - age, full);
    let lamports = h.net.rent_exempt_balance(data.len()).unwrap();
    h.net.set_account(&key, Account { lamports, data, owner, executable: false, rent_epoch: 0 });
    key
}

fn use_feed(h: &mut Harness) -> TreasuryParams {
    let authority = h.authority.insecure_clone();
    let before = h.treasury_config().params;
    let params = TreasuryParams { price_feed_id: FEED, ..before };
    h.ok(&[tx::set_treasury_params(&authority.pubkey(), &before, &params)], &[&authority]);
    params
}

#[test]
fn only_the_gateway_mints_iosd_and_only_up_to_its_cap() {
    let mut h = Harness::new();
    let enterprise = h.operator();
    let account = iosd_account(&mut h, &enterprise.pubkey(), 0);
    h.expect_error(&[tx::mint_iosd(&enterprise.pubkey(), &account, UNIT)], &[&enterprise], TreasuryError::NotGateway);
    let gateway = h.gateway.insecure_clone();
    let cap = h.treasury_config().params.gateway_cap;
    h.ok(&[tx::mint_iosd(&gateway.pubkey(), &account, cap - UNIT)], &[&gateway]);
    h.ok(&[tx::mint_iosd(&gateway.pubkey(), &account, UNIT)], &[&gateway]);
    h.expect_error(&[tx::mint_iosd(&gateway.pubkey(), &account, 1)], &[&gateway], TreasuryError::GatewayCapExceeded);
    h.expect_error(&[tx::mint_iosd(&gateway.pubkey(), &account, 0)], &[&gateway], TreasuryError::ZeroAmount);
    let io_account = h.fund_io(&enterprise.pubkey(), 0);
    h.expect_error(&[tx::mint_iosd(&gateway.pubkey(), &io_account, 1)], &[&gateway], TreasuryError::WrongMint);
    // A window and one slot of its ring (a 24th of it) later, the whole cap is back.
    h.net.warp_seconds(86_400 + 3_600);
    h.ok(&[tx::mint_iosd(&gateway.pubkey(), &account, cap)], &[&gateway]);
    assert_eq!(h.token_balance(&account), 2 * cap);
    // Redemption burns and is recorded for the gateway's payout.
    h.ok(&[tx::redeem_iosd(&enterprise.pubkey(), &account, cap, REF)], &[&enterprise]);
    assert_eq!(h.treasury_config().totals.iosd_redeemed, cap);
    // The genesis key is not the IOSD mint authority; nobody but the program mints.
    let mint = io_sdk::token::unpack_mint(&h.net.account_data(&pda::iosd_mint()).unwrap().unwrap()).unwrap();
    assert_eq!(mint.mint_authority, Some(pda::treasury_config()).into());
    assert!(mint.freeze_authority.is_none());
}

#[test]
fn an_iosd_payment_splits_two_percent_to_the_treasury_and_the_rest_to_the_pool() {
    let mut h = Harness::new();
    let enterprise = h.operator();
    let account = iosd_account(&mut h, &enterprise.pubkey(), 500_000 * UNIT);
    // 2% rounded up, so dust pays a fee too: 49 x 2% = 0.98 -> 1; 123,456,789 x 2% =
    // 2,469,135.78 -> 2,469,136.
    for (amount, fee) in [(1_000 * UNIT, 20 * UNIT), (49, 1), (1, 1), (50, 1), (123_456_789, 2_469_136)] {
        let (pool, vault) = (h.token_balance(&pda::buyback_pool()), h.token_balance(&pda::treasury_iosd_vault()));
        h.ok(&[tx::pay_with_iosd(&enterprise.pubkey(), &account, amount, REF)], &[&enterprise]);
        assert_eq!(h.token_balance(&pda::treasury_iosd_vault()) - vault, fee);
        assert_eq!(h.token_balance(&pda::buyback_pool()) - pool, amount - fee);
    }
    h.expect_error(&[tx::pay_with_iosd(&enterprise.pubkey(), &account, 0, REF)], &[&enterprise], TreasuryError::ZeroAmount);
    let stranger = h.operator();
    h.expect_error(&[tx::pay_with_iosd(&stranger.pubkey(), &account, 1, REF)], &[&stranger], TreasuryError::WrongTokenOwner);
}

#[test]
fn paying_in_io_keeps_the_fee_burns_the_rest_and_charges_nothing_extra() {
    let mut h = Harness::new();
    let enterprise = h.operator();
    let account = h.fund_io(&enterprise.pubkey(), 10_000 * UNIT);
    let (supply, vault) = (h.io_supply(), h.token_balance(&pda::treasury_io_vault()));
    let mint = h.io_mint;
    h.ok(&[tx::pay_with_io(&enterprise.pubkey(), &mint, &account, 10_000 * UNIT, REF)], &[&enterprise]);
    assert_eq!(h.token_balance(&account), 0, "the payer pays exactly the amount");
    assert_eq!(h.token_balance(&pda::treasury_io_vault()) - vault, 200 * UNIT);
    assert_eq!(supply - h.io_supply(), 9_800 * UNIT, "the rest is burned");
    let t = h.treasury_config().totals;
    assert_eq!((t.io_paid, t.io_fee, t.io_burned_from_payments), (10_000 * UNIT, 200 * UNIT, 9_800 * UNIT));
}

#[test]
fn the_fee_is_bounded_and_only_the_authority_sets_it() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let params = h.treasury_config().params;
    let stranger = h.operator();
    let lower = TreasuryParams { fee_bps: 150, ..params };
    h.expect_error(&[tx::set_treasury_params(&stranger.pubkey(), &params, &lower)], &[&stranger], TreasuryError::Unauthorized);
    let too_high = TreasuryParams { fee_bps: MAX_FEE_BPS + 1, ..params };
    h.expect_error(&[tx::set_treasury_params(&authority.pubkey(), &params, &too_high)], &[&authority], TreasuryError::FeeAboveMax);
    h.ok(&[tx::set_treasury_params(&authority.pubkey(), &params, &lower)], &[&authority]);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
    // The two-step handover.
    let dao = h.operator();
    h.expect_error(&[tx::accept_authority(&dao.pubkey())], &[&dao], TreasuryError::NoPendingAuthority);
    h.ok(&[tx::propose_authority(&authority.pubkey(), &dao.pubkey())], &[&authority]);
    h.expect_error(&[tx::accept_authority(&stranger.pubkey())], &[&stranger], TreasuryError::NotPendingAuthority);
    h.ok(&[tx::accept_authority(&dao.pubkey())], &[&dao]);
    h.expect_error(&[tx::set_treasury_params(&authority.pubkey(), &lower, &params)], &[&authority], TreasuryError::Unauthorized);
}

#[test]
fn grants_are_paid_only_by_the_authority_from_the_fees() {
    let mut h = Harness::new();
    let enterprise = h.operator();
    let account = iosd_account(&mut h, &enterprise.pubkey(), 10_000 * UNIT);
    h.ok(&[tx::pay_with_iosd(&enterprise.pubkey(), &account, 10_000 * UNIT, REF)], &[&enterprise]);
    let grantee = h.operator();
    let to = iosd_account(&mut h, &grantee.pubkey(), 0);
    let (authority, mint) = (h.authority.insecure_clone(), h.io_mint);
    h.expect_error(&[tx::grant(&grantee.pubkey(), &mint, Asset::Iosd, &to, UNIT)], &[&grantee], TreasuryError::Unauthorized);
    // Naming the pool as the vault is refused: grants never touch buyback money.
    let mut from_pool = tx::grant(&authority.pubkey(), &mint, Asset::Iosd, &to, UNIT);
    from_pool.accounts[3].pubkey = pda::buyback_pool();
    h.expect_error(&[from_pool], &[&authority], TreasuryError::WrongVault);
    h.ok(&[tx::grant(&authority.pubkey(), &mint, Asset::Iosd, &to, 150 * UNIT)], &[&authority]);
    assert_eq!(h.token_balance(&to), 150 * UNIT);
    assert_eq!(h.token_balance(&pda::treasury_iosd_vault()), 50 * UNIT);
}

struct Fill {
    keeper: Keypair,
    keeper_io: Pubkey,
    keeper_iosd: Pubkey,
}

/// A pool of `pool` IOSD (from one payment) and a keeper holding `io` $IO bought "on the market".
fn with_pool(h: &mut Harness, pool_iosd: u64, io: u64) -> Fill {
    let enterprise = h.operator();
    let paid = pool_iosd * 10_000 / 9_800;
    let account = iosd_account(h, &enterprise.pubkey(), paid);
    h.ok(&[tx::pay_with_iosd(&enterprise.pubkey(), &account, paid, REF)], &[&enterprise]);
    let keeper = h.operator();
    let keeper_io = h.fund_io(&keeper.pubkey(), io);
    let keeper_iosd = iosd_account(h, &keeper.pubkey(), 0);
    Fill { keeper, keeper_io, keeper_iosd }
}

#[test]
fn the_price_guard_refuses_every_bad_fill_by_name_and_a_good_fill_burns_exactly() {
    let mut h = Harness::new();
    let params = use_feed(&mut h);
    let f = with_pool(&mut h, 40_000 * UNIT, 200_000 * UNIT);
    let mint = h.io_mint;
    let owner = PYTH_RECEIVER_ID;
    // $0.50 an IO: 10,000 IOSD buys 20,000 IO; 1% slippage lets 19,800 IO through.
    let good = price_account(&mut h, owner, FEED, 50_000_000, 10_000, 5, true);
    let fill =
        |price: &Pubkey, iosd: u64, io: u64| tx::buyback_and_burn(&f.keeper.pubkey(), &mint, &f.keeper_io, &f.keeper_iosd, price, iosd, io);
    let iosd = 10_000 * UNIT;
    let cases: Vec<(Pubkey, u64, u64, TreasuryError)> = vec![
        (
            price_account(&mut h, owner, FEED, 50_000_000, 10_000, i64::from(params.max_price_age_secs) + 1, true),
            iosd,
            20_000 * UNIT,
            TreasuryError::StalePrice,
        ),
        (price_account(&mut h, owner, [0x11; 32], 50_000_000, 10_000, 5, true), iosd, 20_000 * UNIT, TreasuryError::WrongPriceFeed),
        (
            price_account(&mut h, Pubkey::new_unique(), FEED, 50_000_000, 10_000, 5, true),
            iosd,
            20_000 * UNIT,
            TreasuryError::WrongPriceOwner,
        ),
        (price_account(&mut h, owner, FEED, 50_000_000, 10_000, 5, false), iosd, 20_000 * UNIT, TreasuryError::LowVerificationLevel),
        (price_account(&mut h, owner, FEED, 50_000_000, 5_000_000, 5, true), iosd, 20_000 * UNIT, TreasuryError::WideConfidence),
        (price_account(&mut h, owner, FEED, -1, 0, 5, true), iosd, 20_000 * UNIT, TreasuryError::InvalidPrice),
        (good, iosd, 19_800 * UNIT - 1, TreasuryError::SlippageExceeded),
        (good, params.max_fill + 1, 200_000 * UNIT, TreasuryError::FillAboveCap),
        (pda::buyback_pool(), iosd, 20_000 * UNIT, TreasuryError::WrongPriceOwner),
    ];
    for (price, iosd, io, error) in cases {
        h.expect_error(&[fill(&price, iosd, io)], &[&f.keeper], error);
    }
    let (supply, pool) = (h.io_supply(), h.token_balance(&pda::buyback_pool()));
    h.ok(&[fill(&good, iosd, 19_800 * UNIT)], &[&f.keeper]);
    assert_eq!(supply - h.io_supply(), 19_800 * UNIT, "exactly the IO handed in is burned");
    assert_eq!(pool - h.token_balance(&pda::buyback_pool()), iosd);
    assert_eq!(h.token_balance(&f.keeper_iosd), iosd);
    // More than the pool holds.
    let left = h.token_balance(&pda::buyback_pool());
    let authority = h.authority.insecure_clone();
    let current = h.treasury_config().params;
    h.ok(&[tx::set_treasury_params(&authority.pubkey(), &current, &TreasuryParams { max_fill: left + 1, ..current })], &[&authority]);
    h.expect_error(&[fill(&good, left + 1, 200_000 * UNIT)], &[&f.keeper], TreasuryError::InsufficientPool);
    let t = h.treasury_config().totals;
    assert_eq!((t.iosd_spent_on_buybacks, t.io_bought_and_burned), (iosd, 19_800 * UNIT));
}

#[test]
fn records_add_up_over_many_payments_and_fills() {
    let mut h = Harness::new();
    let params = use_feed(&mut h);
    let mint = h.io_mint;
    let enterprise = h.operator();
    let iosd = iosd_account(&mut h, &enterprise.pubkey(), 900_000 * UNIT);
    let io = h.fund_io(&enterprise.pubkey(), 900_000 * UNIT);
    let keeper = h.operator();
    let keeper_io = h.fund_io(&keeper.pubkey(), 3_000_000 * UNIT);
    let keeper_iosd = iosd_account(&mut h, &keeper.pubkey(), 0);
    let supply_before = h.io_supply();
    let (mut iosd_paid, mut io_paid, mut fees, mut io_fees, mut burned, mut spent, mut bought) = (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut payments: Vec<PaymentReceived> = vec![];
    let mut fills: Vec<BuybackFilled> = vec![];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        1 + seed % n
    };
    for round in 0..30 {
        let a = next(20_000 * UNIT);
        let out = h.ok(&[tx::pay_with_iosd(&enterprise.pubkey(), &iosd, a, REF)], &[&enterprise]);
        payments.extend(anchor_events::<PaymentReceived>(&out.logs));
        iosd_paid += a;
        fees += (a * 200).div_ceil(10_000);
        let b = next(20_000 * UNIT);
        let out = h.ok(&[tx::pay_with_io(&enterprise.pubkey(), &mint, &io, b, REF)], &[&enterprise]);
        payments.extend(anchor_events::<PaymentReceived>(&out.logs));
        io_paid += b;
        io_fees += (b * 200).div_ceil(10_000);
        burned += b - (b * 200).div_ceil(10_000);
        if round % 3 == 2 {
            let price = price_account(&mut h, PYTH_RECEIVER_ID, FEED, 25_000_000, 1_000, 0, true);
            let fill = next(params.max_fill).min(h.token_balance(&pda::buyback_pool()));
            let need = io_math::min_io_for_fill(
                fill,
                &io_math::UsdPrice { price: 25_000_000, conf: 1_000, exponent: -8 },
                params.max_slippage_bps,
            )
            .unwrap();
            let out = h.ok(&[tx::buyback_and_burn(&keeper.pubkey(), &mint, &keeper_io, &keeper_iosd, &price, fill, need)], &[&keeper]);
            fills.extend(anchor_events::<BuybackFilled>(&out.logs));
            spent += fill;
            bought += need;
        }
    }
    let t = h.treasury_config().totals;
    assert_eq!((t.iosd_paid, t.iosd_fee, t.iosd_to_pool), (iosd_paid, fees, iosd_paid - fees));
    assert_eq!((t.io_paid, t.io_fee, t.io_burned_from_payments), (io_paid, io_fees, burned));
    assert_eq!((t.iosd_spent_on_buybacks, t.io_bought_and_burned), (spent, bought));
    assert_eq!(supply_before - h.io_supply(), burned + bought, "supply fell by exactly what was burned");
    // The events tell the same story as the records.
    assert_eq!(payments.len(), 60);
    let sum = |asset: Asset, f: fn(&PaymentReceived) -> u64| payments.iter().filter(|p| p.asset == asset).map(f).sum::<u64>();
    assert_eq!(
        (sum(Asset::Iosd, |p| p.amount), sum(Asset::Iosd, |p| p.fee), sum(Asset::Iosd, |p| p.rest)),
        (iosd_paid, fees, iosd_paid - fees)
    );
    assert_eq!((sum(Asset::Io, |p| p.amount), sum(Asset::Io, |p| p.fee), sum(Asset::Io, |p| p.rest)), (io_paid, io_fees, burned));
    assert!(payments.iter().all(|p| p.fee + p.rest == p.amount && p.reference == REF && p.payer == enterprise.pubkey()));
    assert_eq!(fills.len(), 10);
    assert_eq!(fills.iter().map(|f| f.iosd_paid).sum::<u64>(), spent);
    assert_eq!(fills.iter().map(|f| f.io_burned).sum::<u64>(), bought);
    assert!(fills.iter().all(|f| f.io_burned >= f.min_io && f.price == 25_000_000 && f.exponent == -8));
    let config = h.treasury_config();
    let period = config.periods.iter().find(|p| p.iosd_paid > 0).unwrap();
    assert_eq!(
        (period.iosd_paid, period.io_paid, period.io_burned),
        (iosd_paid, io_paid, burned + bought),
        "one demand period holds it all"
    );
}

#[test]
fn a_fill_cannot_be_paid_into_the_pool_or_the_fee_vault() {
    let mut h = Harness::new();
    use_feed(&mut h);
    let f = with_pool(&mut h, 40_000 * UNIT, 200_000 * UNIT);
    let mint = h.io_mint;
    let good = price_account(&mut h, PYTH_RECEIVER_ID, FEED, 50_000_000, 10_000, 5, true);
    let iosd = 10_000 * UNIT;
    // The pool paying itself would record a spend that never left it; the fee vault would
    // turn buyback money into grant money. Both are refused by name and change nothing.
    for vault in [pda::buyback_pool(), pda::treasury_iosd_vault()] {
        let fill = tx::buyback_and_burn(&f.keeper.pubkey(), &mint, &f.keeper_io, &vault, &good, iosd, 20_000 * UNIT);
        h.expect_error(&[fill], &[&f.keeper], TreasuryError::VaultAsDestination);
    }
    let t = h.treasury_config().totals;
    assert_eq!((t.iosd_spent_on_buybacks, t.io_bought_and_burned), (0, 0));
    // The keeper's own account takes the fill.
    h.ok(&[tx::buyback_and_burn(&f.keeper.pubkey(), &mint, &f.keeper_io, &f.keeper_iosd, &good, iosd, 20_000 * UNIT)], &[&f.keeper]);
    assert_eq!(h.token_balance(&f.keeper_iosd), iosd);
}

#[test]
fn the_gateway_cap_holds_over_every_day_not_only_calendar_ones() {
    let mut h = Harness::new();
    let gateway = h.gateway.insecure_clone();
    let customer = h.operator();
    let account = iosd_account(&mut h, &customer.pubkey(), 0);
    let params = h.treasury_config().params;
    let (cap, day) = (params.gateway_cap, i64::from(params.gateway_period_secs));
    assert_eq!(day, 86_400, "the reference period");
    // A window that resets at fixed edges let the cap through twice within two seconds
    // (just before an edge and just after it). Here, whenever the cap was reached, one
    // more base unit is refused for a whole day after.
    h.net.warp_seconds(day - 1);
    h.ok(&[tx::mint_iosd(&gateway.pubkey(), &account, cap)], &[&gateway]);
    let minted_at = h.net.unix_time().unwrap();
    for later in [2, 3_600, day - 1] {
        let now = h.net.unix_time().unwrap();
        h.net.advance_clock(minted_at + later - now);
        h.expect_error(&[tx::mint_iosd(&gateway.pubkey(), &account, 1)], &[&gateway], TreasuryError::GatewayCapExceeded);
    }
    // Half the cap minted a day and a slot later; the other half half a day after that:
    // any day holds at most the cap.
    h.net.advance_clock(3_600 + 2);
    h.ok(&[tx::mint_iosd(&gateway.pubkey(), &account, cap / 2)], &[&gateway]);
    h.net.advance_clock(day / 2);
    h.ok(&[tx::mint_iosd(&gateway.pubkey(), &account, cap - cap / 2)], &[&gateway]);
    h.expect_error(&[tx::mint_iosd(&gateway.pubkey(), &account, 1)], &[&gateway], TreasuryError::GatewayCapExceeded);
    assert_eq!(h.token_balance(&account), 2 * cap);
}
