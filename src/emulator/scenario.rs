//! Background behaviour of the scenarios: the demo traffic generator.
//!
//! Per-connection scenario behaviour (session timeouts, drops, 49xx closes, zombie, refusals,
//! flood) lives in `gateway.rs`; the intent grant of `invalid-intents` and the resume policy of
//! `resume-reject` in `state.rs`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior, interval_at};

use super::state::Shared;

/// Generate demo events at `config.rate` per second until shutdown. Ticks with no session at
/// all (connected or resumable) generate nothing, so the seeded sequence starts with the first
/// session.
pub(crate) async fn run_demo(shared: Arc<Shared>) {
    let rate = shared.config.rate;
    if !(rate.is_finite() && rate > 0.0) {
        return;
    }
    let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_micros(100));
    let mut ticks = interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            _ = ticks.tick() => {
                shared.generate_and_deliver();
            }
        }
    }
}
