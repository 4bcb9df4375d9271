//! `cargo xtask tidy`: the shape of the workspace, checked so a change cannot undo it
//! silently (`docs/architecture.md` states it).
//!
//! - Layering: each crate of the stack depends only on crates below it.
//! - The front ends (the CLI, the Python package) stand on the facade alone.
//! - The pure crates stay lean: no tokio or object_store below lancer-commit, and no
//!   compression codec in lancer-table.
//! - No import cycle between the top-level modules of the facade, nor between the modules
//!   of the Python package.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::{cargo, root};

/// The stack, bottom to top; crates on one line may not depend on each other.
const STACK: &[&[&str]] = &[
    &["lancer-encoding"],
    &["lancer-file"],
    &["lancer-table"],
    &["lancer-commit"],
    &["lancer"],
    &["lancer-cli", "lancer-python"],
];

/// What the front ends may depend on among the crates and the store.
const FRONT_ENDS_MAY_NOT_USE: &[&str] = &[
    "lancer-encoding",
    "lancer-file",
    "lancer-table",
    "lancer-commit",
    "object_store",
    "prost",
];

/// Packages a crate's normal dependency tree must not hold (with its default features, or
/// with the features given).
const LEAN: &[(&str, &[&str], &[&str])] = &[
    (
        "lancer-encoding",
        &[],
        &["tokio", "object_store", "futures"],
    ),
    (
        "lancer-file",
        &["--no-default-features"],
        &[
            "tokio",
            "object_store",
            "zstd",
            "lz4_flex",
            "fsst-rs",
            "lancer-encoding",
        ],
    ),
    (
        "lancer-table",
        &[],
        &[
            "tokio",
            "object_store",
            "zstd",
            "lz4_flex",
            "fsst-rs",
            "lancer-encoding",
        ],
    ),
];

pub(crate) fn run() -> Result<(), String> {
    let mut problems = Vec::new();
    problems.extend(check_layering()?);
    problems.extend(check_lean_trees()?);
    let facade = root().join("crates/lancer/src");
    problems.extend(cycles(&rust_module_graph(&facade)?).into_iter().map(|c| {
        format!(
            "import cycle between the facade's modules: {}",
            c.join(" -> ")
        )
    }));
    let python = root().join("crates/lancer-python/python/lancer");
    problems.extend(cycles(&python_module_graph(&python)?).into_iter().map(|c| {
        format!(
            "import cycle between the Python modules: {}",
            c.join(" -> ")
        )
    }));
    if problems.is_empty() {
        eprintln!("xtask: tidy: layering, front ends, lean trees and module cycles all hold");
        Ok(())
    } else {
        Err(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// `cargo tree` of `package` (normal edges), one package name per line.
fn tree(package: &str, extra: &[&str], depth: Option<u32>) -> Result<Vec<String>, String> {
    let mut command: Command = cargo();
    command
        .current_dir(root())
        .args([
            "tree", "--quiet", "-p", package, "-e", "normal", "--prefix", "none",
        ])
        .args(["--format", "{p}"])
        .args(extra);
    if let Some(depth) = depth {
        command.args(["--depth", &depth.to_string()]);
    }
    Ok(crate::output(&mut command)?
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect())
}

fn check_layering() -> Result<Vec<String>, String> {
    let level: BTreeMap<&str, usize> = STACK
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (*n, i)))
        .collect();
    let mut problems = Vec::new();
    for (name, own) in &level {
        // The crate itself, then its direct dependencies.
        for dependency in tree(name, &[], Some(1))?.iter().skip(1) {
            if let Some(theirs) = level.get(dependency.as_str())
                && theirs >= own
            {
                problems.push(format!(
                    "{name} depends on {dependency}, which is not below it in the stack"
                ));
            }
            if (*name == "lancer-cli" || *name == "lancer-python")
                && FRONT_ENDS_MAY_NOT_USE.contains(&dependency.as_str())
            {
                problems.push(format!(
                    "{name} depends on {dependency}; the front ends stand on `lancer` alone"
                ));
            }
        }
    }
    Ok(problems)
}

fn check_lean_trees() -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    for (package, features, banned) in LEAN {
        let packages: BTreeSet<String> = tree(package, features, None)?.into_iter().collect();
        for name in *banned {
            if packages.contains(*name) {
                problems.push(format!(
                    "{package} {} has {name} in its dependency tree",
                    features.join(" ")
                ));
            }
        }
    }
    Ok(problems)
}

/// Which top-level modules of the crate at `src` each one refers to (`crate::name`).
fn rust_module_graph(src: &Path) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = match (path.is_dir(), path.extension().and_then(|e| e.to_str())) {
            (true, _) => path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string),
            (false, Some("rs")) => path
                .file_stem()
                .and_then(|n| n.to_str())
                .map(str::to_string),
            _ => None,
        };
        let Some(name) = name.filter(|n| n != "lib" && n != "main") else {
            continue;
        };
        let mut text = String::new();
        read_rust(&path, &mut text)?;
        modules.insert(name, text);
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    Ok(modules
        .into_iter()
        .map(|(name, text)| {
            let uses = names
                .iter()
                .filter(|other| **other != name && refers(&text, &format!("crate::{other}")))
                .cloned()
                .collect();
            (name, uses)
        })
        .collect())
}

/// Whether `text` names `path` as a path (not as the start of a longer name).
fn refers(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        text[at + path.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

fn read_rust(path: &Path, out: &mut String) -> Result<(), String> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))? {
            read_rust(&entry.map_err(|e| e.to_string())?.path(), out)?;
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push_str(
            &std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        );
        out.push('\n');
    }
    Ok(())
}

/// Which modules of the Python package in `dir` each one imports (`from .x import`, `from
/// . import x`, `from lancer.x import`), anywhere in the file.
fn python_module_graph(dir: &Path) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "py") {
            let name = path
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            sources.insert(name, text);
        }
    }
    let names: BTreeSet<String> = sources.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (name, text) in &sources {
        let mut uses = BTreeSet::new();
        for line in text.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("from ") else {
                continue;
            };
            let Some((from, imported)) = rest.split_once(" import ") else {
                continue;
            };
            let module = from
                .strip_prefix("lancer.")
                .or_else(|| from.strip_prefix('.'))
                .unwrap_or("");
            if module.is_empty() && (from == "." || from == "lancer") {
                // `from . import a, b`: the names are modules.
                uses.extend(
                    imported
                        .split(',')
                        .map(|n| n.split_whitespace().next().unwrap_or("").to_string()),
                );
            } else if !module.is_empty() {
                uses.insert(module.split('.').next().unwrap_or(module).to_string());
            }
        }
        uses.retain(|u| names.contains(u) && u != name && u != "__init__");
        graph.insert(name.clone(), uses);
    }
    // The package's `__init__` imports everything and nothing imports it: not a cycle.
    graph.remove("__init__");
    Ok(graph)
}

/// Every cycle the graph holds, each once, as the modules around it.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in graph.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    // Rotate so the smallest name leads: each cycle is reported once.
                    let at = path
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, n)| *n)
                        .map_or(0, |m| m.0);
                    let mut cycle: Vec<String> =
                        path[at..].iter().chain(&path[..at]).cloned().collect();
                    cycle.push(cycle[0].clone());
                    found.insert(cycle);
                } else if !path.contains(next) && next > start {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph
                .entry(from.to_string())
                .or_default()
                .insert(to.to_string());
            graph.entry(to.to_string()).or_default();
        }
        graph
    }

    #[test]
    fn cycles_are_found_once_and_chains_are_not_cycles() {
        let chain = graph(&[("a", "b"), ("b", "c"), ("a", "c")]);
        assert!(cycles(&chain).is_empty());
        let found = cycles(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]));
        assert_eq!(found, vec![vec!["a", "b", "c", "a"]]);
        assert_eq!(cycles(&graph(&[("x", "y"), ("y", "x")])).len(), 1);
    }

    #[test]
    fn paths_are_names_not_prefixes() {
        assert!(refers("use crate::read::Scanner;", "crate::read"));
        assert!(!refers("use crate::reader::Scanner;", "crate::read"));
    }

    #[test]
    fn the_workspace_is_tidy() {
        // The rules above, on the tree as it is now.
        run().unwrap();
    }
}
