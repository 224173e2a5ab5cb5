//! `--metrics ADDR` for `listen`, `record` and `emulate`: serve the Prometheus exposition.

use std::net::SocketAddr;

use qqbot::output::prometheus::Exporter;

use super::exit::CliError;

/// Serve `exporter` on `addr`/metrics and say where on stderr (port 0 picks a free port, so
/// scripts and tests read the address from that line).
pub(crate) async fn serve(
    exporter: &Exporter,
    addr: SocketAddr,
    quiet: bool,
) -> Result<tokio::task::JoinHandle<()>, CliError> {
    let (bound, task) = exporter.serve(addr).await.map_err(|e| {
        super::exit::bind_error(format!("cannot serve metrics on {addr}"), &e, "--metrics")
    })?;
    if !quiet {
        eprintln!("qqbot: metrics at http://{bound}/metrics");
    }
    Ok(task)
}
