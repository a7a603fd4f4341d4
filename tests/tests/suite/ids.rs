//! The program id is one fact written in three places; they must agree.

use std::path::Path;

fn repo_file(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn declare_id_anchor_toml_and_idl_agree() {
    let anchor_toml = repo_file("Anchor.toml");
    for (name, idl_file, id) in [
        ("io_registry", "idl/registry.json", io_registry::ID.to_string()),
        ("io_staking", "idl/staking.json", io_staking::ID.to_string()),
        ("io_emissions", "idl/emissions.json", io_emissions::ID.to_string()),
        ("io_treasury", "idl/treasury.json", io_treasury::ID.to_string()),
        ("io_governance", "idl/governance.json", io_governance::ID.to_string()),
    ] {
        let lines: Vec<&str> = anchor_toml.lines().filter(|l| l.trim_start().starts_with(&format!("{name} "))).collect();
        assert!(!lines.is_empty(), "{name} missing from Anchor.toml");
        for line in lines {
            assert!(line.contains(&id), "Anchor.toml says {line}, declare_id! says {id}");
        }
        let idl = repo_file(idl_file);
        assert!(idl.contains(&format!("\"address\": \"{id}\"")), "{idl_file} has another address");
    }
}
