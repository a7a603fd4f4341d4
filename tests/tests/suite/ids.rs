//! The program id is one fact written in three places; they must agree.

use std::path::Path;

fn repo_file(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn declare_id_anchor_toml_and_idl_agree() {
    let id = io_registry::ID.to_string();
    let anchor_toml = repo_file("Anchor.toml");
    let line = anchor_toml
        .lines()
        .find(|l| l.trim_start().starts_with("io_registry"))
        .expect("io_registry in Anchor.toml");
    assert!(line.contains(&id), "Anchor.toml says {line}, declare_id! says {id}");
    let idl = repo_file("idl/registry.json");
    assert!(idl.contains(&format!("\"address\": \"{id}\"")), "idl/registry.json has another address");
}
