//! Starts solana-test-validator in this process with the suite's SBF programs, each
//! upgradeable with the deployer as its upgrade authority (what `io genesis` requires),
//! writes the keypairs the check uses (each funded at genesis) into the work directory,
//! holds a Pyth IO/USD price for the keeper's buyback (`price.pub`), then writes its RPC
//! URL (`url`) and runs until killed.
//!
//!   io-validator-check <deploy dir> <work dir>

use solana_sdk::account::AccountSharedData;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};
use solana_sdk_ids::bpf_loader_upgradeable;
use solana_test_validator::{TestValidatorGenesis, UpgradeableProgramInfo};
use std::path::PathBuf;
use std::str::FromStr;

/// Artifact name and address of each program the suite runs on.
const PROGRAMS: [(&str, &str); 7] = [
    ("io_registry", "GnH9jN1nXicDY8jLfkofpCfr3MqU2BAitPdWubppJ5eh"),
    ("io_staking", "EFYJU5okuMxEkDA8KdduYGYamTcvfBjPizUm24AwFaN6"),
    ("io_emissions", "6s1q8jxD2NprmTqfu3UfCco9zeMBSZiFFiU4cqkh12rE"),
    ("io_treasury", "PKZswihk2WyEQqrGPm3Wtwr6xK4kHfy4L4gqWNrGgeh"),
    ("io_governance", "6QqFgfPDBFnsvfgdLS2nRQB5cxmrGFK8RbLbyVjD73Js"),
    ("spl_account_compression", "cmtDvXumGCrqC1Age74AVPhSRVXJMd8PJS91L8KbNCK"),
    ("spl_noop", "noopb9bkMVfRPU8AsbpTUg8AQkHtKwMYZiFUjNRtMmV"),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, deploy, work] = args.as_slice() else {
        eprintln!("usage: io-validator-check <deploy dir> <work dir>");
        std::process::exit(2);
    };
    let work = PathBuf::from(work);
    let deployer = Keypair::new();
    write_keypair_file(&deployer, work.join("deployer.json")).expect("write the deployer's keypair");
    let programs: Vec<UpgradeableProgramInfo> = PROGRAMS
        .iter()
        .map(|(name, id)| {
            let program_path = PathBuf::from(deploy).join(format!("{name}.so"));
            assert!(program_path.is_file(), "{} is missing: build it with scripts/sbf/build.sh", program_path.display());
            UpgradeableProgramInfo {
                program_id: Pubkey::from_str(id).expect("a program address"),
                loader: bpf_loader_upgradeable::id(),
                upgrade_authority: deployer.pubkey(),
                program_path,
            }
        })
        .collect();
    let mut genesis = TestValidatorGenesis::default();
    genesis.ledger_path(work.join("ledger")).add_upgradeable_programs_with_path(&programs);
    // JSON-RPC on a port whose next port (the websocket API) is free too: clients derive
    // the websocket endpoint as the RPC port + 1, as on a default validator (8899, 8900).
    genesis.rpc_port(free_port_pair());
    // The history the `io` commands and the indexer read (`getSignaturesForAddress`,
    // `getTransaction` with its inner instructions and logs), as the solana-test-validator
    // command line keeps it.
    genesis.rpc_config(solana_rpc::rpc::JsonRpcConfig {
        enable_rpc_transaction_history: true,
        enable_extended_tx_metadata_storage: true,
        ..solana_rpc::rpc::JsonRpcConfig::default_for_test()
    });
    // The genesis authority, an operator, its nodes, the oracles and the dashboard test's
    // wallet, 1,000 SOL each.
    for name in ["authority", "operator", "node0", "node1", "node2", "oracle0", "oracle1", "oracle2", "wallet", "gateway", "node3"] {
        let key = Keypair::new();
        write_keypair_file(&key, work.join(format!("{name}.json"))).expect("write a keypair");
        std::fs::write(work.join(format!("{name}.pub")), key.pubkey().to_string()).expect("write a key");
        genesis.add_account(key.pubkey(), AccountSharedData::new(1_000_000_000_000, 0, &solana_sdk::system_program::id()));
    }
    // The IO/USD price the keeper's buyback reads: a Pyth PriceUpdateV2 account as the
    // receiver program leaves it, published as the validator starts (the check's genesis
    // file accepts prices up to an hour old).
    let price = Keypair::new().pubkey();
    let data = price_update(unix_now());
    let mut account = AccountSharedData::new(1_000_000_000, data.len(), &Pubkey::from_str(PYTH_RECEIVER).expect("an address"));
    account.set_data_from_slice(&data);
    genesis.add_account(price, account);
    std::fs::write(work.join("price.pub"), price.to_string()).expect("write a key");
    // The deployer is the genesis mint: it holds the cluster's lamports and pays for everything.
    let validator = genesis
        .start_with_mint_address(deployer.pubkey(), solana_streamer::socket::SocketAddrSpace::Unspecified)
        .expect("the validator starts");
    // Written once the validator answers (the validator prints its own progress on stdout).
    std::fs::write(work.join("url"), validator.rpc_url()).expect("write the RPC URL");
    eprintln!("validator: {}", validator.rpc_url());
    loop {
        std::thread::park();
    }
}

/// Pyth's receiver program, the owner the treasury requires of a price account.
const PYTH_RECEIVER: &str = "rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ";
/// The feed id the check's genesis file names (`price_feed_id`): 32 bytes of 0x11.
const FEED_ID: [u8; 32] = [0x11; 32];

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
}

/// A `PriceUpdateV2` account's bytes, written here by hand from its Borsh layout (the
/// treasury program decodes it with Pyth's SDK, so a wrong byte is refused on chain):
/// the Anchor discriminator, the write authority, the verification level (`Full`), then
/// the price message (feed id, price, confidence, exponent, publish time, previous publish
/// time, EMA price, EMA confidence) and the posted slot. $1.00 +- $0.001 at exponent -8.
fn price_update(publish_time: i64) -> Vec<u8> {
    let mut data = vec![34, 241, 35, 99, 157, 126, 244, 205];
    data.extend_from_slice(&[0; 32]);
    data.push(1);
    data.extend_from_slice(&FEED_ID);
    data.extend_from_slice(&100_000_000i64.to_le_bytes());
    data.extend_from_slice(&100_000u64.to_le_bytes());
    data.extend_from_slice(&(-8i32).to_le_bytes());
    data.extend_from_slice(&publish_time.to_le_bytes());
    data.extend_from_slice(&(publish_time - 1).to_le_bytes());
    data.extend_from_slice(&100_000_000i64.to_le_bytes());
    data.extend_from_slice(&100_000u64.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes());
    // The receiver allocates room for the larger `Partial` level (one more byte).
    data.push(0);
    data
}

/// A free TCP port whose successor is free too.
fn free_port_pair() -> u16 {
    (18_900..19_900)
        .step_by(2)
        .find(|&port| {
            let bind = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
            bind(port) && bind(port + 1)
        })
        .expect("a free pair of ports in 18900-19899")
}
