//! Trial Identify: which intents does the platform actually grant this application?
//!
//! [`trial_identify`] opens one gateway connection, reads Hello, sends Identify with candidate
//! intents and classifies the answer ([`TrialOutcome::verdict`]):
//!
//! - READY: granted. The connection is then closed with code 4000, which leaves the session
//!   resumable instead of discarding it (the session start is spent either way).
//! - op 9 (Invalid Session) followed by a close (4903 "create session error", "disallowed
//!   intents", or no close frame at all), or a close 4013 / 4014: denied.
//! - any other close (4004 token, 4008 rate limit, 4914 offline, 4915 banned, …): inconclusive.
//!
//! [`bisect`] finds the granted subset of a request with as few trials as possible: try the whole
//! set; when it is denied, split it in halves and recurse; a single denied bit is denied. When a
//! denied set's first half turns out granted, the second half is known to hold a denied bit, so
//! its own trial is skipped. At most `2n − 1` trials for `n` bits ([`worst_case_trials`]). Trials
//! are spaced through an [`IdentifyQueue`] (`max_concurrency` per 5 s).

use std::future::Future;
use std::time::Duration;

use crate::Secret;
use crate::gateway::item::ShardId;
use crate::gateway::queue::IdentifyQueue;
use crate::gateway::transport::{Incoming, Transport, TransportError};
use crate::models::{Ready, ReadyUser};
use crate::protocol::Intents;
use crate::protocol::envelope::Envelope;
use crate::protocol::payloads::{Identify, identify_frame};

/// The close code the probe sends after READY (a private-use code: the session stays resumable).
pub const PROBE_CLOSE_CODE: u16 = 4000;

/// How long to wait for a close after op 9 before closing ourselves.
const AFTER_OP9: Duration = Duration::from_secs(3);

/// What one trial Identify produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrialOutcome {
    /// READY arrived: the intents are granted.
    Ready {
        /// The new session's id.
        session_id: String,
        /// The bot user from READY.
        user: ReadyUser,
        /// The heartbeat interval from Hello, in ms.
        heartbeat_interval: u64,
    },
    /// op 9 arrived before READY (then the connection closed with `code`, if a close frame came).
    InvalidSession {
        /// Close code after op 9, if any.
        code: Option<u16>,
        /// Close reason after op 9.
        reason: String,
    },
    /// The connection closed before READY without op 9.
    Closed {
        /// Close code (`None`: dropped without a close frame).
        code: Option<u16>,
        /// Close reason.
        reason: String,
    },
}

/// What a trial says about the intents tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every bit tried is granted.
    Granted,
    /// At least one bit tried is not granted.
    Denied,
    /// The gateway refused for another reason (token, rate limit, offline, banned, …).
    Inconclusive,
}

fn is_intents_close(code: Option<u16>, reason: &str) -> bool {
    code.is_some_and(|code| {
        crate::protocol::close::lookup(code).is_some_and(|row| row.denies_intents)
    }) || reason.to_ascii_lowercase().contains("disallowed intents")
}

impl TrialOutcome {
    /// Granted, denied or inconclusive (see the module docs).
    pub fn verdict(&self) -> Verdict {
        match self {
            TrialOutcome::Ready { .. } => Verdict::Granted,
            TrialOutcome::InvalidSession { code, reason } => {
                if code.is_none() || is_intents_close(*code, reason) {
                    Verdict::Denied
                } else {
                    Verdict::Inconclusive
                }
            }
            TrialOutcome::Closed { code, reason } => {
                if is_intents_close(*code, reason) {
                    Verdict::Denied
                } else {
                    Verdict::Inconclusive
                }
            }
        }
    }

    /// The close code, if the trial ended with one.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            TrialOutcome::Ready { .. } => None,
            TrialOutcome::InvalidSession { code, .. } | TrialOutcome::Closed { code, .. } => *code,
        }
    }
}

/// Why a trial could not be run or read.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The WebSocket connection failed.
    #[error("cannot connect to the gateway")]
    Connect(#[source] TransportError),
    /// Identify could not be sent.
    #[error("cannot send Identify")]
    Send(#[source] TransportError),
    /// The first frame was not Hello (op 10).
    #[error("expected Hello (op 10) first, got: {0}")]
    NoHello(String),
    /// Nothing decisive arrived in time.
    #[error("no answer from the gateway within {0:?} ({1})")]
    Timeout(Duration, &'static str),
}

/// The close code [`validate_intents`] sends after READY: a normal closure, which ends the
/// session (the platform does not keep buffering events for it).
pub const VALIDATE_CLOSE_CODE: u16 = 1000;

/// One trial Identify with `intents` against the gateway at `url`, authenticating with the bare
/// access token `token`. `timeout` bounds the whole exchange up to READY / op 9 / close. After
/// READY the connection is closed with [`PROBE_CLOSE_CODE`] (the session stays resumable).
pub async fn trial_identify(
    url: &str,
    token: &Secret,
    intents: Intents,
    timeout: Duration,
) -> Result<TrialOutcome, ProbeError> {
    trial_identify_closing(url, token, intents, timeout, PROBE_CLOSE_CODE).await
}

/// [`trial_identify`] for "validate, then connect": after READY the trial's session is closed
/// with [`VALIDATE_CLOSE_CODE`], so the platform discards it instead of buffering events for a
/// session nobody will resume. Wait on the identify queue the shards use before calling it
/// (as [`Cluster::start`](crate::gateway::Cluster::start) does with
/// `GatewayConfig::validate_intents`), or the first shard's Identify may be refused with 4008.
pub async fn validate_intents(
    url: &str,
    token: &Secret,
    intents: Intents,
    timeout: Duration,
) -> Result<TrialOutcome, ProbeError> {
    trial_identify_closing(url, token, intents, timeout, VALIDATE_CLOSE_CODE).await
}

async fn trial_identify_closing(
    url: &str,
    token: &Secret,
    intents: Intents,
    timeout: Duration,
    close_code: u16,
) -> Result<TrialOutcome, ProbeError> {
    let mut ws = tokio::time::timeout(timeout, Transport::connect(url))
        .await
        .map_err(|_| ProbeError::Timeout(timeout, "connecting"))?
        .map_err(ProbeError::Connect)?;
    let first = tokio::time::timeout(timeout, ws.next())
        .await
        .map_err(|_| ProbeError::Timeout(timeout, "waiting for Hello"))?;
    let heartbeat_interval = match &first {
        Incoming::Frame(text) => match Envelope::peek(text) {
            Ok(env) if env.op == 10 => {
                serde_json::from_str::<crate::protocol::payloads::Hello>(env.d_text())
                    .map(|h| h.heartbeat_interval)
                    .unwrap_or(0)
            }
            _ => return Err(ProbeError::NoHello(text.chars().take(200).collect())),
        },
        Incoming::Garbage => return Err(ProbeError::NoHello("a binary frame".to_owned())),
        Incoming::Broken { error } => return Err(ProbeError::NoHello(error.clone())),
        Incoming::Closed { code, reason } => {
            return Ok(TrialOutcome::Closed {
                code: *code,
                reason: reason.clone(),
            });
        }
    };
    let identify = Identify::new(token, intents, [0, 1]);
    ws.send(identify_frame(&identify))
        .await
        .map_err(ProbeError::Send)?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| ProbeError::Timeout(timeout, "waiting for READY"))?;
        match next {
            Incoming::Frame(text) => {
                let Ok(env) = Envelope::peek(&text) else {
                    continue;
                };
                match env.op {
                    0 if env.t.as_deref() == Some("READY") => {
                        let ready: Option<Ready> = serde_json::from_str(env.d_text()).ok();
                        ws.close(close_code, "qqbot probe done").await;
                        let (session_id, user) =
                            ready.map(|r| (r.session_id, r.user)).unwrap_or_default();
                        return Ok(TrialOutcome::Ready {
                            session_id,
                            user,
                            heartbeat_interval,
                        });
                    }
                    9 => {
                        // The close usually follows ~100 ms later; its code tells why.
                        let after = tokio::time::timeout(AFTER_OP9, async {
                            loop {
                                match ws.next().await {
                                    Incoming::Closed { code, reason } => return (code, reason),
                                    Incoming::Broken { error } => return (None, error),
                                    _ => {}
                                }
                            }
                        })
                        .await;
                        let (code, reason) = match after {
                            Ok(closed) => closed,
                            Err(_) => {
                                ws.close(1000, "qqbot probe: invalid session").await;
                                (None, String::new())
                            }
                        };
                        return Ok(TrialOutcome::InvalidSession { code, reason });
                    }
                    _ => continue,
                }
            }
            Incoming::Garbage => continue,
            Incoming::Closed { code, reason } => return Ok(TrialOutcome::Closed { code, reason }),
            Incoming::Broken { error } => {
                return Ok(TrialOutcome::Closed {
                    code: None,
                    reason: error,
                });
            }
        }
    }
}

/// Trials needed in the worst case to classify `n` bits by bisection: `2n − 1` (0 for none).
pub const fn worst_case_trials(n: u32) -> u32 {
    if n == 0 { 0 } else { 2 * n - 1 }
}

/// The result of [`bisect`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BisectReport {
    /// Bits found granted.
    pub granted: Intents,
    /// Bits found denied.
    pub denied: Intents,
    /// Bits not classified (the trial budget ran out).
    pub unknown: Intents,
    /// Every trial in order: the set tried and the verdict.
    pub trials: Vec<(Intents, Verdict)>,
}

impl BisectReport {
    /// How many trials were run.
    pub fn attempts(&self) -> u32 {
        self.trials.len() as u32
    }
}

/// An inconclusive trial stops the search: something other than intents is wrong.
#[derive(Debug)]
pub struct Inconclusive<E> {
    /// The set being tried.
    pub tried: Intents,
    /// What the trial said (`Ok(outcome)`: an inconclusive answer; `Err`: the trial failed).
    pub error: E,
    /// What was learnt before it.
    pub partial: BisectReport,
}

fn split_bits(set: Intents) -> Vec<u64> {
    (0..64)
        .map(|b| 1u64 << b)
        .filter(|v| set.0 & v != 0)
        .collect()
}

/// Classify every bit of `requested` with as few trials as possible (see the module docs).
/// `trial` runs one Identify and answers with a [`Verdict`] (or an error, which stops the search);
/// an [`Verdict::Inconclusive`] answer also stops it. Each trial first waits on `queue` (trial `i`
/// uses bucket `i`, so `max_concurrency` trials may run per window). At most `max_trials` trials
/// run; bits left over are reported as unknown.
pub async fn bisect<F, Fut, E>(
    requested: Intents,
    queue: &dyn IdentifyQueue,
    max_trials: u32,
    mut trial: F,
) -> Result<BisectReport, Inconclusive<Result<Verdict, E>>>
where
    F: FnMut(Intents) -> Fut,
    Fut: Future<Output = Result<Verdict, E>>,
{
    let mut report = BisectReport::default();
    // (bits, known to hold a denied bit, is the left half of a denied set)
    let mut stack: Vec<(Vec<u64>, bool, bool)> = vec![(split_bits(requested), false, false)];
    while let Some((bits, known_denied, is_left)) = stack.pop() {
        if bits.is_empty() {
            continue;
        }
        let set = Intents(bits.iter().sum());
        let verdict = if known_denied {
            Verdict::Denied
        } else {
            if report.attempts() >= max_trials {
                report.unknown.0 |= set.0;
                continue;
            }
            queue
                .acquire(ShardId {
                    id: report.attempts(),
                    count: max_trials.max(1),
                })
                .await;
            match trial(set).await {
                Ok(Verdict::Inconclusive) => {
                    return Err(Inconclusive {
                        tried: set,
                        error: Ok(Verdict::Inconclusive),
                        partial: report,
                    });
                }
                Ok(v) => {
                    report.trials.push((set, v));
                    v
                }
                Err(e) => {
                    return Err(Inconclusive {
                        tried: set,
                        error: Err(e),
                        partial: report,
                    });
                }
            }
        };
        // A granted left half means its sibling (now on top of the stack) holds the denied bit.
        if is_left
            && verdict == Verdict::Granted
            && let Some(sibling) = stack.last_mut()
        {
            sibling.1 = true;
        }
        match verdict {
            Verdict::Granted => report.granted.0 |= set.0,
            _ if bits.len() == 1 => report.denied.0 |= set.0,
            _ => {
                let (left, right) = bits.split_at(bits.len() / 2);
                stack.push((right.to_vec(), false, false));
                stack.push((left.to_vec(), false, true));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::queue::BucketQueue;
    use std::sync::{Arc, Mutex};
    use tokio::time::Instant;

    async fn run(requested: u64, grant: u64) -> BisectReport {
        let queue = BucketQueue::with_window(1000, Duration::ZERO);
        bisect(
            Intents(requested),
            &queue,
            u32::MAX,
            |set: Intents| async move {
                Ok::<_, ()>(if grant & set.0 == set.0 {
                    Verdict::Granted
                } else {
                    Verdict::Denied
                })
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn finds_exactly_the_granted_bits_within_2n_minus_1() {
        let all = Intents::all().0;
        for grant in [all, 0, 1 | (1 << 30) | (1 << 25), 1 << 9, all & !(1 << 28)] {
            let r = run(all, grant).await;
            assert_eq!(r.granted.0, all & grant, "grant {grant}");
            assert_eq!(r.denied.0, all & !grant, "grant {grant}");
            assert_eq!(r.unknown.0, 0);
            let n = all.count_ones();
            assert!(
                r.attempts() <= worst_case_trials(n),
                "{} trials",
                r.attempts()
            );
        }
        assert_eq!(run(all, all).await.attempts(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn trials_are_spaced_by_max_concurrency() {
        let queue = BucketQueue::new(2);
        let t0 = Instant::now();
        let at = Arc::new(Mutex::new(Vec::new()));
        let seen = at.clone();
        let r = bisect(Intents(0b111), &queue, u32::MAX, move |_set| {
            seen.lock().unwrap().push(Instant::now() - t0);
            async { Ok::<_, ()>(Verdict::Denied) }
        })
        .await
        .unwrap();
        assert_eq!(r.denied, Intents(0b111));
        let at = at.lock().unwrap().clone();
        // Two buckets: two trials per 5 s window.
        let secs: Vec<u64> = at.iter().map(|d| d.as_secs()).collect();
        assert_eq!(secs[..4], [0, 0, 5, 5]);
    }

    #[tokio::test]
    async fn the_budget_cap_leaves_bits_unknown_and_errors_stop_the_search() {
        let queue = BucketQueue::with_window(1000, Duration::ZERO);
        let r = bisect(Intents(0b1111), &queue, 2, |set: Intents| async move {
            Ok::<_, ()>(if set.0 & 1 != 0 {
                Verdict::Denied
            } else {
                Verdict::Granted
            })
        })
        .await
        .unwrap();
        assert_eq!(r.attempts(), 2);
        assert_eq!(r.granted.0 | r.denied.0 | r.unknown.0, 0b1111);
        assert_ne!(r.unknown.0, 0);

        let err = bisect(Intents(0b11), &queue, 10, |_| async {
            Ok::<_, ()>(Verdict::Inconclusive)
        })
        .await
        .unwrap_err();
        assert_eq!(err.tried, Intents(0b11));
    }

    #[test]
    fn verdicts() {
        let closed = |code, reason: &str| TrialOutcome::Closed {
            code,
            reason: reason.into(),
        };
        assert_eq!(closed(Some(4014), "").verdict(), Verdict::Denied);
        assert_eq!(closed(Some(4013), "").verdict(), Verdict::Denied);
        assert_eq!(
            closed(Some(4009), "disallowed intents").verdict(),
            Verdict::Denied
        );
        assert_eq!(closed(Some(4914), "").verdict(), Verdict::Inconclusive);
        let op9 = |code| TrialOutcome::InvalidSession {
            code,
            reason: String::new(),
        };
        assert_eq!(op9(Some(4903)).verdict(), Verdict::Denied);
        assert_eq!(op9(None).verdict(), Verdict::Denied);
        assert_eq!(op9(Some(4004)).verdict(), Verdict::Inconclusive);
    }
}
