//! The platform's addresses, in one place: the OpenAPI bases of production and the sandbox, and
//! the token endpoint (the same for both). The gateway address is not here: it comes from
//! `GET /gateway/bot` (PROTOCOL.md §2).

/// Production OpenAPI base.
pub const API_BASE: &str = "https://api.sgroup.qq.com";
/// Sandbox OpenAPI base (bots under review, limited to the sandbox guilds and groups).
pub const SANDBOX_API_BASE: &str = "https://sandbox.api.sgroup.qq.com";
/// The access-token endpoint (the same for the sandbox and production).
pub const TOKEN_URL: &str = "https://bots.qq.com/app/getAppAccessToken";

/// Which QQ platform to talk to: the production OpenAPI or the sandbox (for bots under review,
/// limited to the sandbox guilds and groups set in the QQ console). The token endpoint and the
/// gateway address (from `/gateway/bot`) follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Environment {
    /// [`API_BASE`].
    #[default]
    Production,
    /// [`SANDBOX_API_BASE`].
    Sandbox,
}

impl Environment {
    /// The OpenAPI base of this environment.
    pub const fn api_base(self) -> &'static str {
        match self {
            Environment::Production => API_BASE,
            Environment::Sandbox => SANDBOX_API_BASE,
        }
    }

    /// The token endpoint of this environment (the same for both).
    pub const fn token_url(self) -> &'static str {
        TOKEN_URL
    }

    /// `Sandbox` when `sandbox` is true (e.g. from a config flag).
    pub const fn sandbox_if(sandbox: bool) -> Environment {
        if sandbox {
            Environment::Sandbox
        } else {
            Environment::Production
        }
    }
}
