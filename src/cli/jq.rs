//! `--filter JQ`: a jq expression over each event as its NDJSON line shows it (`.t`, `.s`,
//! `.id`, `.shard`, `.d.author.id`, …), run with jaq. An event passes when the expression's
//! first output is neither `false` nor `null` (jq's `select`). Lifecycle lines are not filtered.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

use super::exit::CliError;

type Compiled = jaq_core::Filter<data::JustLut<Val>>;

/// A compiled `--filter` expression.
pub struct JqFilter {
    filter: Compiled,
    /// The first runtime error (an event it happens on does not pass), and whether it was
    /// reported.
    failed: Option<String>,
    reported: bool,
}

impl std::fmt::Debug for JqFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JqFilter").finish_non_exhaustive()
    }
}

impl JqFilter {
    /// Parse and compile `code`; a mistake is a usage error saying where.
    pub fn compile(code: &str) -> Result<JqFilter, CliError> {
        let usage = |what: String| {
            CliError::usage(format!("--filter: {what}")).hint(
                r#"a jq expression over the NDJSON line, e.g. --filter '.d.author.id == "123"' or --filter '.d.content | test("ping")'"#,
            )
        };
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let program = File { code, path: () };
        let modules = loader.load(&arena, program).map_err(|errors| {
            let at = |rest: &str| code.len().saturating_sub(rest.len());
            let what = errors
                .into_iter()
                .flat_map(|(_, error)| match error {
                    jaq_core::load::Error::Io(e) => e
                        .into_iter()
                        .map(|(_, message)| message)
                        .collect::<Vec<_>>(),
                    jaq_core::load::Error::Lex(e) => e
                        .into_iter()
                        .map(|(expect, rest)| {
                            format!("expected {} at byte {}", expect.as_str(), at(rest))
                        })
                        .collect(),
                    jaq_core::load::Error::Parse(e) => e
                        .into_iter()
                        .map(|(expect, rest)| {
                            format!("expected {} at byte {}", expect.as_str(), at(rest))
                        })
                        .collect(),
                })
                .next()
                .unwrap_or_else(|| "cannot parse".to_owned());
            usage(format!("`{code}` is not a jq expression: {what}"))
        })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let what = errors
                    .into_iter()
                    .flat_map(|(_, e)| e)
                    .map(|(name, undefined)| format!("`{name}` is undefined ({undefined:?})"))
                    .next()
                    .unwrap_or_else(|| "cannot compile".to_owned());
                usage(format!("`{code}`: {what}"))
            })?;
        Ok(JqFilter {
            filter,
            failed: None,
            reported: false,
        })
    }

    /// Whether the event whose NDJSON line is `line` passes.
    pub fn accepts(&mut self, line: &str) -> bool {
        let Ok(input) = jaq_json::read::parse_single(line.as_bytes()) else {
            return false;
        };
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        match self.filter.id.run((ctx, input)).map(unwrap_valr).next() {
            Some(Ok(value)) => !matches!(value, Val::Null | Val::Bool(false)),
            Some(Err(error)) => {
                if self.failed.is_none() {
                    self.failed = Some(error.to_string());
                }
                false
            }
            None => false,
        }
    }

    /// The first runtime error, the first time it is asked for: events it happened on did not
    /// pass.
    pub fn take_failure(&mut self) -> Option<String> {
        if self.reported {
            return None;
        }
        let failed = self.failed.take();
        self.reported = failed.is_some();
        failed
    }
}
