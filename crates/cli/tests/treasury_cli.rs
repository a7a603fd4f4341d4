//! `io pay`, `io treasury status` and one `io keeper run` iteration against the embedded
//! bank, the bank's fee payer standing for the --keypair of each command.

mod common;

use common::{publish_price, token_account, treasury_net};
use io_cli::treasury_cmd::{keeper_step, run_pay, run_status, KeeperAccounts, KeeperOutcome, PayArgs, StatusArgs};
use io_localnet::Localnet;
use io_sdk::client::Chain;
use io_sdk::{pda, token, treasury as tx};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

fn supply(net: &mut Localnet, mint: &Pubkey) -> u64 {
    token::supply(&net.account_data(mint).unwrap().unwrap()).unwrap()
}

/// Column padding is presentation: compare with runs of spaces collapsed.
fn squash(text: &str) -> String {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n")
}

#[test]
fn pay_status_and_a_keeper_fill_burn_exactly_what_they_print() {
    let (mut net, deployment, authority) = treasury_net();
    let me = net.payer();

    // The gateway mints 1,000 IOSD to me; I pay 1,000 IOSD and 100 IO.
    let my_iosd = token_account(&mut net, &pda::iosd_mint(), &me);
    net.send(&[tx::mint_iosd(&authority.pubkey(), &my_iosd, 1_000_000_000)], &[&authority]).unwrap();
    let my_io = token_account(&mut net, &deployment.io_mint, &me);
    net.send(&[token::transfer(&deployment.genesis_tokens, &my_io, &authority.pubkey(), 10_000_000_000)], &[&authority]).unwrap();
    let supply_before = supply(&mut net, &deployment.io_mint);

    let paid =
        run_pay(&mut net, PayArgs { iosd: Some("1000".into()), io: None, from: my_iosd, reference: Some("invoice 1".into()) }).unwrap();
    assert!(paid.contains("paid 1000 IOSD: fee 20 IOSD to the treasury (200 bps), 980 IOSD to the buyback pool"), "{paid}");
    let paid = run_pay(&mut net, PayArgs { iosd: None, io: Some("100".into()), from: my_io, reference: None }).unwrap();
    assert!(paid.contains("paid 100 IO: fee 2 IO to the treasury (200 bps), 98 IO burned"), "{paid}");
    assert_eq!(supply_before - supply(&mut net, &deployment.io_mint), 98_000_000);

    let status = squash(&run_status(&mut net, &StatusArgs { io_price: Some(0.25) }).unwrap());
    for expected in [
        "fee 200 bps (2.00%)",
        "1,000 of 1,000,000 IOSD minted in the last 86400 s (rolling)",
        &format!("price feed {}", "07".repeat(32)),
        "buyback pool 980 IOSD",
        "treasury vaults 20 IOSD, 2 IO",
        "iosd_paid 1,000 IOSD",
        "io_burned_from_payments 98 IO",
        "\n0 1,000 100 98\n",
        "demand/emission ",
    ] {
        assert!(status.contains(expected), "missing {expected:?} in\n{status}");
    }

    // A stale price: the keeper explains and sends nothing.
    let price = Keypair::new().pubkey();
    let now = net.unix_time().unwrap();
    publish_price(&mut net, &price, now - 3_600);
    let my_iosd_out = token_account(&mut net, &pda::iosd_mint(), &me);
    let accounts = KeeperAccounts { price_account: price, market_io: my_io, iosd_to: my_iosd_out };
    match keeper_step(&mut net, &me, &[], &accounts).unwrap() {
        KeeperOutcome::Skipped(why) => assert!(why.contains("s old"), "{why}"),
        other => panic!("filled on a stale price: {other}"),
    }

    // A fresh one: 980 IOSD at $0.25 is 3,920 IO, 1% slippage allowed: 3,880.8 IO burned.
    publish_price(&mut net, &price, now);
    let supply_before = supply(&mut net, &deployment.io_mint);
    let outcome = keeper_step(&mut net, &me, &[], &accounts).unwrap();
    assert_eq!(outcome, KeeperOutcome::Filled { iosd: 980_000_000, io: 3_880_800_000, price: 25_000_000, exponent: -8 });
    assert_eq!(outcome.to_string(), "filled: 980 IOSD from the pool for 3880.8 IO burned at 0.25 USD/IO");
    assert_eq!(supply_before - supply(&mut net, &deployment.io_mint), 3_880_800_000);
    assert_eq!(token::balance(&net.account_data(&my_iosd_out).unwrap().unwrap()), Some(980_000_000));
    assert_eq!(keeper_step(&mut net, &me, &[], &accounts).unwrap(), KeeperOutcome::Skipped("the buyback pool is empty".into()));

    let status = squash(&run_status(&mut net, &StatusArgs::default()).unwrap());
    assert!(status.contains("buyback pool 0 IOSD"), "{status}");
    assert!(status.contains("io_bought_and_burned 3,880.8 IO"), "{status}");
}
