//! The command line: clap definitions, each subcommand a thin adapter over the library.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::guard::{self, Class};

mod check;
mod cockpit;
mod completions;
mod connected;
mod demo;
mod doctor;
mod freeze;
mod hook;
mod mcp;
mod pin;
mod plan;
mod query;
mod stage;
mod timeline;

/// Exit statuses shared by every subcommand (README: each subcommand's exit status).
pub mod exit {
    pub const DONE: u8 = 0;
    pub const REFUSED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const DATABASE: u8 = 3;
}

#[derive(Parser, Debug)]
#[command(
    name = "warroom",
    version,
    about = "A terminal cockpit for looking at a production PostgreSQL during an incident: reads run, writes never do.",
    long_about = "A terminal cockpit for looking at a production PostgreSQL during an incident: reads run, writes never do.\n\nWithout a subcommand, warroom opens the full-screen cockpit on the connection given by CONN, --dsn, the profile, or libpq's environment (PGHOST, PGUSER, ...). Try `warroom demo` first: it starts a throwaway server with a sample incident.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub cockpit: CockpitArgs,
}

/// The cockpit's options (when no subcommand is given).
#[derive(Args, Debug, Default)]
pub struct CockpitArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Incident whose plan Ctrl-S stages into, shown in the banner (default: $WARROOM_INCIDENT, else a new inc-YYYYMMDD-HHMM).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Markdown runbook for the left pane (default: the profile's, else the built-in one).
    #[arg(long, value_name = "FILE")]
    pub runbook: Option<PathBuf>,
    /// Colour theme: night, day, high-contrast, or a theme file (default: the profile's, else night).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Connection URL or conninfo.
    #[arg(value_name = "CONN")]
    pub target: Option<String>,
}

/// `warroom demo`'s options.
#[derive(Args, Debug, Default)]
pub struct DemoArgs {
    /// Colour theme: night, day, high-contrast, or a theme file.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Markdown runbook for the left pane (default: the built-in one).
    #[arg(long, value_name = "FILE")]
    pub runbook: Option<PathBuf>,
    /// Do not open the cockpit: print the connection settings and wait for Ctrl-C
    /// (the default when standard output is not a terminal).
    #[arg(long)]
    pub no_cockpit: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Classify SQL: print each statement's READ or WRITE label and the reasons.
    ///
    /// Reads markdown too: SQL inside ```sql fences is checked, prose around it is ignored.
    /// Exit status: 0 when every statement is a read, 1 when any is a write (or there is
    /// no statement), 2 for unreadable input.
    Check(CheckArgs),
    /// Run reads only, through the guard and a read-only session; writes are refused.
    ///
    /// Every statement is checked first: if any is a write, nothing is sent to the server
    /// and the exit status is 1. Reads run in order, each in its own READ ONLY transaction.
    /// Exit status: 0 done, 1 refused, 2 usage error, 3 database error or timeout.
    Query(QueryArgs),
    /// Prove (or disprove) that the connection can only read, and print the fix.
    ///
    /// Exit status: 0 when nothing fails, 1 when the role could change data or schema,
    /// 3 when the server cannot be reached.
    Doctor(DoctorArgs),
    /// Start a throwaway PostgreSQL with a sample incident and a read-only role, and open the cockpit on it.
    ///
    /// The server runs in a private temporary folder on a Unix socket, and is stopped and
    /// deleted when warroom exits (Ctrl-Q, Ctrl-C, SIGTERM and SIGHUP included).
    Demo(DemoArgs),
    /// Stage writes into the incident's rollback plan; nothing is run.
    ///
    /// Each write gets evidence over the read-only session (rows it touches, a sample, the
    /// planner's estimate, key, triggers, references), a guarded forward step in plan.sql
    /// and its way back in rollback.sql, in the incident folder. Reads in the input are
    /// skipped. Review the plan in the cockpit (F6). Exit status: 0 staged, 2 nothing to
    /// stage or bad input, 3 staged without evidence because the server could not be reached.
    Stage(StageArgs),
    /// Rollback plans: check that a plan file is still what was reviewed.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Add a note to the incident's timeline (it lands in the postmortem export).
    ///
    /// Without --incident (or WARROOM_INCIDENT) the note goes to the most recently active
    /// incident, and warroom says which; when there is none, a new incident starts.
    /// Secrets (passwords, DSN credentials, tokens) are masked before they are written.
    Note(NoteArgs),
    /// The incident timeline: export it for the postmortem, or check it was not altered.
    #[command(subcommand)]
    Timeline(TimelineCommand),
    /// Serve an agent over the Model Context Protocol (stdio): reads through the guard and the
    /// read-only session, writes staged into the incident's plan, everything in its timeline.
    ///
    /// Tools: review_sql, run_read, explain_read, stage_write, describe, runbook, note, posture.
    /// Connects like `query` (CONN, --dsn, the profile, libpq's environment) and checks the
    /// read-only posture first. Serves until the client closes stdin. Logs go to stderr.
    /// Exit status: 0 when the client is done, 2 bad arguments, 3 the server cannot be reached.
    Mcp(McpArgs),
    /// Pull the kill switch: while the freeze file exists, every warroom that uses it refuses.
    ///
    /// The cockpit cancels a read in flight and refuses reads, stages and runbook sends;
    /// `query`, `stage`, every `warroom mcp` tool and the hook refuse, naming the freeze.
    /// The file (default: FREEZE in the state folder; `freeze_file` in the config or the
    /// profile's policy, or $WARROOM_FREEZE_FILE) says who, when and why; put it on a shared
    /// folder to stop a whole team's warrooms at once. A timeline event records it.
    Freeze(FreezeArgs),
    /// Release the kill switch (remove the freeze file); a timeline event records it.
    Thaw(FreezeArgs),
    /// Claude Code's hook (PreToolUse, SessionStart, UserPromptSubmit), and installing it.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    ///
    /// bash: `warroom completions bash > ~/.local/share/bash-completion/completions/warroom`;
    /// zsh: `warroom completions zsh > "${fpath[1]}/_warroom"`; fish:
    /// `warroom completions fish > ~/.config/fish/completions/warroom.fish`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `warroom man > ~/.local/share/man/man1/warroom.1`.
    Man,
    /// Pin this cluster's identity to an environment (production, staging, …), like ssh's known_hosts.
    ///
    /// warroom reads the cluster's system_identifier (the same on a primary and its standbys)
    /// over the read-only session and keeps it in known_clusters.toml in its state folder. A
    /// cluster that is not pinned is shown as UNPINNED and treated as production; a profile
    /// whose `environment` disagrees with the pin loses to the stricter of the two.
    /// Exit status: 0 pinned (or listed), 2 bad arguments, 3 the server cannot be reached.
    Pin(PinArgs),
}

#[derive(Args, Debug)]
pub struct PinArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// List the pinned clusters instead.
    #[arg(long, conflicts_with = "args")]
    pub list: bool,
    /// [CONN] ENVIRONMENT: an optional connection URL, then the environment's name.
    #[arg(value_name = "CONN_OR_ENVIRONMENT", num_args = 0..=2)]
    pub args: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Answer one Claude Code hook event (JSON on stdin) with Claude Code's JSON.
    ///
    /// PreToolUse: a Bash command is parsed as shell to find every way it reaches a database
    /// (psql, pgcli, usql, pgbench, inline python/node/ruby/perl code; through sh -c, eval, su,
    /// sudo, watch, tmux, find -exec, docker, kubectl, ssh, runners, $(…)) and every tool that
    /// destroys one without SQL (src/guard/commands.toml, plus the config's [hook] deny/ask/
    /// allow); another MCP server's tool is judged by the SQL in its arguments, at any depth.
    /// Reads alone: allow; writes, hidden SQL, destroying tools: deny, naming the safer step;
    /// tools marked ask: ask; anything else: no decision. While frozen every tool is denied.
    /// SessionStart: tells the agent the pinned environment, policy, kill switch and how to
    /// stage. UserPromptSubmit: blocked while frozen. Always exit 0.
    Claude(HookArgs),
    /// Merge the hook for PreToolUse (every tool), SessionStart and UserPromptSubmit (and with
    /// --mcp, `warroom mcp`) into Claude Code's settings, keeping everything else, with a
    /// backup; running it twice changes nothing.
    Install(InstallArgs),
}

#[derive(Args, Debug)]
pub struct HookArgs {
    /// Incident whose timeline records the decisions (default: $WARROOM_INCIDENT, else the most recently active one).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Profile whose policy applies (default: the config's default_profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Config file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// This project's .claude/settings.json (the default).
    #[arg(long, conflicts_with = "user")]
    pub project: bool,
    /// Your ~/.claude/settings.json.
    #[arg(long)]
    pub user: bool,
    /// Also register `warroom mcp --profile PROFILE` (in .mcp.json, or ~/.claude.json with --user).
    #[arg(long, value_name = "PROFILE")]
    pub mcp: Option<String>,
    /// Print what would be written instead of writing it.
    #[arg(long)]
    pub print: bool,
}

#[derive(Args, Debug)]
pub struct FreezeArgs {
    /// Why (shown to everyone who is refused).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Profile whose policy names its own freeze file.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Config file (for freeze_file and incidents_dir).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Incident whose timeline records it (default: $WARROOM_INCIDENT, else the most recently active one).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
}

#[derive(Args, Debug)]
pub struct McpArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Incident the agent's work is recorded in (default: $WARROOM_INCIDENT, else the most
    /// recently active one; a new one starts when there is none).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Connection URL or conninfo.
    #[arg(value_name = "CONN")]
    pub target: Option<String>,
}

#[derive(Args, Debug)]
pub struct NoteArgs {
    /// Incident to note in (default: $WARROOM_INCIDENT, else the most recently active one).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Config file (for incidents_dir).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The note; several words are joined with spaces; `-` reads it from standard input.
    #[arg(value_name = "TEXT", required = true, num_args = 1..)]
    pub text: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum TimelineCommand {
    /// Print (or write with -o) the incident's timeline as markdown for the postmortem, or as JSON.
    ///
    /// Markdown: "All times UTC", a table of every event (HH:MM:SS, actor, what happened),
    /// then the reads run, the writes staged with the plan's path and status, and the notes.
    /// JSON: an array of events (id, incident, sequence, occurred_at, actor, kind, summary,
    /// details, visibility, source, hash); see the README. Without --incident, the most
    /// recently active incident is used, and warroom says which.
    Export {
        /// Incident to export (default: $WARROOM_INCIDENT, else the most recently active one).
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Config file (for incidents_dir).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "md")]
        format: ExportFormat,
        /// Write to FILE (replaced atomically) instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check the journal's hash chain: was any event edited or removed?
    ///
    /// Exit status: 0 intact (a torn last line from a crash is reported, not a failure);
    /// 1 an event was edited, or one before it removed; 2 no such incident or timeline.
    Verify {
        /// Incident to check (default: $WARROOM_INCIDENT, else the most recently active one).
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Config file (for incidents_dir).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Markdown for the postmortem document.
    Md,
    /// A JSON array of events for an incident platform.
    Json,
}

#[derive(Args, Debug)]
pub struct StageArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Incident whose plan gets the writes (default: $WARROOM_INCIDENT, else the most recently active one).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// [CONN] SQL: an optional connection URL, then the SQL (or `-` for standard input).
    #[arg(value_name = "CONN_OR_SQL", num_args = 0..=2)]
    pub args: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Is this plan REVIEWED, and are its steps still what was reviewed?
    ///
    /// Exit status: 0 when the plan was marked reviewed and its steps match the checksum
    /// recorded then; 1 otherwise (a draft, edited steps, an edited review record), with why;
    /// 2 when the file cannot be read.
    Verify {
        /// The plan file (plan.sql).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Where to connect: a URL or conninfo, else the profile, else libpq's environment.
#[derive(Args, Debug, Clone, Default)]
pub struct ConnArgs {
    /// Connection URL or `key=value` conninfo (as psql takes).
    #[arg(long, value_name = "URL")]
    pub dsn: Option<String>,
    /// Profile from the config file.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Config file (default: $WARROOM_CONFIG, ./warroom.toml, $XDG_CONFIG_HOME/warroom/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Print a JSON array of objects, one per row.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (RFC 4180) with a header.
    #[arg(long)]
    pub csv: bool,
    /// Most rows to print per statement (default: the profile's row_limit, else 500); 0 streams every row.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Cancel a statement that runs longer than this (500ms, 5s, 2min; default: the profile's, else 30s).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// Record each read (or the refusal) in this incident's timeline; nothing is recorded without it.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Draw each result as a chart in text (a time or number column against the numeric
    /// columns after it), to paste into the incident channel; 100 columns wide unless
    /// standard output is a wider terminal.
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    pub chart: bool,
    /// Run the statements again every DUR (2s, 500ms, 1min) until Ctrl-C, as psql's \watch;
    /// the timeline (with --incident) gets one entry with the number of runs.
    #[arg(long, value_name = "DUR")]
    pub watch: Option<String>,
    /// Run reads the planner expects to be heavy (over the profile's max_rows_scanned or
    /// max_cost; by default a million rows or a cost of a million); without it they are refused.
    #[arg(long)]
    pub heavy: bool,
    /// [CONN] SQL: an optional connection URL, then the SQL (or `-` for standard input).
    #[arg(value_name = "CONN_OR_SQL", num_args = 0..=2)]
    pub args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also sweep every relation and function in the user schemas, privilege by privilege:
    /// finds write privileges granted to PUBLIC and the SECURITY DEFINER functions PUBLIC
    /// may call. Without it the check reads only what the role owns and was granted
    /// (pg_shdepend), which costs the same on any size of catalog; this grows with it.
    #[arg(long)]
    pub full: bool,
    /// Connection URL or conninfo.
    #[arg(value_name = "CONN")]
    pub target: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Print JSON (see README) instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Files to check; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// An error that ends the command with a status and one clear sentence.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Database(String),
    /// Refused on purpose (the kill switch, a policy): exit status 1.
    #[error("{0}")]
    Refused(String),
}

impl CliError {
    fn status(&self) -> u8 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Database(_) => exit::DATABASE,
            CliError::Refused(_) => exit::REFUSED,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => cockpit::open(cli.cockpit),
        Some(Command::Check(args)) => check::check(&args),
        Some(Command::Query(args)) => query::query(args),
        Some(Command::Doctor(args)) => doctor::doctor(args),
        Some(Command::Demo(args)) => demo::demo(args),
        Some(Command::Stage(args)) => stage::stage(args),
        Some(Command::Plan(PlanCommand::Verify { file })) => plan::plan_verify(&file),
        Some(Command::Note(args)) => timeline::note(args),
        Some(Command::Timeline(cmd)) => timeline::command(cmd),
        Some(Command::Mcp(args)) => mcp::mcp(args),
        Some(Command::Freeze(args)) => freeze::freeze(args),
        Some(Command::Thaw(args)) => freeze::thaw(args),
        Some(Command::Hook(HookCommand::Claude(args))) => hook::claude(args),
        Some(Command::Hook(HookCommand::Install(args))) => hook::install(args),
        Some(Command::Pin(args)) => pin::pin(args),
        Some(Command::Completions { shell }) => completions::shell_help(Some(shell)),
        Some(Command::Man) => completions::shell_help(None),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Not eprintln!: with the terminal gone, a failed write must not become a panic.
            let _ = writeln!(std::io::stderr(), "warroom: {e}");
            ExitCode::from(e.status())
        }
    }
}

/// Reads a file (or stdin for `-`) as UTF-8 text, with errors that say what to do.
pub fn read_input(path: &std::path::Path) -> Result<String, CliError> {
    let (name, bytes) = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::Usage(format!("cannot read standard input: {e}")))?;
        ("standard input".to_string(), buf)
    } else {
        let bytes = std::fs::read(path).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
        (path.display().to_string(), bytes)
    };
    String::from_utf8(bytes).map_err(|e| {
        CliError::Usage(format!(
            "{name} is not valid UTF-8 text (invalid byte at offset {}); convert it to UTF-8, for example with iconv, and try again",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[derive(Serialize)]
struct CheckJson<'a> {
    verdict: Class,
    /// Always false: `check` reads text only, never a server's catalog.
    catalog_checked: bool,
    statements: Vec<SourcedStatement<'a>>,
    ignored: Vec<SourcedIgnored<'a>>,
}

#[derive(Serialize)]
struct SourcedStatement<'a> {
    #[serde(flatten)]
    statement: &'a guard::Statement,
    source: &'a str,
}

#[derive(Serialize)]
struct SourcedIgnored<'a> {
    #[serde(flatten)]
    ignored: &'a guard::Ignored,
    source: &'a str,
}

/// ANSI styling, only on a terminal and without NO_COLOR.
pub struct Style {
    color: bool,
}

impl Style {
    /// For standard output.
    pub fn detect() -> Self {
        Style::when(std::io::stdout().is_terminal())
    }

    /// For messages on standard error.
    pub fn for_stderr() -> Self {
        Style::when(std::io::stderr().is_terminal())
    }

    fn when(terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style { color: terminal && !no_color }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    pub fn read(&self, t: &str) -> String {
        self.paint("1;32", t)
    }
    pub fn write(&self, t: &str) -> String {
        self.paint("1;31", t)
    }
    pub fn destructive(&self, t: &str) -> String {
        self.paint("1;7;31", t)
    }
    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
}
