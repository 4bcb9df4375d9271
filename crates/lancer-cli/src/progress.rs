//! Progress on stderr, only when it is a terminal and `--quiet` is not given.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner counting rows; hidden when stderr is not a terminal or with `--quiet`.
pub fn rows(quiet: bool, what: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} rows {msg} ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message(what);
    bar
}

/// A spinner counting things (`what` says which); hidden like [`rows`].
pub fn count(quiet: bool, what: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} {msg} ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message(what);
    bar
}
