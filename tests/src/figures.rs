//! Figures a reader needs from the suite (transaction sizes, how many cases of a property
//! test reached the path it is about, measured bounds). nextest hides what a passing test
//! prints, so each figure also goes, when `IO_FIGURES_LOG` is set, to that file as one JSON
//! line; `scripts/test_figures.py` writes `docs/test-figures.md` from it and CI prints it.

use std::fmt::Display;
use std::io::Write;

/// Records `value` as the figure `name` of `section` (and prints it).
pub fn figure(section: &str, name: &str, value: impl Display) {
    let value = value.to_string();
    println!("{section}: {name} = {value}");
    let Some(path) = std::env::var_os("IO_FIGURES_LOG") else { return };
    let test = std::thread::current().name().unwrap_or("?").to_string();
    let line = serde_json::json!({ "section": section, "name": name, "value": value, "test": test }).to_string() + "\n";
    // One write per figure on an append-only file: the suite's test processes share it.
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
    if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
        panic!("IO_FIGURES_LOG {}: {e}", std::path::Path::new(&path).display());
    }
}
