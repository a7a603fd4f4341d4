//! The `io` binary's help says what each command does, each in its own words (a doc
//! comment on the wrong item once glued the audit's description to the oracle daemon's
//! and gave `io audit` the tuning group's).

fn help(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_io")).args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_oracle_and_audit_commands_each_describe_themselves() {
    let top = help(&[]);
    let line = |name: &str| top.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_default().to_string();
    assert!(line("oracle ").contains("oracle daemon") && !line("oracle ").contains("One Proof-of-Compute audit"), "{top}");
    assert!(line("audit ").contains("One Proof-of-Compute audit of a registered node"), "{top}");

    let oracle = help(&["oracle"]);
    assert!(oracle.starts_with("The Proof-of-Compute oracle daemon"), "{oracle}");
    let audit = help(&["audit"]);
    assert!(audit.starts_with("One Proof-of-Compute audit of a registered node"), "{audit}");
    assert!(!audit.contains("How an audit is run"), "{audit}");
}
