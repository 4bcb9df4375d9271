//! What one measured run reports, as one JSON line on stdout, and how to read it back.
//! Both sides (lancer's `bench measure ...` and `scripts/pylance_bench.py`) print the same
//! shape, so the orchestrator treats them alike.

use std::time::{SystemTime, UNIX_EPOCH};

/// One measured run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurement {
    /// Duration of the measured section.
    pub seconds: f64,
    /// Rows (or fragments, or commits that landed) it handled.
    pub rows: u64,
    /// Peak resident memory of the process (from the OS).
    pub peak_rss_bytes: u64,
    /// Bytes the process read through system calls during the section (`rchar`).
    pub read_bytes: u64,
    /// CPU time (user and system) the process spent in the section.
    pub cpu_seconds: f64,
    /// Wall-clock start of the section (seconds since the epoch).
    pub start: f64,
    /// Wall-clock end of the section.
    pub end: f64,
}

impl Measurement {
    /// The JSON line.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"seconds\": {}, \"rows\": {}, \"peak_rss_bytes\": {}, \"read_bytes\": {}, \"cpu_seconds\": {}, \"start\": {}, \"end\": {}}}",
            self.seconds,
            self.rows,
            self.peak_rss_bytes,
            self.read_bytes,
            self.cpu_seconds,
            self.start,
            self.end
        )
    }

    /// Parses the last line of a measured process's stdout.
    pub fn parse(text: &str) -> Option<Measurement> {
        let line = text
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))?;
        let field = |name: &str| -> Option<f64> {
            let at = line.find(&format!("\"{name}\": "))? + name.len() + 4;
            let rest = &line[at..];
            rest[..rest.find([',', '}'])?].trim().parse().ok()
        };
        Some(Measurement {
            seconds: field("seconds")?,
            rows: field("rows")? as u64,
            peak_rss_bytes: field("peak_rss_bytes")? as u64,
            read_bytes: field("read_bytes").unwrap_or(0.0) as u64,
            cpu_seconds: field("cpu_seconds").unwrap_or(0.0),
            start: field("start").unwrap_or(0.0),
            end: field("end").unwrap_or(0.0),
        })
    }
}

/// Seconds since the epoch.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn proc_field(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Peak resident memory of this process, in bytes.
pub fn peak_rss_bytes() -> u64 {
    proc_field("/proc/self/status", "VmHWM:").map_or(0, |kb| kb * 1024)
}

/// CPU time (user and system) this process has used so far, in seconds (at the kernel's
/// clock-tick resolution, usually 10 ms).
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) may hold spaces; count fields after its closing paren.
    let Some(rest) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Bytes this process has read through system calls so far.
pub fn read_bytes() -> u64 {
    proc_field("/proc/self/io", "rchar:").unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let m = Measurement {
            seconds: 1.5,
            rows: 3,
            peak_rss_bytes: 4,
            read_bytes: 5,
            cpu_seconds: 0.5,
            start: 6.25,
            end: 7.5,
        };
        assert_eq!(
            Measurement::parse(&format!("noise\n{}\n", m.to_json())),
            Some(m)
        );
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_seconds();
        let mut x = 0u64;
        let clock = std::time::Instant::now();
        while clock.elapsed().as_millis() < 100 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(
            cpu_seconds() - before >= 0.05,
            "{before} -> {}",
            cpu_seconds()
        );
    }
}
