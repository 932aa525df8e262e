//! Counting the table calls a request makes: the request's scope holds a counter, every call
//! through [`crate::ResilientTable`] adds one (retries add to `retries`), and the request's log
//! line and metrics report them. Outside a scope nothing is counted.

use std::cell::Cell;
use std::future::Future;

/// Table calls and retries made within one scope.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CallCount {
    /// Logical calls (one per port method invoked).
    pub calls: u32,
    /// Extra attempts made by retries.
    pub retries: u32,
}

tokio::task_local! {
    static CALLS: Cell<CallCount>;
}

/// Runs `f` counting its table calls; returns its output and the count.
pub async fn counted<F: Future>(f: F) -> (F::Output, CallCount) {
    CALLS
        .scope(Cell::new(CallCount::default()), async move {
            let out = f.await;
            (out, CALLS.with(Cell::get))
        })
        .await
}

/// The count so far in the current scope (zero outside one).
pub fn so_far() -> CallCount {
    CALLS.try_with(Cell::get).unwrap_or_default()
}

pub(crate) fn add_call() {
    let _ = CALLS.try_with(|c| c.set(CallCount { calls: c.get().calls + 1, ..c.get() }));
}

pub(crate) fn add_retry() {
    let _ = CALLS.try_with(|c| c.set(CallCount { retries: c.get().retries + 1, ..c.get() }));
}
