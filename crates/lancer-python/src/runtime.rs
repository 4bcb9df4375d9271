//! One tokio runtime for the process, shared by every call.
//!
//! Calls block on it from the caller's thread with the GIL released, so Python threads
//! (and Ray's worker threads) can run lancer calls side by side.

use std::future::Future;
use std::sync::OnceLock;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("lancer")
            .build()
            .expect("the lancer runtime cannot start: the process is out of threads")
    })
}

/// Runs `future` to completion without the GIL. The future is polled on this thread, so a
/// callback inside it can take the GIL back with `Python::attach`.
pub(crate) fn block_on<F>(py: Python<'_>, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| runtime().block_on(future))
}

/// Runs `future` to completion from a thread that does not hold the GIL.
pub(crate) fn block_on_unlocked<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}
