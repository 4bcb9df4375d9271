//! `cargo xtask bench`: lancer and pylance 14.0.2 side by side on the same reference table.
//!
//! Every measurement runs in a process of its own (so peak memory is that process's own),
//! lancer and pylance alternate, each case is repeated and reported as median (min-max), and
//! figures are given as ratios measured in the same run, next to the raw file IO limits of
//! the machine. The report goes to `target/bench/report.md` and `report.json`.
//!
//! usage: bench [--quick] [--rows N] [--reps N] [--dir DIR] --python PYTHON
//!        bench measure <case> ARGS...     (one measurement; used by the orchestrator)

mod cases;
mod lancer_side;
mod report;

// The allocator lancer's binaries ship with (see docs/architecture.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("measure") {
        let rest = &args[2..];
        match args.get(1).map(String::as_str) {
            Some("write") => lancer_side::write(rest),
            Some("overwrite") => lancer_side::overwrite(rest),
            Some("scan") => lancer_side::scan(rest),
            Some("commit") => lancer_side::commit(rest),
            Some("concurrent") => lancer_side::concurrent(rest),
            Some("count") => lancer_side::count(rest),
            Some("grow") => lancer_side::grow(rest),
            Some("sizes") => lancer_side::sizes(rest),
            Some("small-files") => lancer_side::small_files(rest),
            Some("compact") => lancer_side::compact(rest),
            Some("orphans") => lancer_side::orphans(rest),
            Some("cleanup") => lancer_side::cleanup(rest),
            // A misspelt measurement must not fall through to a whole benchmark run (which
            // would spawn itself again).
            other => panic!("unknown measurement {other:?}"),
        }
        return;
    }
    if let Some(first) = args.first().filter(|a| !a.starts_with("--")) {
        panic!("unknown argument `{first}`");
    }
    let quick = args.iter().any(|a| a == "--quick");
    let config = cases::Config {
        rows: arg(&args, "--rows").map_or(if quick { 50_000 } else { 1_000_000 }, |v| {
            v.parse().expect("--rows N")
        }),
        reps: arg(&args, "--reps")
            .map_or(if quick { 1 } else { 7 }, |v| v.parse().expect("--reps N")),
        quick,
        dir: std::path::PathBuf::from(
            arg(&args, "--dir").unwrap_or_else(|| "target/bench".to_string()),
        ),
        python: arg(&args, "--python")
            .expect("--python PYTHON (the pylance oracle)")
            .into(),
    };
    let results = cases::run(&config);
    let (markdown, json) = report::render(&config, &results);
    std::fs::write(config.dir.join("report.md"), &markdown).expect("report.md");
    std::fs::write(config.dir.join("report.json"), json).expect("report.json");
    println!("{markdown}");
    eprintln!(
        "report written to {}",
        config.dir.join("report.md").display()
    );
}
