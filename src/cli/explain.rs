//! `qqbot explain <CODE>`: close codes and OpenAPI error codes in plain language.

use clap::Args;
use serde_json::json;

use qqbot::protocol::api_errors::{API_ERRORS, ApiErrorInfo, api_error_info};
use qqbot::protocol::close;

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};

/// Arguments of `qqbot explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A close code (4009, 4914, 1006) or an OpenAPI error code (40054005, 11298).
    #[arg(value_name = "CODE", required_unless_present = "list")]
    pub code: Option<String>,
    /// List every code qqbot knows: the gateway close codes, then the OpenAPI error codes
    /// (`--json`: an array of the objects `explain CODE --json` prints).
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
}

/// A close-code row as `--json` prints it (`code` is the code asked about; the row's first
/// code when listing).
fn close_json(code: u64, info: &close::CloseInfo) -> serde_json::Value {
    json!({
        "kind": "close_code", "code": code, "range": range(info), "name": info.name,
        "meaning": info.meaning, "docs": info.docs, "action": info.action.key(),
        "action_text": info.action.describe(), "hint": info.hint,
    })
}

/// An OpenAPI error code as `--json` prints it.
fn api_json(info: &ApiErrorInfo) -> serde_json::Value {
    json!({"kind": "api_error", "code": info.code, "meaning": info.meaning, "hint": info.hint})
}

/// `4009`, or `4900–4913` for a range.
fn range(info: &close::CloseInfo) -> String {
    if info.code == info.last {
        info.code.to_string()
    } else {
        format!("{}–{}", info.code, info.last)
    }
}

/// `explain --list`: every known code, one line each (or one object each).
fn list(global: &GlobalArgs) -> CliResult {
    if global.json {
        let rows: Vec<serde_json::Value> = close::CLOSE_CODES
            .iter()
            .map(|info| close_json(u64::from(info.code), info))
            .chain(API_ERRORS.iter().map(api_json))
            .collect();
        outln!("{}", serde_json::Value::Array(rows))?;
        return Ok(Exit::Ok);
    }
    outln!("Gateway close codes (what qqbot does):")?;
    for info in close::CLOSE_CODES {
        outln!(
            "  {:<10} {:<32} {}",
            range(info),
            info.name,
            info.action.describe()
        )?;
    }
    outln!("")?;
    outln!("OpenAPI error codes:")?;
    for info in API_ERRORS {
        outln!("  {:<10} {}", info.code, info.meaning)?;
    }
    outln!("")?;
    outln!("`qqbot explain CODE` explains one, with a hint.")?;
    Ok(Exit::Ok)
}

/// Print the explanation.
pub fn run(global: &GlobalArgs, args: ExplainArgs) -> CliResult {
    let Some(text) = args.code.as_deref() else {
        return list(global);
    };
    let code: u64 = text.trim().parse().map_err(|_| {
        CliError::usage(format!("`{text}` is not a numeric code"))
            .hint("give a close code such as 4009 or an error code such as 40054005")
    })?;
    if let Some(info) = u16::try_from(code).ok().and_then(close::lookup) {
        if global.json {
            outln!("{}", close_json(code, info))?;
        } else {
            outln!(
                "{code} {} (gateway close code{})",
                info.name,
                if info.code == info.last {
                    String::new()
                } else {
                    format!(", range {}", range(info))
                }
            )?;
            outln!("  meaning: {}", info.meaning)?;
            outln!("  docs:    {}", info.docs)?;
            outln!("  qqbot:   {}", info.action.describe())?;
            if let Some(hint) = info.hint {
                outln!("  hint:    {hint}")?;
            }
        }
        return Ok(Exit::Ok);
    }
    if let Some(info) = api_error_info(code) {
        if global.json {
            outln!("{}", api_json(info))?;
        } else {
            outln!("{code} (OpenAPI error code)")?;
            outln!("  meaning: {}", info.meaning)?;
            outln!("  hint:    {}", info.hint)?;
        }
        return Ok(Exit::Ok);
    }
    if (4000..5000).contains(&code) {
        let info = &close::UNKNOWN_CLOSE;
        if global.json {
            outln!(
                "{}",
                json!({"kind": "close_code", "code": code, "name": info.name, "meaning": info.meaning,
                       "docs": info.docs, "action": info.action.key(), "action_text": info.action.describe(), "hint": null})
            )?;
        } else {
            outln!("{code} {} (gateway close code)", info.name)?;
            outln!("  docs:    {}", info.docs)?;
            outln!("  qqbot:   {}", info.action.describe())?;
        }
        return Ok(Exit::Ok);
    }
    Err(CliError::failure(format!("unknown code {code}"))
        .hint("qqbot knows gateway close codes (1000–1011, 4001–4915) and the OpenAPI error codes `qqbot explain --list` shows"))
}
