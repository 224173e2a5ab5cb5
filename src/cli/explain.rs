//! `qqbot explain <CODE>`: close codes and OpenAPI error codes in plain language.

use clap::Args;
use serde_json::json;

use qqbot::protocol::api_errors::api_error_info;
use qqbot::protocol::close;

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};

/// Arguments of `qqbot explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A close code (4009, 4914, 1006) or an OpenAPI error code (40054005, 11298).
    #[arg(value_name = "CODE")]
    pub code: String,
}

/// Print the explanation.
pub fn run(global: &GlobalArgs, args: ExplainArgs) -> CliResult {
    let code: u64 = args.code.trim().parse().map_err(|_| {
        CliError::usage(format!("`{}` is not a numeric code", args.code))
            .hint("give a close code such as 4009 or an error code such as 40054005")
    })?;
    if let Some(info) = u16::try_from(code).ok().and_then(close::lookup) {
        let shown = if info.code == info.last {
            info.code.to_string()
        } else {
            format!("{}–{}", info.code, info.last)
        };
        if global.json {
            outln!(
                "{}",
                json!({
                    "kind": "close_code", "code": code, "range": shown, "name": info.name,
                    "meaning": info.meaning, "docs": info.docs, "action": info.action.key(),
                    "action_text": info.action.describe(), "hint": info.hint,
                })
            )?;
        } else {
            outln!(
                "{code} {} (gateway close code{})",
                info.name,
                if info.code == info.last {
                    String::new()
                } else {
                    format!(", range {shown}")
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
            outln!(
                "{}",
                json!({"kind": "api_error", "code": code, "meaning": info.meaning, "hint": info.hint})
            )?;
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
        .hint("qqbot knows gateway close codes (1000–1011, 4001–4915) and the OpenAPI error codes in PROTOCOL.md §8.4"))
}
