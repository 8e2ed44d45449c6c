//! The README's "Using it" block, run as a new user would run it: every command in order, in a
//! fresh folder, with the real binary; each must succeed (`control` may exit 7, as its comment
//! says), and every figure a comment quotes ("466 890 tkr") must be in that command's output.
//! Also: no link in the README or the docs points outside the repository.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const README: &str = include_str!("../../README.md");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The lines of the first ```sh block after `## Using it`, continuations joined.
fn using_it() -> Vec<String> {
    let section = README
        .split("## Using it")
        .nth(1)
        .expect("the README has a section 'Using it'");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("'Using it' starts with a sh block");
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            continue;
        }
        current.push_str(line);
        if !current.trim().is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        current.clear();
    }
    lines
}

/// Words as a POSIX shell splits them, for the quoting the README uses (double quotes).
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in command.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

/// `dir/*.ext` as the shell expands it, sorted; any other word as it is.
fn expand(word: &str, cwd: &Path) -> Vec<String> {
    let Some((dir, pattern)) = word.rsplit_once('/').filter(|(_, p)| p.contains('*')) else {
        return vec![word.to_string()];
    };
    let (before, after) = pattern.split_once('*').unwrap();
    let mut found: Vec<String> = std::fs::read_dir(cwd.join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(before) && n.ends_with(after))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    found.sort();
    found
}

/// Figures a comment quotes, like `466 890`.
fn quoted_figures(comment: &str) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<&str> = comment.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let lead = words[i].trim_end_matches([',', ':', '.']);
        if !lead.is_empty() && lead.len() <= 3 && lead.chars().all(|c| c.is_ascii_digit()) {
            let mut figure = lead.to_string();
            let mut j = i + 1;
            while let Some(w) = words.get(j) {
                let w = w.trim_end_matches([',', ':', '.']);
                if w.len() == 3 && w.chars().all(|c| c.is_ascii_digit()) {
                    figure.push(' ');
                    figure.push_str(w);
                    j += 1;
                } else {
                    break;
                }
            }
            if j > i + 1 {
                out.push(figure);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn the_readme_commands_run_in_order_and_its_figures_hold() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    std::os::unix::fs::symlink(Path::new(ROOT).join("fixtures"), cwd.join("fixtures")).unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    let lines = using_it();
    assert!(lines.len() >= 10, "{lines:?}");
    let mut ran = 0;
    let mut checked = 0;
    for line in &lines {
        let (command, comment) = match line.split_once(" #") {
            Some((c, k)) => (c.trim(), k.trim()),
            None => (line.trim(), ""),
        };
        if let Some(assignments) = command.strip_prefix("export ") {
            for a in words(assignments) {
                let (k, v) = a.split_once('=').unwrap();
                env.insert(k.to_string(), v.to_string());
            }
            continue;
        }
        let mut printed = String::new();
        for part in command.split("&&") {
            let mut w = words(part);
            let mut out_file: Option<PathBuf> = None;
            if let Some(at) = w.iter().position(|x| x == ">") {
                out_file = Some(cwd.join(&w[at + 1]));
                w.truncate(at);
            }
            assert_eq!(w[0], "rambok", "{line}");
            let args: Vec<String> = w[1..].iter().flat_map(|x| expand(x, cwd)).collect();
            let out = Command::new(env!("CARGO_BIN_EXE_rambok"))
                .current_dir(cwd)
                .env_remove("RAMBOK_DB")
                .env_remove("RAMBOK_USER")
                .envs(&env)
                .args(&args)
                .output()
                .unwrap();
            let code = out.status.code();
            let allowed = if args.first().map(String::as_str) == Some("control") {
                code == Some(0) || code == Some(7)
            } else {
                code == Some(0)
            };
            assert!(
                allowed,
                "`{}` exited {code:?}: {}",
                part.trim(),
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            if let Some(f) = out_file {
                std::fs::write(&f, &out.stdout).unwrap();
                assert!(
                    std::fs::metadata(&f).unwrap().len() > 0,
                    "{line}: wrote nothing"
                );
            }
            printed.push_str(&stdout);
            ran += 1;
        }
        for figure in quoted_figures(comment) {
            assert!(
                printed.contains(&figure),
                "`{command}` does not print {figure}, as its comment says:\n{printed}"
            );
            checked += 1;
        }
    }
    assert!(ran >= 15 && checked >= 2, "ran {ran}, checked {checked}");
    // What the commands wrote is there.
    for file in [
        "driftsbudget.csv",
        "bridge.svg",
        "head.json",
        "revision-2017.xlsx",
    ] {
        assert!(cwd.join(file).is_file(), "{file} was not written");
    }
    assert!(cwd.join("revision-2017").is_dir());
}

/// Every Markdown link in the README, the docs and the fixtures' README points inside the
/// repository (or to a heading), and names a file that exists.
#[test]
fn no_link_points_outside_the_repository() {
    let mut files = vec![
        PathBuf::from(ROOT).join("README.md"),
        PathBuf::from(ROOT).join("fixtures/kalmar/README.md"),
    ];
    for e in std::fs::read_dir(Path::new(ROOT).join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // A path in backticks that climbs out of the repository (`../shared/…`) is a link too.
        for (i, _) in text.match_indices("`../") {
            let path: String = text[i + 1..].chars().take_while(|c| *c != '`').collect();
            let resolved = file.parent().unwrap().join(&path);
            let inside = resolved
                .canonicalize()
                .is_ok_and(|c| c.starts_with(Path::new(ROOT).canonicalize().unwrap()));
            assert!(
                inside,
                "{}: `{path}` is outside the repository",
                file.display()
            );
        }
        for (i, _) in text.match_indices("](") {
            let target: String = text[i + 2..].chars().take_while(|c| *c != ')').collect();
            let at = format!("{}: ]({target})", file.display());
            assert!(
                !target.contains("://") && !target.starts_with("//"),
                "{at} leaves the repository"
            );
            let path = target.split('#').next().unwrap();
            if path.is_empty() {
                continue;
            }
            let resolved = file.parent().unwrap().join(path);
            let canonical = resolved
                .canonicalize()
                .unwrap_or_else(|_| panic!("{at} names no file"));
            assert!(
                canonical.starts_with(Path::new(ROOT).canonicalize().unwrap()),
                "{at} points outside the repository"
            );
        }
    }
}

#[test]
fn figures_in_comments_are_found() {
    assert_eq!(
        quoted_figures("466 890 tkr: after KF's June decision"),
        vec!["466 890"]
    );
    assert_eq!(quoted_figures("exit 7 when any"), Vec::<String>::new());
    assert_eq!(
        words(r#"--amount "1 325,8" --reason "a b""#),
        vec!["--amount", "1 325,8", "--reason", "a b"]
    );
}
