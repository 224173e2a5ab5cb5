//! Settings: profiles in a config file, environment variables and flags, with where each value
//! came from. Precedence: defaults < config file < environment < flags.
//!
//! The file is `config_dir()/qqbot/config.toml` (XDG_CONFIG_HOME honoured on Linux), or the path
//! in `QQBOT_CONFIG`:
//!
//! ```toml
//! default_profile = "dev"
//!
//! [profile.dev]
//! app_id = "102000000"
//! secret = "..."        # keep the file mode 0600
//! sandbox = true
//! public = true         # a public-domain bot (GUILD_MESSAGES and FORUMS_EVENT need a private bot)
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Secret;

use crate::endpoints::{API_BASE, SANDBOX_API_BASE, TOKEN_URL};

/// Environment variables read for the app id, in order.
pub const APP_ID_VARS: &[&str] = &["QQBOT_APP_ID", "QQ_BOT_APP_ID"];
/// Environment variables read for the secret, in order.
pub const SECRET_VARS: &[&str] = &[
    "QQBOT_SECRET",
    "QQ_BOT_SECRET",
    "QQBOT_CLIENT_SECRET",
    "QQBOT_APP_SECRET",
];

/// One `[profile.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// Bot app id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Bot secret (AppSecret).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "secret_serde"
    )]
    pub secret: Option<Secret>,
    /// Use the sandbox environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<bool>,
    /// Public-domain bot (true) or private-domain bot (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// OpenAPI base URL override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// Token URL override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Default intents for `listen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intents: Option<String>,
}

mod secret_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Secret;

    pub fn serialize<S: Serializer>(value: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(secret) => s.serialize_str(secret.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::new))
    }
}

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profile: BTreeMap<String, ProfileFile>,
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built-in default.
    Default,
    /// The config file.
    File,
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag.
    Flag(&'static str),
}

impl Source {
    /// As `Display` writes it, with the profile named for a value from the config file
    /// (`profile `work` in the config file`).
    pub fn label_in(&self, profile: &str) -> String {
        match self {
            Source::File => format!("profile `{profile}` in the config file"),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File => f.write_str("config file"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub source: Source,
}

impl<T> Sourced<T> {
    fn new(value: T, source: Source) -> Sourced<T> {
        Sourced { value, source }
    }
}

/// What the command line says (flags win over everything).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--sandbox`.
    pub sandbox: bool,
    /// `--api-base`.
    pub api_base: Option<String>,
    /// `--token-url`.
    pub token_url: Option<String>,
    /// `--secret-file`.
    pub secret_file: Option<PathBuf>,
    /// `--config` (else `QQBOT_CONFIG`, else the standard location).
    pub config_path: Option<PathBuf>,
    /// `--app-id` (the secret has no flag: it would show in the process list).
    pub app_id: Option<String>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Profile name in use.
    pub profile: Sourced<String>,
    /// The config file consulted (it may not exist).
    pub config_path: Option<PathBuf>,
    /// Whether that file exists.
    pub config_exists: bool,
    /// App id.
    pub app_id: Option<Sourced<String>>,
    /// Secret.
    pub secret: Option<Sourced<Secret>>,
    /// Sandbox environment.
    pub sandbox: Sourced<bool>,
    /// Public bot (`None` = unknown).
    pub public: Option<Sourced<bool>>,
    /// OpenAPI base URL.
    pub api_base: Sourced<String>,
    /// Token URL.
    pub token_url: Sourced<String>,
    /// Default intents from the profile.
    pub intents: Option<Sourced<String>>,
    /// Non-fatal problems (file permissions, unknown profile).
    pub warnings: Vec<String>,
}

impl Settings {
    /// What the OpenAPI base points at, for labels: `"emulator"` (the embedded one of
    /// `--emulator`), `"production"` or `"sandbox"` (the platform's own bases), or `"custom"`
    /// (any other base: a `qqbot emulate`, a proxy, a recording served by `qqbot replay --serve`).
    pub fn environment(&self) -> &'static str {
        if self.api_base.source == Source::Flag("--emulator") {
            "emulator"
        } else if self.api_base.value == API_BASE {
            "production"
        } else if self.api_base.value == SANDBOX_API_BASE {
            "sandbox"
        } else {
            "custom"
        }
    }
}

/// Why settings could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("invalid config file {}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: toml::de::Error,
    },
    /// `--secret-file` could not be read.
    #[error("cannot read secret file {}", path.display())]
    SecretFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The named profile does not exist.
    #[error("profile `{0}` is not in the config file")]
    UnknownProfile(String),
    /// The file could not be written.
    #[error("cannot write config file {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The standard config file location.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "qqbot")
        .map(|dirs| dirs.config_dir().join("config.toml"))
}

/// Read a config file; a missing file is an empty config.
pub fn load_file(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
}

/// Write a config file with mode 0600 (on Unix), creating its directory: the text goes to a
/// temporary file in the same directory (created 0600) that is then renamed over `path`, so a
/// reader never sees a half-written file and the secret is never briefly world-readable.
pub fn write_file(path: &Path, config: &ConfigFile) -> Result<(), ConfigError> {
    let err = |source| ConfigError::Write {
        path: path.to_owned(),
        source,
    };
    let text = toml::to_string(config).map_err(|e| err(std::io::Error::other(e)))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        use std::io::Write;
        let mut file = options.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// A warning if the file is readable by group or others (it holds a secret).
#[cfg(unix)]
pub fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "config file {} is readable by others (mode {mode:o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

/// Non-unix: no permission check.
#[cfg(not(unix))]
pub fn permission_warning(_path: &Path) -> Option<String> {
    None
}

fn first_env(
    env: &dyn Fn(&str) -> Option<String>,
    vars: &'static [&'static str],
) -> Option<Sourced<String>> {
    vars.iter().find_map(|var| {
        env(var)
            .filter(|v| !v.trim().is_empty())
            .map(|v| Sourced::new(v.trim().to_owned(), Source::Env(var)))
    })
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// Resolve settings from flags, the environment (through `env`) and the config file.
pub fn resolve(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let config_path = overrides
        .config_path
        .clone()
        .or_else(|| env("QQBOT_CONFIG").map(PathBuf::from))
        .or_else(default_config_path);
    let file = match &config_path {
        Some(path) => load_file(path)?,
        None => None,
    };
    let mut warnings = Vec::new();
    if let (Some(path), Some(_)) = (&config_path, &file)
        && let Some(w) = permission_warning(path)
    {
        warnings.push(w);
    }
    let file_ref = file.as_ref();

    let profile = if let Some(p) = &overrides.profile {
        Sourced::new(p.clone(), Source::Flag("--profile"))
    } else if let Some(p) = env("QQBOT_PROFILE").filter(|p| !p.is_empty()) {
        Sourced::new(p, Source::Env("QQBOT_PROFILE"))
    } else if let Some(p) = file_ref.and_then(|f| f.default_profile.clone()) {
        Sourced::new(p, Source::File)
    } else {
        Sourced::new("default".to_owned(), Source::Default)
    };
    let from_file = file_ref.and_then(|f| f.profile.get(&profile.value));
    if from_file.is_none()
        && profile.source != Source::Default
        && (file.is_some() || profile.source == Source::Flag("--profile"))
    {
        return Err(ConfigError::UnknownProfile(profile.value.clone()));
    }
    let p = from_file.cloned().unwrap_or_default();

    let app_id = overrides
        .app_id
        .as_ref()
        .map(|v| Sourced::new(v.trim().to_owned(), Source::Flag("--app-id")))
        .or_else(|| first_env(env, APP_ID_VARS))
        .or_else(|| p.app_id.clone().map(|v| Sourced::new(v, Source::File)));

    let secret = if let Some(path) = &overrides.secret_file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
            path: path.clone(),
            source,
        })?;
        if text.trim().is_empty() {
            return Err(ConfigError::SecretFile {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is empty"),
            });
        }
        Some(Sourced::new(
            Secret::new(text.trim()),
            Source::Flag("--secret-file"),
        ))
    } else {
        first_env(env, SECRET_VARS)
            .map(|s| Sourced::new(Secret::new(s.value), s.source))
            .or_else(|| p.secret.clone().map(|v| Sourced::new(v, Source::File)))
    };

    let sandbox = if overrides.sandbox {
        Sourced::new(true, Source::Flag("--sandbox"))
    } else if let Some(v) = env("QQBOT_SANDBOX").filter(|v| !v.is_empty()) {
        Sourced::new(truthy(&v), Source::Env("QQBOT_SANDBOX"))
    } else if let Some(v) = p.sandbox {
        Sourced::new(v, Source::File)
    } else {
        Sourced::new(false, Source::Default)
    };

    let api_base = if let Some(v) = &overrides.api_base {
        Sourced::new(v.clone(), Source::Flag("--api-base"))
    } else if let Some(v) = env("QQBOT_API_BASE").filter(|v| !v.is_empty()) {
        Sourced::new(v, Source::Env("QQBOT_API_BASE"))
    } else if let Some(v) = p.api_base.clone() {
        Sourced::new(v, Source::File)
    } else if sandbox.value {
        Sourced::new(SANDBOX_API_BASE.to_owned(), Source::Default)
    } else {
        Sourced::new(API_BASE.to_owned(), Source::Default)
    };
    let token_url = if let Some(v) = &overrides.token_url {
        Sourced::new(v.clone(), Source::Flag("--token-url"))
    } else if let Some(v) = env("QQBOT_TOKEN_URL").filter(|v| !v.is_empty()) {
        Sourced::new(v, Source::Env("QQBOT_TOKEN_URL"))
    } else if let Some(v) = p.token_url.clone() {
        Sourced::new(v, Source::File)
    } else {
        Sourced::new(TOKEN_URL.to_owned(), Source::Default)
    };

    Ok(Settings {
        config_exists: file.is_some(),
        config_path,
        profile,
        app_id,
        secret,
        sandbox,
        public: p.public.map(|v| Sourced::new(v, Source::File)),
        api_base: Sourced::new(
            api_base.value.trim_end_matches('/').to_owned(),
            api_base.source,
        ),
        token_url,
        intents: p.intents.map(|v| Sourced::new(v, Source::File)),
        warnings,
    })
}

/// Resolve with the process environment.
pub fn resolve_from_env(overrides: &Overrides) -> Result<Settings, ConfigError> {
    resolve(overrides, &|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        (dir, path)
    }

    #[test]
    fn defaults_without_anything() {
        let overrides = Overrides {
            config_path: Some("/nonexistent/qqbot.toml".into()),
            ..Default::default()
        };
        let s = resolve(&overrides, &env_of(&[])).unwrap();
        assert_eq!(s.api_base.value, API_BASE);
        assert_eq!(s.token_url.value, TOKEN_URL);
        assert!(s.app_id.is_none() && s.secret.is_none());
        assert!(!s.sandbox.value);
        assert!(!s.config_exists);
        assert_eq!(s.environment(), "production");
    }

    #[test]
    fn precedence_file_env_flag() {
        let (_dir, path) = write_config(
            "default_profile = \"dev\"\n[profile.dev]\napp_id = \"111\"\nsecret = \"file-secret\"\nsandbox = true\n[profile.prod]\napp_id = \"222\"\n",
        );
        let base = Overrides {
            config_path: Some(path.clone()),
            ..Default::default()
        };
        let s = resolve(&base, &env_of(&[])).unwrap();
        assert_eq!(s.profile.value, "dev");
        assert_eq!(s.app_id.as_ref().unwrap().value, "111");
        assert_eq!(s.app_id.as_ref().unwrap().source, Source::File);
        assert!(s.sandbox.value);
        assert_eq!(s.api_base.value, SANDBOX_API_BASE);
        assert_eq!(s.environment(), "sandbox");
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);

        let s = resolve(
            &base,
            &env_of(&[("QQ_BOT_APP_ID", "333"), ("QQBOT_SECRET", "env-secret")]),
        )
        .unwrap();
        assert_eq!(s.app_id.as_ref().unwrap().value, "333");
        assert_eq!(
            s.app_id.as_ref().unwrap().source,
            Source::Env("QQ_BOT_APP_ID")
        );
        assert_eq!(s.secret.as_ref().unwrap().value.expose(), "env-secret");

        let flags = Overrides {
            profile: Some("prod".into()),
            api_base: Some("http://127.0.0.1:9/".into()),
            ..base.clone()
        };
        let s = resolve(&flags, &env_of(&[("QQBOT_API_BASE", "http://env")])).unwrap();
        assert_eq!(s.app_id.as_ref().unwrap().value, "222");
        assert_eq!(s.api_base.value, "http://127.0.0.1:9");
        assert_eq!(s.api_base.source, Source::Flag("--api-base"));
        // Another base is not "production", whatever the sandbox flag says.
        assert_eq!(s.environment(), "custom");

        let missing = Overrides {
            profile: Some("nope".into()),
            ..base
        };
        assert!(matches!(
            resolve(&missing, &env_of(&[])),
            Err(ConfigError::UnknownProfile(p)) if p == "nope"
        ));
    }

    #[test]
    fn secret_never_shows_in_debug_of_settings() {
        let (_dir, path) = write_config("[profile.default]\nsecret = \"s3cr3t-value\"\n");
        let s = resolve(
            &Overrides {
                config_path: Some(path),
                ..Default::default()
            },
            &env_of(&[]),
        )
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("s3cr3t-value"), "{debug}");
        assert_eq!(s.secret.unwrap().value.expose(), "s3cr3t-value");
    }

    #[cfg(unix)]
    #[test]
    fn warns_about_a_world_readable_file() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path) = write_config("[profile.default]\napp_id = \"1\"\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = resolve(
            &Overrides {
                config_path: Some(path),
                ..Default::default()
            },
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("chmod 600"));
    }

    #[cfg(unix)]
    #[test]
    fn written_files_are_0600_and_round_trip() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("config.toml");
        let mut config = ConfigFile::default();
        config.profile.insert(
            "dev".into(),
            ProfileFile {
                app_id: Some("1".into()),
                secret: Some(Secret::new("s")),
                ..Default::default()
            },
        );
        write_file(&path, &config).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_file(&path).unwrap().unwrap(), config);
        assert!(permission_warning(&path).is_none());
    }

    #[test]
    fn bad_file_is_a_clear_error() {
        let (_dir, path) = write_config("[profile.default]\nap_id = 1\n");
        let err = resolve(
            &Overrides {
                config_path: Some(path),
                ..Default::default()
            },
            &env_of(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("invalid config file"), "{err}");
    }
}
