//! A throwaway local PostgreSQL: the demo's incident database, and the test suite's server.
//!
//! The cluster lives in a private temporary folder, listens only on a Unix socket there,
//! and is stopped and deleted on every exit: by `Drop`, and by a reaper process that
//! outlives us if we are killed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The superuser initdb creates.
pub const ADMIN: &str = "postgres";
/// The read-only role the demo creates for warroom.
pub const READ_ONLY_ROLE: &str = "warroom_ro";
pub const DEMO_DB: &str = "shop";

const INSTALL_HINT: &str = "install PostgreSQL's server: `sudo apt install postgresql` (Debian/Ubuntu) or `brew install postgresql@16` (macOS), or put the folder holding initdb and pg_ctl on PATH";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl, postgres, psql) were not found on PATH, in the usual folders or in $WARROOM_PG_BINDIR: {INSTALL_HINT}"
    )]
    NotInstalled,
    #[error("{0}")]
    Failed(String),
}

/// Where initdb, pg_ctl, postgres and psql live: PATH first, then Debian and Homebrew folders.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |d: &Path| ["initdb", "pg_ctl", "postgres", "psql"].iter().all(|b| d.join(b).is_file());
    // An explicit choice (one of several installed versions, say) is the only place looked.
    if let Some(dir) = std::env::var_os("WARROOM_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return has_all(&dir).then_some(dir);
    }
    let from_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| has_all(d));
    if from_path.is_some() {
        return from_path;
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    for parent in ["/usr/lib/postgresql", "/opt/homebrew/opt", "/usr/local/opt", "/usr/pgsql"] {
        if let Ok(entries) = std::fs::read_dir(parent) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if parent == "/usr/lib/postgresql" || name.starts_with("postgresql") {
                    candidates.push(e.path().join("bin"));
                }
            }
        }
    }
    // Newest version first: names sort by their version number.
    candidates.sort_by_key(|p| {
        let digits: String = p.to_string_lossy().chars().filter(|c| c.is_ascii_digit()).collect();
        std::cmp::Reverse(digits.parse::<u64>().unwrap_or(0))
    });
    candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
    candidates.into_iter().find(|d| has_all(d))
}

pub fn is_root() -> bool {
    whoami::username().map(|u| u == "root").unwrap_or(false)
}

pub struct Cluster {
    bin: PathBuf,
    /// The private folder: `data/`, the socket and the log.
    pub base: PathBuf,
    pub port: u16,
    run_as_postgres: bool,
    reaper: Option<Child>,
    children: Vec<Child>,
    stopped: bool,
    /// The server's options, to start it again after [`Cluster::pause`].
    options: String,
}

impl Cluster {
    /// Creates and starts a new cluster with `initdb`, `pg_ctl start`.
    pub fn start() -> Result<Cluster, DemoError> {
        Cluster::start_with("", |_| Ok(()))
    }

    /// Like `start`, with extra server options (`-c ssl=on …`) and a step that may put
    /// files in the cluster's folder before the server starts.
    pub fn start_with(
        extra_options: &str,
        before_start: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> Result<Cluster, DemoError> {
        Cluster::start_from(extra_options, |cluster| {
            let data = cluster.base.join("data");
            cluster.run(
                "initdb",
                &["-D", &data.to_string_lossy(), "-U", ADMIN, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            )?;
            before_start(&cluster.base).map_err(|e| DemoError::Failed(format!("cannot prepare the cluster: {e}")))
        })
    }

    /// Starts the server (again, after [`Cluster::pause`]) and waits until it accepts connections.
    pub fn resume(&self) -> Result<(), DemoError> {
        let data = self.base.join("data");
        self.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &self.base.join("log").to_string_lossy(),
                "-o",
                &self.options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .map(|_| ())
    }

    /// Stops the server (fast: sessions are ended) and keeps its folder, to resume later.
    pub fn pause(&self) -> Result<(), DemoError> {
        let data = self.base.join("data");
        self.run("pg_ctl", &["-D", &data.to_string_lossy(), "-m", "fast", "-w", "stop"]).map(|_| ())
    }

    /// A streaming standby of this cluster (`pg_basebackup -R`) in a folder of its own, started.
    pub fn standby(&self) -> Result<Cluster, DemoError> {
        let primary = self.base.display().to_string();
        let port = self.port.to_string();
        Cluster::start_from("", |standby| {
            let data = standby.base.join("data");
            standby
                .run(
                    "pg_basebackup",
                    &["-D", &data.to_string_lossy(), "-h", &primary, "-p", &port, "-U", ADMIN, "-R", "-X", "stream"],
                )
                .map(|_| ())
        })
    }

    /// A cluster whose data folder `fill` creates (initdb, a base backup), then started.
    fn start_from(
        extra_options: &str,
        fill: impl FnOnce(&Cluster) -> Result<(), DemoError>,
    ) -> Result<Cluster, DemoError> {
        let bin = find_bin_dir().ok_or(DemoError::NotInstalled)?;
        let run_as_postgres = is_root();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let base = std::env::temp_dir().join(format!("warroom-pg-{}-{nanos:x}", std::process::id()));
        std::fs::create_dir(&base).map_err(|e| DemoError::Failed(format!("cannot create {}: {e}", base.display())))?;
        let mut cluster = Cluster {
            bin,
            base,
            port: 5432,
            run_as_postgres,
            reaper: None,
            children: vec![],
            stopped: false,
            options: String::new(),
        };
        cluster.prepare_dir()?;
        cluster.spawn_reaper();
        fill(&cluster)?;
        cluster.options = format!(
            "-k {} -c listen_addresses= -p {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40 {extra_options}",
            cluster.base.display(),
            cluster.port
        );
        cluster.resume()?;
        Ok(cluster)
    }

    /// Makes the folder private to whoever runs the server (the `postgres` OS user as root).
    fn prepare_dir(&self) -> Result<(), DemoError> {
        use std::os::unix::fs::PermissionsExt;
        let mode = if self.run_as_postgres { 0o755 } else { 0o700 };
        std::fs::set_permissions(&self.base, std::fs::Permissions::from_mode(mode))
            .map_err(|e| DemoError::Failed(format!("cannot set permissions on {}: {e}", self.base.display())))?;
        if self.run_as_postgres {
            let status = Command::new("chown")
                .args(["postgres:", &self.base.to_string_lossy()])
                .status()
                .map_err(|e| DemoError::Failed(format!("cannot run chown: {e}")))?;
            if !status.success() {
                return Err(DemoError::Failed(
                    "running as root, the server must run as the `postgres` OS user, and chown to it failed (does the user exist?)".into(),
                ));
            }
            std::fs::set_permissions(&self.base, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| DemoError::Failed(format!("cannot set permissions on {}: {e}", self.base.display())))?;
        }
        Ok(())
    }

    /// A server program, run as the `postgres` OS user when we are root (PostgreSQL refuses root).
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<String, DemoError> {
        let out = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| DemoError::Failed(format!("cannot run {program}: {e}")))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(self.base.join("log")).unwrap_or_default();
            return Err(DemoError::Failed(format!(
                "{program} failed: {}{}\n{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim(),
                log.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A shell that waits for this process to end, then stops the server and deletes the folder.
    fn spawn_reaper(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.base.join("data");
        let stop = if self.run_as_postgres {
            format!("runuser -u postgres -- \"{}\" -D \"{}\" -m immediate stop", pg_ctl.display(), data.display())
        } else {
            format!("\"{}\" -D \"{}\" -m immediate stop", pg_ctl.display(), data.display())
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf \"{base}\"",
            pid = std::process::id(),
            base = self.base.display()
        );
        let mut cmd = if Path::new("/usr/bin/setsid").exists() {
            let mut c = Command::new("setsid");
            c.args(["sh", "-c", &script]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", &script]);
            c
        };
        self.reaper = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok();
    }

    /// The Unix socket folder, as a libpq `host`.
    pub fn socket_dir(&self) -> &Path {
        &self.base
    }

    /// A connection string for `user` on `db`.
    pub fn dsn(&self, user: &str, db: &str) -> String {
        format!("host={} port={} user={user} dbname={db} sslmode=disable", self.base.display(), self.port)
    }

    /// The same as a URL, for people to copy.
    pub fn url(&self, user: &str, db: &str) -> String {
        let host: String = self.base.to_string_lossy().replace('/', "%2F");
        format!("postgresql://{user}@{host}:{}/{db}", self.port)
    }

    /// psql as `user` on `db` of this cluster, without the user's psqlrc or environment.
    pub fn psql_command(&self, user: &str, db: &str) -> Command {
        let mut c = Command::new(self.bin.join("psql"));
        c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.base)
            .args(["-p", &self.port.to_string(), "-U", user, "-d", db])
            .env_remove("PGSERVICE")
            .env_remove("PGOPTIONS")
            .env("PGSSLMODE", "disable");
        c
    }

    /// Runs SQL with psql as `user` and returns its output (unaligned, tuples only).
    pub fn psql(&self, user: &str, db: &str, sql: &str) -> Result<String, DemoError> {
        let mut child = self
            .psql_command(user, db)
            .args(["-A", "-t", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| DemoError::Failed(format!("cannot run psql: {e}")))?;
        child.stdin.take().expect("piped").write_all(sql.as_bytes()).map_err(|e| DemoError::Failed(e.to_string()))?;
        let out = child.wait_with_output().map_err(|e| DemoError::Failed(e.to_string()))?;
        if !out.status.success() {
            return Err(DemoError::Failed(format!("psql failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts a psql session that runs `sql` and then stays connected until the cluster stops.
    pub fn background(&mut self, user: &str, db: &str, sql: &str) -> Result<(), DemoError> {
        let mut child = self
            .psql_command(user, db)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| DemoError::Failed(format!("cannot run psql: {e}")))?;
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(sql.as_bytes()).map_err(|e| DemoError::Failed(e.to_string()))?;
        stdin.flush().map_err(|e| DemoError::Failed(e.to_string()))?;
        // Keep stdin open: psql waits for more, so the session stays as the SQL left it.
        std::mem::forget(stdin);
        self.children.push(child);
        Ok(())
    }

    /// Stops the server and deletes its folder.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let data = self.base.join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data.to_string_lossy(), "-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.base);
        if let Some(mut reaper) = self.reaper.take() {
            let _ = reaper.kill();
            let _ = reaper.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The sample incident: a shop whose deploy at 14:02 started writing users without emails.
pub const INCIDENT_SQL: &str = include_str!("../assets/demo/incident.sql");

/// Starts a cluster and loads the sample incident, with its stuck and slow sessions.
pub fn start_incident() -> Result<Cluster, DemoError> {
    let mut cluster = Cluster::start()?;
    cluster.psql(ADMIN, "postgres", &format!("CREATE DATABASE {DEMO_DB};"))?;
    cluster.psql(ADMIN, DEMO_DB, INCIDENT_SQL)?;
    // A session idle in transaction, holding a row lock since the deploy's migration.
    cluster.background(
        ADMIN,
        DEMO_DB,
        "SET application_name = 'deploy-migration';\nBEGIN;\nUPDATE orders SET status = 'paid' WHERE id = 42;\n",
    )?;
    std::thread::sleep(Duration::from_millis(200));
    // A checkout blocked behind it, and a slow report hogging a backend.
    cluster.background(
        ADMIN,
        DEMO_DB,
        "SET application_name = 'checkout';\nUPDATE orders SET status = 'refunded' WHERE id = 42;\n",
    )?;
    cluster.background(
        ADMIN,
        DEMO_DB,
        "SET application_name = 'nightly-report';\nSELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id, pg_sleep(3600);\n",
    )?;
    Ok(cluster)
}
