//! The invariant "imports run down, never up" of docs/ARCHITECTURE.md, read from the sources: every
//! `crate::FOLDER` a file under `src/` names is on a lower floor than its own folder. A test of the
//! tree itself, so a new import that runs back up fails here, naming the file, the line and both
//! floors, before anyone has to find the circle it makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The floors, from the ground up, as docs/ARCHITECTURE.md lists them. A folder may import from
/// its own floor's folder only when it is itself (`control` and `sheet` stay apart).
const FLOORS: &[&[&str]] = &[
    &["lang"],
    &["domain"],
    &["json", "store"],
    &["index"],
    &["projection", "ledger"],
    &["report"],
    &["control", "sheet"],
    &["query"],
    &["server"],
    &["cli"],
];

/// `gen` (a synthetic municipality, for tests and benches) and the crate's roots stand outside.
const OUTSIDE: &[&str] = &["gen", "lib", "main"];

fn floor(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top module a file under `src/` belongs to: `src/store/pg/mod.rs` → `store`.
fn module_of(src: &Path, file: &Path) -> String {
    let first = file.strip_prefix(src).unwrap().components().next().unwrap();
    let name = first.as_os_str().to_str().unwrap();
    name.trim_end_matches(".rs").to_string()
}

/// Every `crate::NAME` in `text` outside comments, with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            // `rambok::crate::` is no such thing; `$crate::` is a macro's own path.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((n + 1, name));
            }
        }
    }
    found
}

/// The imports of `src/` that break the floors, as `file:line: from (floor) imports to (floor)`.
fn upward_imports(src: &Path) -> (Vec<String>, BTreeMap<String, usize>) {
    let mut files = Vec::new();
    sources(src, &mut files);
    files.sort();
    let mut broken = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let from = module_of(src, file);
        if OUTSIDE.contains(&from.as_str()) {
            continue;
        }
        let from_floor = floor(&from)
            .unwrap_or_else(|| panic!("{}: folder '{from}' is on no floor", file.display()));
        let text = std::fs::read_to_string(file).unwrap();
        for (line, to) in crate_paths(&text) {
            if to == from || OUTSIDE.contains(&to.as_str()) {
                continue;
            }
            let Some(to_floor) = floor(&to) else {
                panic!("{}:{line}: crate::{to} is on no floor", file.display());
            };
            *seen.entry(format!("{from} -> {to}")).or_default() += 1;
            if to_floor >= from_floor {
                broken.push(format!(
                    "{}:{line}: {from} (floor {from_floor}) imports {to} (floor {to_floor})",
                    file.display()
                ));
            }
        }
    }
    (broken, seen)
}

#[test]
fn imports_run_down_never_up() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (broken, seen) = upward_imports(&src);
    assert!(
        broken.is_empty(),
        "imports that run back up (docs/ARCHITECTURE.md, 'Imports run down'):\n{}",
        broken.join("\n")
    );
    // The reading found the imports it should: the adapters reach the query layer, the core is
    // reached from above, so an empty reading cannot pass.
    for pair in [
        "cli -> query",
        "server -> query",
        "query -> index",
        "ledger -> store",
    ] {
        assert!(
            seen.contains_key(pair),
            "no import {pair} was read: {seen:?}"
        );
    }
}

#[test]
fn the_reader_of_imports_finds_one_that_runs_up() {
    let dir = tempfile::tempdir().unwrap();
    let domain = dir.path().join("domain");
    std::fs::create_dir(&domain).unwrap();
    std::fs::write(
        domain.join("amount.rs"),
        "// crate::report in a comment is no import\nuse crate::lang::count;\nfn f() -> String { crate::report::number::money() }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("lang.rs"), "pub fn count() {}\n").unwrap();
    let (broken, _) = upward_imports(dir.path());
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0].ends_with("amount.rs:3: domain (floor 1) imports report (floor 5)"),
        "{}",
        broken[0]
    );
    // Two folders of one floor stay apart.
    let control = dir.path().join("control");
    std::fs::create_dir(&control).unwrap();
    std::fs::write(control.join("mod.rs"), "use crate::sheet::read;\n").unwrap();
    let (broken, _) = upward_imports(dir.path());
    assert!(
        broken
            .iter()
            .any(|b| b.contains("control (floor 6) imports sheet (floor 6)")),
        "{broken:?}"
    );
}
