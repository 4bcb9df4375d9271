//! The tokio runtime every call blocks on.
//!
//! Calls block on it from the caller's thread with the GIL released, so Python threads
//! (and Ray's worker threads) can run lancer calls side by side. Two situations need care:
//!
//! - A call made while another is blocking on this thread (a `merge_columns` function that
//!   opens a dataset; a lancer scan streamed into `write_fragments`) must not start a
//!   runtime inside a runtime: it leaves the runtime context first (`block_in_place`).
//! - A forked child (multiprocessing's default start method on Linux) inherits the runtime
//!   but none of its threads: the child builds its own, and leaks the parent's copy, whose
//!   threads do not exist there.

use std::future::Future;
use std::sync::Mutex;

use pyo3::prelude::*;
use tokio::runtime::{Handle, Runtime};

fn build() -> &'static Runtime {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lancer")
        .build()
        .expect("the lancer runtime cannot start: the process is out of threads");
    Box::leak(Box::new(runtime))
}

fn runtime() -> &'static Runtime {
    // The process id says whether the runtime was built in this process or inherited.
    static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    match *slot {
        Some((owner, runtime)) if owner == pid => runtime,
        _ => {
            let runtime = build();
            *slot = Some((pid, runtime));
            runtime
        }
    }
}

/// Runs `future` to completion without the GIL. The future is polled on this thread, so a
/// callback inside it can take the GIL back with `Python::attach`.
pub(crate) fn block_on<F>(py: Python<'_>, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| block_on_unlocked(future))
}

/// Runs `future` to completion from a thread that does not hold the GIL.
pub(crate) fn block_on_unlocked<F: Future>(future: F) -> F::Output {
    if Handle::try_current().is_ok() {
        // Nested inside another lancer call on this thread.
        tokio::task::block_in_place(|| runtime().block_on(future))
    } else {
        runtime().block_on(future)
    }
}
