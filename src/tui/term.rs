//! The terminal side: raw mode and the alternate screen behind an RAII guard plus panic hook,
//! and the event loop that feeds [`App`] and draws it.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Stdout};
use std::panic::{self, PanicHookInfo};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use crossterm::cursor::{Hide, Show};
use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::app::{App, Diagnostics, FleetRead, Header, KeyAction};
use super::ui::draw;
use crate::output::Stats;

/// Frames per second when the caller passes 0.
pub const DEFAULT_FPS: u32 = 12;

/// Most items applied between two looks at the keyboard and the render tick. Keeps a flood of
/// items from starving key presses; the channel's own bound does the rest (the shard counts what
/// it drops as `Lagged`).
const BATCH: usize = 4096;

/// Where the dashboard's log file goes: `$XDG_STATE_HOME/qqbot/tui.log` (on Linux,
/// `~/.local/state/qqbot/tui.log` when `XDG_STATE_HOME` is unset), else `qqbot-tui.log` in the
/// temp dir.
pub fn log_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "qqbot")
        .and_then(|dirs| dirs.state_dir().map(|d| d.join("tui.log")))
        .unwrap_or_else(|| std::env::temp_dir().join("qqbot-tui.log"))
}

/// Open (append, creating directories) the log file for the time the alternate screen is up.
///
/// Anything written to stdout or stderr while the dashboard runs corrupts the screen, so the CLI
/// points its tracing subscriber here before calling [`run`]:
///
/// ```no_run
/// let (path, file) = qqbot::tui::log_file()?;
/// // tracing_subscriber::fmt().with_writer(std::sync::Mutex::new(file)).with_ansi(false).init();
/// eprintln!("logging to {}", path.display());
/// # std::io::Result::Ok(())
/// ```
pub fn log_file() -> io::Result<(PathBuf, File)> {
    let path = log_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    Ok((path, file))
}

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// Set by the panic hook: the terminal has been restored, so the loop must stop drawing (a panic
/// on another thread, such as a shard task, does not unwind through the loop).
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Held while a frame is drawn, and by the panic hook while it restores the terminal and prints:
/// a panic on another thread waits for the frame being drawn instead of printing into it.
static SCREEN: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// Whether this thread holds [`SCREEN`] (a panic inside `draw` must not wait for itself).
    static DRAWING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Draw one frame unless a panic has restored the terminal.
fn draw_frame(terminal: &mut Terminal<CrosstermBackend<Stdout>>, app: &App) -> io::Result<()> {
    let _screen = SCREEN.lock().unwrap_or_else(|e| e.into_inner());
    if PANICKED.load(Ordering::SeqCst) {
        return Err(io::Error::other(
            "the dashboard stopped because a panic restored the terminal",
        ));
    }
    DRAWING.with(|d| d.set(true));
    let drawn = terminal.draw(|f| draw(app, f)).map(drop);
    DRAWING.with(|d| d.set(false));
    drawn
}

/// Raw mode + alternate screen for as long as it lives. Dropping it (normal return, `?`, or
/// unwinding) restores the terminal; the panic hook restores it before the panic message prints,
/// so the message is readable.
struct TerminalGuard {
    previous_hook: Hook,
}

/// Whether raw mode and the alternate screen are on (so restoring happens exactly once:
/// leaving the alternate screen twice would move the cursor back over what printed in between,
/// such as a panic message).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Whether the dashboard owns the terminal right now (raw mode, alternate screen): anything
/// printed to stdout or stderr would land in the frame, so callers write to the log instead.
pub fn on_screen() -> bool {
    ACTIVE.load(Ordering::SeqCst)
}

fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
    }
}

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        let previous_hook: Hook = Arc::from(panic::take_hook());
        let chained = previous_hook.clone();
        PANICKED.store(false, Ordering::SeqCst);
        panic::set_hook(Box::new(move |info| {
            // Wait for a frame being drawn on another thread to finish (not when the panic is
            // inside a draw on this thread), so no frame lands on top of the message.
            PANICKED.store(true, Ordering::SeqCst);
            let _screen = (!DRAWING.with(|d| d.get()))
                .then(|| SCREEN.lock().unwrap_or_else(|e| e.into_inner()));
            restore_terminal();
            chained(info);
        }));
        let guard = TerminalGuard { previous_hook };
        ACTIVE.store(true, Ordering::SeqCst);
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
        if !std::thread::panicking() {
            let previous = self.previous_hook.clone();
            let _ = panic::take_hook();
            panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}

/// How the dashboard ended: its totals, and whether Ctrl-C (not `q`) ended it.
#[derive(Debug, Clone)]
pub struct Ended {
    /// The totals, for the summary `listen` prints too.
    pub stats: Stats,
    /// Ctrl-C or a [`Feeds::stop`] ended the dashboard (the binary exits 130 or 143); `q` or a
    /// lost terminal did not.
    pub interrupted: bool,
}

/// Run the dashboard until the user quits (`q`, Ctrl-C), then restore the terminal and return the
/// totals so the caller can print the same summary `listen` prints. [`run_dashboard`] also says
/// whether Ctrl-C ended it.
///
/// - `items`: everything the shards produce (bounded channel). When it closes (replay finished,
///   cluster stopped) the dashboard stays up and says "source ended".
/// - `diagnostics`: optional facts from `/gateway/bot` and the token source; each change is shown.
/// - `fps`: render rate; 0 means [`DEFAULT_FPS`].
///
/// Fails with a clear error when stdout is not a terminal, without touching the terminal.
pub async fn run(
    items: impl Into<crate::gateway::Items>,
    header: Header,
    diagnostics: Option<watch::Receiver<Diagnostics>>,
    fps: u32,
) -> io::Result<Stats> {
    run_dashboard(items, header, diagnostics, fps)
        .await
        .map(|ended| ended.stats)
}

/// [`run`], also saying whether Ctrl-C ended the dashboard.
pub async fn run_dashboard(
    items: impl Into<crate::gateway::Items>,
    header: Header,
    diagnostics: Option<watch::Receiver<Diagnostics>>,
    fps: u32,
) -> io::Result<Ended> {
    let feeds = Feeds {
        diagnostics,
        ..Feeds::default()
    };
    run_dashboard_with(items.into(), header, feeds, fps).await
}

/// What the dashboard shows besides the items, each refreshed by its own sender (a `watch`
/// channel: the loop takes the newest value when it changes and never waits for one).
#[derive(Debug, Default)]
pub struct Feeds {
    /// Facts from `/gateway/bot` and the token source.
    pub diagnostics: Option<watch::Receiver<Diagnostics>>,
    /// Reads of the fleet's bucket (`--cluster`): `None` until the first read.
    pub fleet: Option<watch::Receiver<Option<FleetRead>>>,
    /// A stop from outside (`qqbot tui` sends one on SIGTERM or SIGHUP): the dashboard ends as on Ctrl-C,
    /// terminal restored and totals returned, with [`Ended::interrupted`] set.
    pub stop: Option<tokio::sync::oneshot::Receiver<()>>,
}

/// [`run_dashboard`] with every feed (the fleet's leases too).
pub async fn run_dashboard_with(
    items: impl Into<crate::gateway::Items>,
    header: Header,
    feeds: Feeds,
    fps: u32,
) -> io::Result<Ended> {
    let mut items = items.into();
    let Feeds {
        mut diagnostics,
        mut fleet,
        stop,
    } = feeds;
    if !io::stdout().is_terminal() {
        return Err(io::Error::other(
            "the dashboard needs a terminal, but stdout is not a TTY (use `qqbot listen` for piped output)",
        ));
    }
    let fps = if fps == 0 { DEFAULT_FPS } else { fps.min(60) };
    let mut app = App::new(header);
    if let Some(rx) = diagnostics.as_mut() {
        app.set_diagnostics(rx.borrow_and_update().clone());
    }

    if let Some(read) = fleet.as_mut().and_then(|rx| rx.borrow_and_update().clone()) {
        app.set_fleet(read);
    }

    let guard = TerminalGuard::enter()?;
    let stop = async {
        // A dropped sender is no stop.
        let stopped = match stop {
            Some(rx) => rx.await.is_ok(),
            None => false,
        };
        if !stopped {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        result = event_loop(&mut app, &mut items, &mut diagnostics, &mut fleet, fps) => result,
        () = stop => Ok(true),
    };
    drop(guard);
    result.map(|interrupted| Ended {
        stats: app.stats().clone(),
        interrupted,
    })
}

async fn event_loop(
    app: &mut App,
    items: &mut crate::gateway::Items,
    diagnostics: &mut Option<watch::Receiver<Diagnostics>>,
    fleet: &mut Option<watch::Receiver<Option<FleetRead>>>,
    fps: u32,
) -> io::Result<bool> {
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let mut keys = EventStream::new();
    let mut render = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(fps)));
    render.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut items_open = true;

    let redraw = draw_frame;
    app.tick(Utc::now());
    redraw(&mut terminal, app)?;
    loop {
        let diag_open = diagnostics.is_some();
        let fleet_open = fleet.is_some();
        tokio::select! {
            _ = render.tick() => {
                app.tick(Utc::now());
                redraw(&mut terminal, app)?;
            }
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    match app.on_key(key) {
                        KeyAction::Quit => return Ok(false),
                        KeyAction::Interrupt => return Ok(true),
                        KeyAction::Redraw => redraw(&mut terminal, app)?,
                        KeyAction::None => {}
                    }
                }
                Some(Ok(Event::Resize(..))) => {
                    terminal.autoresize()?;
                    redraw(&mut terminal, app)?;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                // The terminal went away: nothing more can be shown.
                None => return Ok(false),
            },
            item = items.recv(), if items_open => match item {
                Some(item) => {
                    let now = Utc::now();
                    app.apply(&item, now);
                    for _ in 1..BATCH {
                        match items.try_recv() {
                            Ok(item) => app.apply(&item, now),
                            Err(_) => break,
                        }
                    }
                }
                None => {
                    items_open = false;
                    app.end_source();
                }
            },
            changed = async {
                match diagnostics.as_mut() {
                    Some(rx) => rx.changed().await,
                    None => std::future::pending().await,
                }
            }, if diag_open => match changed {
                Ok(()) => {
                    if let Some(rx) = diagnostics.as_mut() {
                        let d = rx.borrow_and_update().clone();
                        app.set_diagnostics(d);
                    }
                }
                Err(_) => *diagnostics = None,
            },
            changed = async {
                match fleet.as_mut() {
                    Some(rx) => rx.changed().await,
                    None => std::future::pending().await,
                }
            }, if fleet_open => match changed {
                Ok(()) => {
                    let read = fleet.as_mut().and_then(|rx| rx.borrow_and_update().clone());
                    if let Some(read) = read {
                        app.set_fleet(read);
                    }
                }
                Err(_) => *fleet = None,
            },
        }
    }
}
