//! Emulator configuration and the scenario list.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::protocol::Intents;
use crate::secret::Secret;

/// The documented development app id the emulator accepts by default.
pub const DEFAULT_APP_ID: &str = "1020304050";
/// The documented development secret the emulator accepts by default (public, not a real secret).
pub const DEFAULT_SECRET: &str = "qqbot-emulator-secret";
/// The default `session_timeout` (op 7 + close 4009 period), as observed on the real platform.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The default Hello heartbeat interval, as observed on the real platform.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_millis(41_250);

/// Everything the emulator can be told. `Default` gives the documented development values.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The app id (numeric string) the token endpoint accepts.
    pub app_id: String,
    /// The app secret the token endpoint accepts. Never printed.
    pub secret: Secret,
    /// Further (app id, secret) pairs the token endpoint accepts besides `app_id`/`secret`
    /// (`replay --serve` accepts a recording's app id and the configured credentials). Never
    /// printed.
    pub also_accept: Vec<(String, Secret)>,
    /// Intents the app is granted; an Identify asking for more gets op 9 + close 4903.
    pub grant: Intents,
    /// What the emulator does on its own (events, faults).
    pub scenario: Scenario,
    /// Demo events per second (demo scenario and the fault scenarios that carry traffic).
    pub rate: f64,
    /// Heartbeat interval announced in Hello.
    pub heartbeat_interval: Duration,
    /// Every this long per connection: op 7, then close 4009 "Session timed out".
    pub session_timeout: Duration,
    /// How long a disconnected session stays resumable.
    pub resume_window: Duration,
    /// Seed for generated events (same seed, same events).
    pub seed: u64,
    /// Recommended shard count returned by `/gateway/bot`.
    pub shards: u32,
    /// `session_start_limit.max_concurrency`: Identify calls allowed per 5 s.
    pub max_concurrency: u32,
    /// Close an Identify faster than `max_concurrency` per 5 s with 4008, as the platform may.
    /// `false` (the default): accept it, log a warning and list it in
    /// [`Emulator::warnings`](super::Emulator::warnings). The `rate-limit-4008` scenario is
    /// always strict.
    pub strict_identify_rate: bool,
    /// `session_start_limit.total` (and the initial `remaining`).
    pub session_start_total: u32,
    /// The initial `session_start_limit.remaining`, for an app that has already spent part of
    /// today's budget (`None`: all of `session_start_total`; more than the total is the total).
    pub session_start_remaining: Option<u32>,
    /// Access token lifetime.
    pub token_ttl: Duration,
    /// Webhook mode: POST every event to this callback URL (after an op 13 validation), as QQ
    /// does. `None`: gateway only.
    pub webhook_to: Option<String>,
    /// The gateway URL that `/gateway` and `/gateway/bot` hand out. `None`: this emulator's own
    /// `ws://HOST:PORT/websocket`. Set it when clients reach the emulator through another
    /// address (a proxy, a container's port mapping) or should read a gateway served elsewhere.
    pub gateway_url: Option<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            app_id: DEFAULT_APP_ID.to_owned(),
            secret: Secret::new(DEFAULT_SECRET),
            also_accept: Vec::new(),
            grant: Intents::all(),
            scenario: Scenario::Demo,
            rate: 2.0,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            resume_window: Duration::from_secs(5 * 60),
            seed: 0,
            shards: 1,
            max_concurrency: 1,
            strict_identify_rate: false,
            session_start_total: 1000,
            session_start_remaining: None,
            token_ttl: Duration::from_secs(7200),
            webhook_to: None,
            gateway_url: None,
        }
    }
}

macro_rules! scenarios {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        /// What the emulator does on its own: generate traffic, inject faults.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Scenario {
            $(
                #[doc = $desc]
                $variant,
            )*
        }

        impl Scenario {
            /// Every scenario, in CLI order.
            pub const ALL: &'static [Scenario] = &[$(Scenario::$variant,)*];

            /// The CLI name, e.g. `session-timeout`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $name,)*
                }
            }

            /// One line on what the scenario does.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $desc,)*
                }
            }
        }
    };
}

scenarios! {
    Demo => "demo", "a realistic mix of guild, DM, group and C2C events at the configured rate";
    Quiet => "quiet", "no generated events: only what is injected through the API or control endpoint";
    Flood => "flood", "dispatch pre-rendered events as fast as each socket accepts them (benchmarks)";
    SessionTimeout => "session-timeout", "fast op 7 + close 4009 cycle (every session_timeout if set below 30 min, else 5 s), with demo traffic";
    ResumeReject => "resume-reject", "every Resume is refused: op 9 then close 4902 \"reset by resume\", with demo traffic";
    InvalidIntents => "invalid-intents", "only the default intents are granted: richer Identify calls get op 9 then close 4903";
    Zombie => "zombie", "heartbeats stop being acknowledged after READY, with demo traffic";
    Drop => "drop", "periodic TCP drop without a close frame (1006), with demo traffic";
    Offline4914 => "offline-4914", "every Identify/Resume is closed with 4914 (bot offline, sandbox only)";
    Banned4915 => "banned-4915", "every Identify/Resume is closed with 4915 (bot banned)";
    RateLimit4008 => "rate-limit-4008", "the first two connections are closed with 4008 on Identify/Resume, later ones work";
    ServerError49xx => "server-error-49xx", "periodic close with an internal-error code in 4900-4913, with demo traffic";
}

impl Scenario {
    /// Whether the scenario generates demo traffic in the background.
    pub const fn generates_demo_traffic(self) -> bool {
        !matches!(
            self,
            Scenario::Quiet | Scenario::Flood | Scenario::Offline4914 | Scenario::Banned4915
        )
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scenario name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario `{0}` (known: {list})", list = Scenario::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Scenario::ALL
            .iter()
            .copied()
            .find(|sc| sc.name() == wanted)
            .ok_or_else(|| UnknownScenario(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_round_trip() {
        assert_eq!(Scenario::ALL.len(), 12);
        for sc in Scenario::ALL {
            assert_eq!(sc.name().parse::<Scenario>().unwrap(), *sc);
            assert_eq!(sc.to_string(), sc.name());
            assert!(!sc.description().is_empty());
        }
        assert_eq!(
            "Rate_Limit_4008".parse::<Scenario>().unwrap(),
            Scenario::RateLimit4008
        );
        let err = "nope".parse::<Scenario>().unwrap_err().to_string();
        assert!(err.contains("server-error-49xx"), "{err}");
    }

    #[test]
    fn default_config_is_documented_and_secret_redacted() {
        let cfg = EmulatorConfig::default();
        assert_eq!(cfg.app_id, "1020304050");
        assert_eq!(cfg.heartbeat_interval.as_millis(), 41_250);
        let shown = format!("{cfg:?}");
        assert!(!shown.contains(DEFAULT_SECRET), "{shown}");
    }
}
