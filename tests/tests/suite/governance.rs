//! The DAO: genesis hands every config to it; proposals change real parameters.

use io_sdk::client::fetch;
use io_sdk::pda;
use io_tests::Harness;

#[test]
fn genesis_leaves_every_config_to_the_dao() {
    let mut h = Harness::with_dao();
    let dao = pda::dao();
    let registry: io_registry::RegistryConfig = fetch(&mut h.net, &pda::registry_config()).unwrap();
    assert_eq!((registry.authority, registry.pending_authority), (dao, None));
    let staking = h.staking_config();
    assert_eq!((staking.authority, staking.pending_authority), (dao, None));
    let emissions = h.emissions_config();
    assert_eq!((emissions.authority, emissions.pending_authority), (dao, None));
    let treasury = h.treasury_config();
    assert_eq!((treasury.authority, treasury.pending_authority), (dao, None));
    let governance: io_governance::GovernanceConfig = fetch(&mut h.net, &pda::governance_config()).unwrap();
    assert_eq!(governance.authority, dao);
}
