//! `--cluster nats://…` for `listen`/`record`/`tui` (shards leased across processes) and
//! `qqbot cluster status`.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use qqbot::cluster::{Fleet, FleetConfig, FleetError, FleetStatus, Notice};
use qqbot::gateway::GatewayConfig;

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::listen::{parse_duration, start_error};

/// Shards across processes (flattened into the source options).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Cluster")]
pub struct ClusterArgs {
    /// Share the shards of this bot with other qqbot processes through NATS JetStream
    /// (nats://HOST:PORT): each shard is leased in a key-value bucket, a dead process's shards
    /// are taken over (resumed) by the others. Use with --shards N (the same N everywhere).
    #[arg(long, value_name = "URL", conflicts_with_all = ["shard", "state_file", "webhook"])]
    pub cluster: Option<String>,
    /// The key-value bucket holding the leases (default qqbot_<app id>).
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub cluster_bucket: Option<String>,
    /// How long a lease lasts without renewal: a dead process's shards are taken over this long
    /// after its last renewal.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, requires = "cluster")]
    pub lease_ttl: Duration,
}

/// Check a NATS URL: `nats://host:port` (also `tls://`, or a bare `host:port`).
fn check_url(url: &str) -> Result<(), CliError> {
    let rest = match url.split_once("://") {
        Some(("nats" | "tls", rest)) => rest,
        Some((scheme, _)) => {
            return Err(
                CliError::usage(format!("--cluster: `{scheme}://` is not a NATS URL"))
                    .hint("e.g. --cluster nats://127.0.0.1:4222"),
            );
        }
        None => url,
    };
    if rest.is_empty() || rest.starts_with(':') {
        return Err(CliError::usage(format!("--cluster: `{url}` has no host"))
            .hint("e.g. --cluster nats://127.0.0.1:4222"));
    }
    Ok(())
}

fn fleet_error(err: FleetError) -> CliError {
    match err {
        FleetError::Start(e) => start_error(e),
        FleetError::Store(e) => CliError::failure("cannot join the cluster")
            .caused_by(&e)
            .hint("start a NATS server with JetStream (`nats-server -js`) and check --cluster"),
        FleetError::Config(_) => CliError::usage("cannot join the cluster").caused_by(&err),
    }
}

/// Join the fleet instead of starting a cluster of our own (`listen --cluster`).
pub(crate) async fn open_fleet(
    config: GatewayConfig,
    args: &ClusterArgs,
    quiet: bool,
) -> Result<(Fleet, qqbot::gateway::Items), CliError> {
    let url = args.cluster.clone().unwrap_or_default();
    check_url(&url)?;
    let mut fleet = FleetConfig::new(url);
    fleet.bucket = args.cluster_bucket.clone();
    fleet.lease_ttl = args.lease_ttl;
    fleet.on_notice = Some(Arc::new(move |notice: &Notice| {
        let important = matches!(
            notice,
            Notice::Lost { .. } | Notice::StartFailed { .. } | Notice::Fatal { .. }
        );
        // While `tui --cluster` draws, notices go to its log only (the fleet traces them).
        if (!quiet || important) && !qqbot::tui::on_screen() {
            eprintln!("qqbot: cluster: {notice}");
        }
    }));
    Fleet::join(config, fleet)
        .await
        .map(|(fleet, items)| (fleet, items.into()))
        .map_err(fleet_error)
}

/// `qqbot cluster …`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Show each shard's owner, state, seq and lease age, from the bucket.
    Status(StatusArgs),
}

/// Arguments of `qqbot cluster status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The NATS server (nats://HOST:PORT).
    #[arg(long, value_name = "URL")]
    pub cluster: String,
    /// The bucket (default qqbot_<app id>, from QQBOT_APP_ID or the profile).
    #[arg(long, value_name = "NAME")]
    pub cluster_bucket: Option<String>,
    /// Also list shards 0..N that have no lease.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
}

/// Run `qqbot cluster …`.
pub async fn run(global: &GlobalArgs, command: ClusterCommand) -> CliResult {
    let ClusterCommand::Status(args) = command;
    check_url(&args.cluster)?;
    let bucket = match &args.cluster_bucket {
        Some(bucket) => bucket.clone(),
        None => {
            let settings = super::listen::settings(global)?;
            let Some(app_id) = &settings.app_id else {
                return Err(CliError::usage("which bucket? no app id is configured")
                    .hint("pass --cluster-bucket NAME, or set QQBOT_APP_ID (the bucket is qqbot_<app id>)"));
            };
            qqbot::cluster::lease::default_bucket(&app_id.value)
        }
    };
    let status =
        qqbot::cluster::status(&args.cluster, &bucket, args.shards, Duration::from_secs(5))
            .await
            .map_err(|e| {
                CliError::failure("cannot read the cluster state")
                .caused_by(&e)
                .hint("start a NATS server with JetStream (`nats-server -js`) and check --cluster")
            })?;
    let Some(status) = status else {
        return Err(
            CliError::failure(format!("no cluster bucket `{bucket}` on {}", args.cluster)).hint(
                "start `qqbot listen --cluster …` first, or pass the bucket with --cluster-bucket",
            ),
        );
    };
    let json = global.json || !std::io::IsTerminal::is_terminal(&std::io::stdout());
    if json {
        outln!(
            "{}",
            serde_json::to_string(&status).expect("status serialises")
        )
        .map_err(out_error)?;
    } else {
        out!("{}", table(&status)).map_err(out_error)?;
    }
    Ok(Exit::Ok)
}

fn out_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::broken_pipe()
    } else {
        CliError::failure("cannot write output").caused_by(&e)
    }
}

/// The human table.
fn table(status: &FleetStatus) -> String {
    let mut rows = vec![[
        "SHARD".to_owned(),
        "OWNER".to_owned(),
        "STATE".to_owned(),
        "SEQ".to_owned(),
        "LEASE AGE".to_owned(),
    ]];
    for s in &status.shards {
        rows.push([
            format!("{}/{}", s.shard[0], s.shard[1]),
            s.owner.clone().unwrap_or_else(|| "-".into()),
            if s.expired {
                format!("{} (expired)", s.state)
            } else {
                s.state.clone()
            },
            s.seq.map_or("-".into(), |s| s.to_string()),
            s.lease_age_ms
                .map_or("-".into(), |ms| format!("{:.1}s", ms as f64 / 1000.0)),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!("bucket {}\n", status.bucket);
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[c]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let owned = status.shards.iter().filter(|s| s.owner.is_some()).count();
    out.push_str(&format!(
        "{owned} of {} shard(s) leased; {} member(s){}\n",
        status.shards.len(),
        status.members.len(),
        if status.members.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                status
                    .members
                    .iter()
                    .map(|m| format!("{} ({} shard(s))", m.owner, m.shards.len()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("nats://127.0.0.1:4222").is_ok());
        assert!(check_url("127.0.0.1:4222").is_ok());
        assert!(check_url("tls://nats.example:4222").is_ok());
        let e = check_url("http://127.0.0.1:4222").unwrap_err();
        assert_eq!(e.exit, Exit::Usage);
        assert!(e.message.contains("not a NATS URL"), "{}", e.message);
        assert!(check_url("nats://").is_err());
    }

    #[test]
    fn table_lines_up() {
        let status = FleetStatus {
            bucket: "qqbot_1".into(),
            shards: vec![
                qqbot::cluster::ShardStatus {
                    shard: [0, 2],
                    owner: Some("host-1-abc".into()),
                    state: "active".into(),
                    session_id: Some("s".into()),
                    seq: Some(42),
                    lease_age_ms: Some(1200),
                    expired: false,
                    revision: Some(3),
                },
                qqbot::cluster::ShardStatus {
                    shard: [1, 2],
                    owner: None,
                    state: "unleased".into(),
                    session_id: None,
                    seq: None,
                    lease_age_ms: None,
                    expired: false,
                    revision: None,
                },
            ],
            members: Vec::new(),
        };
        let text = table(&status);
        assert_eq!(
            text,
            "bucket qqbot_1\n\
             SHARD  OWNER       STATE     SEQ  LEASE AGE\n\
             0/2    host-1-abc  active    42   1.2s\n\
             1/2    -           unleased  -    -\n\
             1 of 2 shard(s) leased; 0 member(s)\n"
        );
    }
}
