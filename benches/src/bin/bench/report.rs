//! The report: a markdown table for people and a JSON document for tools, both saying what
//! machine the run was on, and every figure as lancer / pylance measured in the same run.

use serde_json::{Value, json};

use crate::cases::{Better, CaseResult, Config, Results};

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

fn median(values: &[f64]) -> Option<f64> {
    let v = sorted(values);
    v.get(v.len() / 2).copied()
}

fn spread(values: &[f64]) -> String {
    let v = sorted(values);
    match (v.first(), median(values), v.last()) {
        (Some(lo), Some(mid), Some(hi)) if v.len() > 1 => {
            format!("{} ({}–{})", num(mid), num(*lo), num(*hi))
        }
        (_, Some(mid), _) => num(mid),
        _ => "–".into(),
    }
}

fn num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// lancer's median over pylance's.
fn ratio(case: &CaseResult) -> Option<f64> {
    Some(median(&case.lancer)? / median(&case.pylance)?)
}

fn target_text(case: &CaseResult) -> String {
    match (case.target, case.better) {
        (Some(t), Better::Higher) => format!("≥ {t}x"),
        (Some(t), Better::Lower) => format!("≤ {t}x"),
        (None, _) => "–".into(),
    }
}

fn met(case: &CaseResult) -> Option<bool> {
    let (r, t) = (ratio(case)?, case.target?);
    Some(match case.better {
        Better::Higher => r >= t,
        Better::Lower => r <= t,
    })
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1048576.0);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    json!({ "cpu": cpu, "cores": cores, "memory_gib": memory_gib, "os": std::env::consts::OS })
}

fn notes(case: &CaseResult) -> String {
    let mut notes = Vec::new();
    if let Some(limit) = case.limit
        && let Some(l) = median(&case.lancer)
    {
        notes.push(format!(
            "lancer at {:.0}% of raw file IO ({} MB/s)",
            100.0 * l / limit,
            num(limit)
        ));
    }
    if let Some((l, p)) = case.read_bytes {
        notes.push(format!(
            "read {:.0} MB vs {:.0} MB",
            l as f64 / 1e6,
            p as f64 / 1e6
        ));
    }
    if let Some((l, p)) = case.lost {
        notes.push(format!(
            "commits lost or duplicated: lancer {l}, pylance {p}"
        ));
    }
    if let Some((l, p)) = case.gave_up {
        notes.push(format!(
            "gave up (reported to the caller): lancer {l}, pylance {p}"
        ));
    }
    notes.join("; ")
}

/// Renders the run as (markdown, JSON).
pub fn render(config: &Config, results: &Results) -> (String, String) {
    let machine = machine();
    let mut md = String::new();
    md.push_str("# lancer vs pylance 14.0.2\n\n");
    md.push_str(&format!(
        "Machine: {} ({} cores, {:.0} GiB). Reference table: {} rows, {:.0} MB of Arrow. \
         {} repetitions per case, lancer and pylance alternating, each measurement in its own \
         process; median (min–max). Both sides write file version 2.0 unless marked \
         (2.2 is the default of both); \"pylance 2.2\" is pylance writing 2.2 alongside.{}\n\n",
        machine["cpu"].as_str().unwrap_or("?"),
        machine["cores"],
        machine["memory_gib"].as_f64().unwrap_or(0.0),
        config.rows,
        results.arrow_mb,
        config.reps,
        if config.quick {
            " **Quick run: too small to quote.**"
        } else {
            ""
        },
    ));
    md.push_str("| case | unit | lancer | pylance | lancer / pylance | target | met | pylance 2.2 | notes |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|\n");
    let mut cases = Vec::new();
    for case in &results.cases {
        let r = ratio(case);
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            case.name,
            case.unit,
            spread(&case.lancer),
            spread(&case.pylance),
            r.map_or("–".into(), |r| format!("{r:.2}x")),
            target_text(case),
            met(case).map_or("–", |m| if m { "yes" } else { "no" }),
            spread(&case.pylance_v22),
            notes(case),
        ));
        cases.push(json!({
            "name": case.name,
            "unit": case.unit,
            "higher_is_better": case.better == Better::Higher,
            "lancer": case.lancer,
            "pylance": case.pylance,
            "pylance_v2_2": case.pylance_v22,
            "ratio": r,
            "target": case.target,
            "met": met(case),
            "read_bytes": case.read_bytes.map(|(l, p)| json!({ "lancer": l, "pylance": p })),
            "limit": case.limit,
            "lost": case.lost.map(|(l, p)| json!({ "lancer": l, "pylance": p })),
            "gave_up": case.gave_up.map(|(l, p)| json!({ "lancer": l, "pylance": p })),
        }));
    }
    if !results.sizes.is_empty() {
        md.push_str(
            "\nBytes per column in the 2.2 files each side wrote of the reference table (page \
             buffers; pylance's FSST tables are trained on random samples, so its text column \
             varies a little between runs):\n\n| column | lancer MB | pylance MB | lancer / pylance |\n|---|---|---|---|\n",
        );
        for size in &results.sizes {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                size.column,
                num(size.lancer as f64 / 1e6),
                num(size.pylance as f64 / 1e6),
                if size.pylance > 0 {
                    format!("{:.2}x", size.lancer as f64 / size.pylance as f64)
                } else {
                    "–".into()
                }
            ));
        }
    }
    md.push_str(&format!(
        "\nRaw file IO on this machine (sequential, 8 MiB chunks, same byte count): write {} MB/s, read {} MB/s.\n",
        num(results.raw_write_mbps),
        num(results.raw_read_mbps)
    ));
    let doc = json!({
        "machine": machine,
        "rows": config.rows,
        "arrow_mb": results.arrow_mb,
        "reps": config.reps,
        "quick": config.quick,
        "raw_write_mbps": results.raw_write_mbps,
        "raw_read_mbps": results.raw_read_mbps,
        "cases": cases,
        "column_bytes_v2_2": results.sizes.iter().map(|s| json!({
            "column": s.column,
            "lancer": s.lancer,
            "pylance": s.pylance,
        })).collect::<Vec<_>>(),
    });
    (md, serde_json::to_string_pretty(&doc).expect("JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(better: Better, lancer: Vec<f64>, pylance: Vec<f64>, target: f64) -> CaseResult {
        CaseResult::new("x", "u", better, Some(target), lancer, pylance)
    }

    #[test]
    fn ratios_and_targets_follow_the_direction_of_better() {
        let fast = case(Better::Higher, vec![30.0, 10.0, 20.0], vec![8.0], 2.5);
        assert_eq!(ratio(&fast), Some(2.5));
        assert_eq!(met(&fast), Some(true));
        let slow = case(Better::Lower, vec![6.0], vec![10.0], 0.5);
        assert_eq!(met(&slow), Some(false));
        assert_eq!(spread(&[3.0, 1.0, 2.0]), "2.00 (1.00–3.00)");
    }
}
