//! The hardened read session: the only place user SQL reaches PostgreSQL.
//!
//! It holds even when the guard is wrong: the session is read-only by default, each read
//! runs alone in its own `READ ONLY` transaction through the extended protocol (so the
//! server refuses a second statement), and whatever a read leaves behind is discarded.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, pin_mut};
use tokio_postgres::types::{FromSql, Kind, Type};
use tokio_postgres::{CancelToken, Client, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::Identity;
use super::conn::{Host, SessionAttrs, SslMode, Target};
use super::heavy::{self, HeavyLimits, TableSize};
use super::resolve;
use super::{DbError, tls};
use crate::guard::resolved::{self, Builtins, Context, Facts, Outcome as Judged};
use crate::guard::{self, tree::Tree};

/// Server-side limits set for the whole session at connect time.
#[derive(Debug, Clone)]
pub struct Limits {
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    pub idle_in_transaction_timeout: Duration,
    /// Reads the planner expects to be heavier than this are held back.
    pub heavy: HeavyLimits,
    /// Foreign servers whose tables the profile trusts (`trusted_foreign_servers`): a read of
    /// their tables is not refused for the wrapper's sake.
    pub trusted_servers: std::sync::Arc<[String]>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(2),
            idle_in_transaction_timeout: Duration::from_secs(60),
            heavy: HeavyLimits::default(),
            trusted_servers: std::sync::Arc::from([]),
        }
    }
}

/// What we learnt about the server and ourselves at connect time.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub version: String,
    pub version_num: i32,
    pub current_user: String,
    pub database: String,
    pub in_recovery: bool,
    /// `default_transaction_read_only` as the server reports it for this session.
    pub default_read_only: bool,
    pub statement_timeout: String,
    /// Which cluster this is, and where the session landed.
    pub identity: Identity,
    /// Each timeout warroom sets: the server's value for this role, the profile's, and the
    /// one in force (the stricter).
    pub timeouts: Vec<Timeout>,
}

/// A timeout as the server would give the role (its configuration, the database's and the
/// role's settings) and as the profile asks, and the stricter one, which is in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Timeout {
    pub name: String,
    /// Milliseconds; 0 is none.
    pub server_ms: i64,
    /// pg_settings.source of the server's value: "default", "configuration file", "user", "database", …
    pub server_source: String,
    pub profile_ms: i64,
    pub in_force_ms: i64,
}

impl Timeout {
    /// Which one is in force, for people: "3s (the role's setting; the profile asks 30s)".
    pub fn describe(&self) -> String {
        let show = |ms: i64| if ms == 0 { "none".to_string() } else { millis_text(ms) };
        if self.in_force_ms == self.profile_ms {
            format!("{} (the profile's; the server's is {})", show(self.in_force_ms), show(self.server_ms))
        } else {
            format!(
                "{} (the server's, from {}: stricter than the profile's {})",
                show(self.in_force_ms),
                self.server_source,
                show(self.profile_ms)
            )
        }
    }
}

/// The stricter of two timeouts in milliseconds, 0 being none.
pub fn stricter_ms(a: i64, b: i64) -> i64 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (x, y) => x.min(y),
    }
}

/// How a column's values are shaped, for alignment and for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Number,
    Bool,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_name: String,
    pub kind: ValueKind,
}

/// Where rows go as they arrive; a sink that writes them out keeps memory constant.
pub trait RowSink {
    fn columns(&mut self, columns: &[Column]) -> std::io::Result<()>;
    fn row(&mut self, values: &[Option<&str>]) -> std::io::Result<()>;
    /// A sink that writes CSV may take the server's own (`COPY … (FORMAT csv, HEADER)`) as
    /// it comes, header first, when every row is wanted: nothing is decoded or re-encoded.
    fn takes_server_csv(&self) -> bool {
        false
    }
    fn server_csv(&mut self, _bytes: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

/// How one read ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub rows: u64,
    /// The row limit cut the result: more rows exist.
    pub more: bool,
    pub elapsed: Duration,
}

/// Sends a cancel request for whatever the session is running; usable from another task.
#[derive(Clone)]
pub struct Canceller {
    token: CancelToken,
    tls: MakeRustlsConnect,
}

impl Canceller {
    pub async fn cancel(&self) -> Result<(), DbError> {
        self.token.cancel_query(self.tls.clone()).await.map_err(DbError::from_pg)
    }
}

pub struct Session {
    client: Client,
    tls: MakeRustlsConnect,
    pub info: ServerInfo,
    pub limits: Limits,
    /// The built-in functions a read may call, by OID (read with the first read; built-in
    /// objects do not change while the server runs).
    builtins: Option<Builtins>,
    /// The search path the database and role set, for the user's statements (warroom's own
    /// queries run with `pg_catalog` alone).
    search_path: String,
    /// The server's notices (LOG lines among them while a read is proved).
    notices: tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::error::DbError>,
    /// Round trips of fact reading sent so far after a statement's Parse (one per round of
    /// OIDs that the facts which came with the Parse did not cover).
    pub fact_reads: u64,
    /// Reads of facts sent so far, those that come with a statement's Parse included: every
    /// statement that names a relation reads its facts afresh.
    pub fact_queries: u64,
    /// warroom's own queries that every read sends, prepared (and planned) once per connection.
    prepared: HashMap<&'static str, Statement>,
    /// The hashes of the database's domain checks, once they were all found to call only
    /// allowlisted built-ins (see [`resolve::GATE`]).
    safe_domains: Option<String>,
    /// [`resolve::RELATION_FACTS_BY_NAME`], prepared under the user's search path.
    by_name: Option<Statement>,
    /// Why the connection ended, once it has.
    closed: tokio::sync::watch::Receiver<Option<String>>,
    /// The sizes of tables the planner's estimates scanned, kept for the connection.
    table_sizes: HashMap<(String, String), TableSize>,
    /// The rows of the query sent with the connection's first question, until taken.
    prefetched: Option<Vec<tokio_postgres::Row>>,
    /// A read was given up on this connection (the server stopped answering): it is not used again.
    given_up: bool,
}

/// Waits for a session's connection to end; it can outlive the session.
#[derive(Clone)]
pub struct Closed(tokio::sync::watch::Receiver<Option<String>>);

impl Closed {
    /// Why the connection ended (at once if it already has).
    pub async fn wait(&mut self) -> String {
        match self.0.wait_for(Option::is_some).await {
            Ok(why) => why.clone().unwrap_or_default(),
            Err(_) => "the connection ended".to_string(),
        }
    }
}

/// The three timeouts warroom sets: for each, the server's value for this role (its source),
/// the profile's ($1, $2, $3, milliseconds, 0 for none) and the stricter, which this sets for
/// the session. Run with the search path pinned, fully qualified.
const TIMEOUTS: &str = "
SELECT name, setting, source, want, in_force, pg_catalog.set_config(name, in_force::text, false)
  FROM (SELECT s.name::text, s.setting::int8, s.source::text, w.want,
               CASE WHEN s.setting::int8 = 0 THEN w.want WHEN w.want = 0 THEN s.setting::int8
                    ELSE LEAST(s.setting::int8, w.want) END AS in_force
          FROM pg_catalog.pg_settings s
          JOIN (VALUES ('statement_timeout', $1::int8), ('lock_timeout', $2::int8),
                       ('idle_in_transaction_session_timeout', $3::int8)) AS w(name, want) ON w.name = s.name
       OFFSET 0) t
 ORDER BY name";

/// Milliseconds as people write them: 500ms, 3s, 2min, 1h.
pub fn millis_text(ms: i64) -> String {
    match ms {
        m if m % 3_600_000 == 0 => format!("{}h", m / 3_600_000),
        m if m % 60_000 == 0 => format!("{}min", m / 60_000),
        m if m % 1000 == 0 => format!("{}s", m / 1000),
        m => format!("{m}ms"),
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

const FIRST_KEYWORDS_WITH_ROWS: &[&str] = &["select", "with", "values", "table"];

/// Rows (reltuples; NULL until analysed) and pages now of the tables named as a JSON list of
/// [schema, name] pairs.
const TABLE_SIZES: &str = "SELECT n.nspname::text, c.relname::text, \
    CASE WHEN c.reltuples >= 0 THEN c.reltuples::float8 END, \
    (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE (n.nspname, c.relname) IN \
      (SELECT x ->> 0, x ->> 1 FROM jsonb_array_elements(current_setting('warroom.wanted')::jsonb) x)";

impl Session {
    /// Connects to the first host that suits `target_session_attrs` (each host in turn, as
    /// libpq does), with the read-only settings, and reads who and where we are.
    pub async fn connect(target: &Target, limits: Limits) -> Result<Session, DbError> {
        Session::connect_prefetching(target, limits, None).await
    }

    /// [`Session::connect`], sending `prefetch` (one of warroom's own catalog queries) in the
    /// same round trip as the first question to the server; its rows wait in the session
    /// ([`Session::take_prefetched`]).
    pub async fn connect_prefetching(
        target: &Target,
        limits: Limits,
        prefetch: Option<&str>,
    ) -> Result<Session, DbError> {
        let tls = tls::connector(target).map_err(|e| DbError::Connect(e.to_string()))?;
        let attrs = target.session_attrs();
        let mut tried: Vec<String> = Vec::new();
        let mut fallback: Option<Session> = None;
        for host in &target.hosts {
            let label = format!("{}:{}", host.host, host.port);
            let session = match Session::connect_host(target, host, limits.clone(), &tls, prefetch).await {
                Ok(s) => s,
                // Only one host: its own error says it best.
                Err(e) if target.hosts.len() == 1 => return Err(e),
                Err(DbError::Connect(m)) => {
                    tried.push(format!("{label}: {}", m.lines().next().unwrap_or("")));
                    continue;
                }
                Err(e) => {
                    tried.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let standby = session.info.identity.standby;
            match attrs {
                SessionAttrs::Any => return Ok(session),
                SessionAttrs::Primary | SessionAttrs::Standby if standby == (attrs == SessionAttrs::Standby) => {
                    return Ok(session);
                }
                SessionAttrs::PreferStandby if standby => return Ok(session),
                SessionAttrs::PreferStandby => {
                    tried.push(format!("{label}: the primary"));
                    fallback.get_or_insert(session);
                }
                _ => tried.push(format!("{label}: {}", if standby { "a standby" } else { "the primary" })),
            }
        }
        if let Some(s) = fallback {
            return Ok(s);
        }
        let wanted = match attrs {
            SessionAttrs::Primary => "the primary (target_session_attrs wants a server that accepts writes)",
            SessionAttrs::Standby => "a standby (target_session_attrs wants a server in recovery)",
            _ => "reachable",
        };
        Err(DbError::Connect(format!("no server is {wanted}: {} ({})", tried.join("; "), target.describe())))
    }

    async fn connect_host(
        target: &Target,
        host: &Host,
        limits: Limits,
        tls: &MakeRustlsConnect,
        prefetch: Option<&str>,
    ) -> Result<Session, DbError> {
        let mut config = tokio_postgres::Config::new();
        config.host(&host.host);
        config.port(host.port);
        if let Some(addr) = target.hostaddr {
            config.hostaddr(addr);
        }
        config.user(&target.user).dbname(&target.dbname);
        if let Some(p) = &target.password {
            config.password(p.expose());
        }
        config.application_name(target.application_name.as_deref().unwrap_or("warroom"));
        config.ssl_mode(match target.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => tokio_postgres::config::SslMode::Require,
        });
        if let Some(t) = target.connect_timeout {
            config.connect_timeout(t);
        }
        // A server that vanishes without a word (a cable, a VM) is noticed within a minute.
        config.keepalives(true).keepalives_idle(Duration::from_secs(20)).keepalives_interval(Duration::from_secs(5));
        // Ours come last so they win over anything in the user's `options`. The timeouts are
        // not among them: a startup option would override a stricter one the DBA set on the
        // role or the database; they are set once connected, the stricter of the two.
        let ours = "-c default_transaction_read_only=on -c standard_conforming_strings=on".to_string();
        config.options(match &target.options {
            Some(user) => format!("{user} {ours}"),
            None => ours,
        });

        let (client, mut connection) = config.connect(tls.clone()).await.map_err(|e| DbError::connect(e, target))?;
        let (closed_tx, closed) = tokio::sync::watch::channel(None);
        // The connection is driven here, its notices kept: a read's proof is among them.
        let (notice_tx, notices) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let why = loop {
                match futures_util::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(tokio_postgres::AsyncMessage::Notice(n))) => {
                        let _ = notice_tx.send(n);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break DbError::from_pg(e).to_string(),
                    None => break "the server closed the connection".to_string(),
                }
            };
            let _ = closed_tx.send(Some(why));
        });
        // First, the search path the database and role set is noted and the session's own
        // pinned to pg_catalog: nothing after it resolves a name through a schema of theirs.
        let pin = client.query_typed_one(resolve::PIN_SEARCH_PATH, &[]);
        // The server's own settings and identity, in one round trip; pg_control_system() only
        // where this role may call it.
        let info = client.query_typed_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int4, \
                 current_user::text, current_database()::text, pg_is_in_recovery(), \
                 current_setting('default_transaction_read_only') = 'on', current_setting('statement_timeout'), \
                 CASE WHEN has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') \
                   THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END, \
                 current_setting('cluster_name'), host(inet_server_addr()), \
                 coalesce(inet_server_port(), current_setting('port')::int4)",
            &[],
        );
        let wanted = [ms(limits.statement_timeout), ms(limits.lock_timeout), ms(limits.idle_in_transaction_timeout)];
        let params: [(&(dyn tokio_postgres::types::ToSql + Sync), tokio_postgres::types::Type); 3] = [
            (&wanted[0], tokio_postgres::types::Type::INT8),
            (&wanted[1], tokio_postgres::types::Type::INT8),
            (&wanted[2], tokio_postgres::types::Type::INT8),
        ];
        let timeouts = client.query_typed(TIMEOUTS, &params);
        let (pinned, row, timeouts, prefetched) = match prefetch {
            Some(sql) => {
                let (pinned, timeouts, info, rows) = tokio::join!(pin, timeouts, info, client.query_typed(sql, &[]));
                (pinned, info, timeouts, Some(rows))
            }
            None => {
                let (pinned, timeouts, info) = tokio::join!(pin, timeouts, info);
                (pinned, info, timeouts, None)
            }
        };
        let timeouts: Vec<Timeout> = timeouts
            .map_err(DbError::from_pg)?
            .iter()
            .map(|r| Timeout {
                name: r.get(0),
                server_ms: r.get(1),
                server_source: r.get(2),
                profile_ms: r.get(3),
                in_force_ms: r.get(4),
            })
            .collect();
        if timeouts.len() != 3 {
            return Err(DbError::Posture("the server did not report its timeouts".into()));
        }
        // The limits are the ones in force from here on (a backstop is measured from them).
        let mut limits = limits;
        for t in &timeouts {
            let d = Duration::from_millis(u64::try_from(t.in_force_ms).unwrap_or(0));
            match t.name.as_str() {
                "statement_timeout" => limits.statement_timeout = d,
                "lock_timeout" => limits.lock_timeout = d,
                _ => limits.idle_in_transaction_timeout = d,
            }
        }
        let search_path: String = pinned.map_err(DbError::from_pg)?.get(0);
        let row = row.map_err(DbError::from_pg)?;
        let prefetched = prefetched.transpose().map_err(DbError::from_pg)?;
        let address: Option<String> = row.get(9);
        let port: i32 = row.get(10);
        let identity = Identity {
            system_identifier: row.get(7),
            cluster_name: row.get(8),
            address: address.unwrap_or_else(|| host.host.clone()),
            port: u16::try_from(port).unwrap_or(host.port),
            database: row.get(3),
            standby: row.get(4),
        };
        let info = ServerInfo {
            version: row.get(0),
            version_num: row.get(1),
            current_user: row.get(2),
            database: row.get(3),
            in_recovery: row.get(4),
            default_read_only: row.get(5),
            statement_timeout: row.get(6),
            identity,
            timeouts,
        };
        if !info.default_read_only {
            return Err(DbError::Posture(
                "the server did not accept default_transaction_read_only=on for this session".into(),
            ));
        }
        Ok(Session {
            client,
            tls: tls.clone(),
            info,
            limits,
            builtins: None,
            search_path,
            notices,
            fact_reads: 0,
            fact_queries: 0,
            prepared: HashMap::new(),
            safe_domains: None,
            by_name: None,
            closed,
            table_sizes: HashMap::new(),
            prefetched,
            given_up: false,
        })
    }

    /// The rows of the query given to [`Session::connect_prefetching`], once.
    pub(crate) fn take_prefetched(&mut self) -> Option<Vec<tokio_postgres::Row>> {
        self.prefetched.take()
    }

    /// The connection is gone (the server ended it, the network dropped), or a read on it
    /// was given up because the server stopped answering.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed() || self.given_up
    }

    /// Resolves when the connection is gone (the server stopped, the network dropped), with why.
    pub fn closed(&self) -> Closed {
        Closed(self.closed.clone())
    }

    pub fn canceller(&self) -> Canceller {
        Canceller { token: self.client.cancel_token(), tls: self.tls.clone() }
    }

    /// The limits in force: the profile's, or the server's where it is stricter.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How long a read may take before warroom itself ends it: the statement timeout in
    /// force and 5 s more for the server to say so (None when no timeout is set at all).
    pub fn bound(&self) -> Option<Duration> {
        (!self.limits.statement_timeout.is_zero()).then(|| self.limits.statement_timeout + Duration::from_secs(5))
    }

    /// [`Session::run`] (or with `anyway`, [`Session::run_anyway`]) within [`Session::bound`]:
    /// a read the server does not end in time (a network that went quiet, a server that
    /// stopped answering) gets a cancel request, and 5 s later is given up as lost. The one
    /// bounded run for every read: the cockpit, `query`, `--watch` and `warroom mcp`.
    pub async fn run_bounded(
        &mut self,
        sql: &str,
        limit: Option<u64>,
        sink: &mut dyn RowSink,
        anyway: bool,
    ) -> Result<Outcome, DbError> {
        let bound = self.bound();
        let cancel = self.canceller();
        let result = {
            let run = async {
                if anyway { self.run_anyway(sql, limit, sink).await } else { self.run(sql, limit, sink).await }
            };
            let Some(bound) = bound else { return run.await };
            tokio::pin!(run);
            tokio::select! {
                r = &mut run => r,
                _ = tokio::time::sleep(bound) => {
                    let _ = tokio::time::timeout(Duration::from_secs(2), cancel.cancel()).await;
                    match tokio::time::timeout(Duration::from_secs(5), run).await {
                        Ok(_) => Err(DbError::TimedOut(bound)),
                        Err(_) => Err(DbError::Lost(format!(
                            "the server stopped answering: the read was given up after {} s and a cancel request",
                            bound.as_secs() + 5
                        ))),
                    }
                }
            }
        };
        if matches!(&result, Err(DbError::Lost(why)) if why.starts_with("the server stopped answering")) {
            self.given_up = true;
        }
        result
    }

    /// Runs one statement in its own read-only transaction, sending at most `limit` rows
    /// (all when `None`) to `sink`. The server refuses anything that is not a read.
    /// Two proofs decide first: the guard's, from the text, and the server's own analysed
    /// tree of the statement, judged by OID ([`Session::check`]). A read of the database's
    /// own tables that the planner expects to be heavier than the session's limits is held
    /// back ([`DbError::Heavy`]); [`Session::run_anyway`] runs it once the person has seen that.
    pub async fn run(&mut self, sql: &str, limit: Option<u64>, sink: &mut dyn RowSink) -> Result<Outcome, DbError> {
        let (read, named) = text_read(sql)?;
        let heavy = Some(self.limits.heavy).filter(|h| !h.off());
        self.read(&read, limit, sink, heavy, Some(&named)).await
    }

    /// [`Session::run`] for a read whose planner estimate a person has seen and accepted: the
    /// guard and the server's tree still decide; the heavy-read limit does not.
    pub async fn run_anyway(
        &mut self,
        sql: &str,
        limit: Option<u64>,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, DbError> {
        let (read, named) = text_read(sql)?;
        self.read(&read, limit, sink, None, Some(&named)).await
    }

    /// [`Session::run`] without either proof: only for tests that prove the session and
    /// the server refuse what a broken guard would let through.
    #[doc(hidden)]
    pub async fn run_past_the_guard(
        &mut self,
        sql: &str,
        limit: Option<u64>,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, DbError> {
        self.read(sql, limit, sink, None, None).await
    }

    async fn read(
        &mut self,
        sql: &str,
        limit: Option<u64>,
        sink: &mut dyn RowSink,
        heavy: Option<HeavyLimits>,
        prove: Option<&BTreeSet<String>>,
    ) -> Result<Outcome, DbError> {
        let started = Instant::now();
        let mut reset_sent = false;
        let result = self.run_in_transaction(sql, limit, sink, heavy, prove, &mut reset_sent).await;
        // Whatever happened, leave nothing behind for the next read.
        let reset = if reset_sent { Ok(()) } else { self.reset().await };
        let outcome = result?;
        reset?;
        Ok(Outcome { elapsed: started.elapsed(), ..outcome })
    }

    /// The read in its own READ ONLY transaction: the proof's round trips (the database's
    /// domain checks, then the statement's Parse with its tree, then facts about the OIDs not
    /// yet known), the planner's estimate once the tree has passed, then the COPY that
    /// carries the rows with the reset right behind it.
    /// `reset_sent` says whether the reset went with the COPY (and its outcome is in the result).
    async fn run_in_transaction(
        &mut self,
        sql: &str,
        limit: Option<u64>,
        sink: &mut dyn RowSink,
        heavy: Option<HeavyLimits>,
        prove: Option<&BTreeSet<String>>,
        reset_sent: &mut bool,
    ) -> Result<Outcome, DbError> {
        let first = guard::first_keyword(sql).unwrap_or_default();
        let rows_by_copy = FIRST_KEYWORDS_WITH_ROWS.contains(&first.as_str());
        let server_csv = limit.is_none() && sink.takes_server_csv();
        let (copy_sql, prefix_chars) = copy_of(sql, limit, server_csv);
        let copy = rows_by_copy.then_some((copy_sql.as_str(), prefix_chars));
        let proved = match prove {
            Some(named) => self.begin_proved(sql, copy, named).await?,
            None => self.begin_unproved(sql, copy).await?,
        };
        if !rows_by_copy {
            return self.run_through_portal(proved.statement, limit, sink).await;
        }
        let copy = proved.copy.ok_or_else(|| DbError::Decode("the COPY of the read was not prepared".into()))?;
        // The planner's estimate of the read as it will run (row limit included), only now
        // that the tree has passed: planning can run code (constant folding).
        if let Some(limits) = heavy.filter(|_| proved.user_tables) {
            let body = guard::without_terminator(sql);
            let explain = match limit {
                Some(n) => {
                    format!("EXPLAIN (VERBOSE, FORMAT JSON) SELECT * FROM (\n{body}\n) AS warroom_read LIMIT {}", n + 1)
                }
                None => format!("EXPLAIN (VERBOSE, FORMAT JSON) {body}"),
            };
            let plan = self.client.query_typed(&explain, &[]).await.map_err(DbError::from_pg)?;
            let estimate = self.estimate(plan, limits).await?;
            if estimate.over() {
                return Err(DbError::Heavy(Box::new(estimate)));
            }
        }
        let columns: Vec<Column> = proved.statement.columns().iter().map(|c| column(c.name(), c.type_())).collect();
        drop(proved.statement);
        if server_csv {
            *reset_sent = true;
            let (outcome, reset) = tokio::join!(csv_rows(&self.client, &copy, prefix_chars, sink), self.reset());
            let outcome = outcome?;
            reset?;
            return Ok(outcome);
        }
        if !columns.is_empty() {
            sink.columns(&columns).map_err(DbError::Output)?;
        }
        // The reset is sent right behind the COPY; the server runs it as soon as the rows are out.
        *reset_sent = true;
        let (outcome, reset) =
            tokio::join!(copy_rows(&self.client, &copy, prefix_chars, limit, sink, columns.is_empty()), self.reset());
        let outcome = outcome?;
        reset?;
        Ok(outcome)
    }

    /// Starts the read's transaction and proves `sql` by the server's own tree of it. On
    /// success the transaction stays open with the statement prepared (its Parse is the one
    /// judged) and, with `copy` (its text, and how many characters it puts before the read's),
    /// the COPY that will carry its rows.
    async fn begin_proved(
        &mut self,
        sql: &str,
        copy: Option<(&str, usize)>,
        named: &BTreeSet<String>,
    ) -> Result<Proved, DbError> {
        self.prepare_own().await.map_err(DbError::from_pg)?;
        if self.builtins.is_none() {
            self.builtins =
                Some(resolve::builtins_from(&resolve::builtins(&self.client).await.map_err(DbError::from_pg)?));
        }
        loop {
            while self.notices.try_recv().is_ok() {}
            // Once the database's domain checks are known to call only allowlisted built-ins,
            // the gate checks that they still are, ahead of the Parse in the same round trip;
            // else they are read and judged first, in a round trip of their own.
            let gate = self.safe_domains.clone();
            let mut database = match &gate {
                Some(_) => resolved::Database::default(),
                None => self.judged_domains(sql).await?,
            };
            match self.parse_with_tree(sql, copy, gate.as_deref(), named).await {
                Err(Parse::GateClosed) => {
                    // A domain check changed or appeared: nothing was analysed; judge it first.
                    self.safe_domains = None;
                    self.reset().await?;
                    continue;
                }
                Err(Parse::Failed(e)) => return Err(e),
                Ok(parsed) => {
                    if let Some(rows) = parsed.json_casts {
                        database.json_casts = resolve::database_from(&rows)?.json_casts;
                    }
                    let old_server = self.info.version_num < 160000;
                    let show = old_server && guard::first_keyword(sql).as_deref() == Some("show");
                    let trees: Vec<&Tree> = parsed.trees.iter().collect();
                    let mut facts = Facts::default();
                    resolve::add_facts(&mut facts, &parsed.relation_facts)?;
                    self.judge(&trees, &database, &mut facts, show || parsed.explained).await?;
                    let user_tables = trees.iter().any(|t| resolve::reads_user_tables(t));
                    return Ok(Proved { statement: parsed.statement, copy: parsed.copy, user_tables });
                }
            }
        }
    }

    /// The first round trip without the gate: the transaction, the database's domains and json
    /// casts; the domains judged (a failing one keeps string constants out of the Parse).
    async fn judged_domains(&mut self, sql: &str) -> Result<resolved::Database, DbError> {
        let client = &self.client;
        let (domains, json) = (self.own(resolve::DOMAINS)?, self.own(resolve::JSON_CASTS)?);
        let (started, domains, json) =
            tokio::join!(client.batch_execute(SETUP), client.query(&domains, &[]), client.query(&json, &[]));
        started.map_err(DbError::from_pg)?;
        let mut rows = domains.map_err(DbError::from_pg)?;
        rows.extend(json.map_err(DbError::from_pg)?);
        let mut database = resolve::database_from(&rows)?;
        let mut facts = Facts::default();
        self.judge_domains(&mut database, &mut facts).await?;
        let builtins = self.builtins.as_ref().ok_or_else(|| DbError::Decode("no built-in facts".into()))?;
        self.safe_domains =
            resolved::builtin_only_checks(&database, builtins, self.info.version_num).map(|h| h.join(","));
        if let Some(why) = database.failing.values().next().filter(|_| guard::has_string_literal(sql)) {
            return Err(DbError::Refused(vec![format!(
                "has a string constant, and the database has {why}: PostgreSQL can run that CHECK while it \
                 parses a constant of a type that holds the domain, before warroom can see the statement; \
                 nothing was sent"
            )]));
        }
        Ok(database)
    }

    /// The statement's Parse between warroom's own switching of the tree on and off, with the
    /// COPY prepared behind it; with `gate` (the hashes of the domain checks known to call only
    /// built-ins), the transaction's start, the gate and the json casts in front of it.
    async fn parse_with_tree(
        &mut self,
        sql: &str,
        copy: Option<(&str, usize)>,
        gate: Option<&str>,
        named: &BTreeSet<String>,
    ) -> Result<Parsed, Parse> {
        let failed = |e: tokio_postgres::Error| Parse::Failed(DbError::from_pg(e));
        let (gate_query, json_query) =
            (self.own(resolve::GATE).map_err(Parse::Failed)?, self.own(resolve::JSON_CASTS).map_err(Parse::Failed)?);
        let client = &self.client;
        let start_sql = gate.map(|safe| {
            format!("{SETUP}; SELECT pg_catalog.set_config('warroom.safe', {}, true)", guard::sql_literal(safe))
        });
        let start = async {
            match &start_sql {
                Some(s) => {
                    let (started, gated, json) = tokio::join!(
                        client.batch_execute(s),
                        client.query(&gate_query, &[]),
                        client.query(&json_query, &[])
                    );
                    started?;
                    gated?;
                    json.map(Some)
                }
                None => Ok(None),
            }
        };
        let on_sql = format!(
            "{}; SELECT pg_catalog.set_config('warroom.names', {}, true); SET LOCAL debug_print_parse = on",
            self.user_search_path(),
            guard::sql_literal(&resolve::relation_names(named))
        );
        let on = client.batch_execute(&on_sql);
        // Parse and describe the statement alone: the server refuses two statements here.
        let prepare = client.prepare(sql);
        // Before 16 an EXPLAIN's tree is printed as `?`: its statement is parsed on its own too.
        let inner = guard::explained_statement(sql).filter(|_| self.info.version_num < 160000);
        let prepare_inner = prepare_opt(client, inner);
        let off = client.batch_execute(resolve::PRINT_OFF);
        let prepare_copy = prepare_opt(client, copy.map(|c| c.0));
        // Behind them, the facts of the relations the text names. Prepared on the first read
        // under the user's path, its plan then stays valid: it always runs under that path.
        let by_name = self.by_name.clone();
        let relation_facts = async {
            match &by_name {
                Some(q) => client.query(q, &[]).await.map(|rows| (rows, None)),
                None if named.is_empty() => Ok((Vec::new(), None)),
                None => client.prepare(resolve::RELATION_FACTS_BY_NAME).await.map(|q| (Vec::new(), Some(q))),
            }
        };
        let (json_casts, on, statement, inner_statement, off, copy_statement, relation_facts) =
            tokio::join!(start, on, prepare, prepare_inner, off, prepare_copy, relation_facts);
        let json_casts = match json_casts {
            Err(e) if resolve::gate_closed(&e) => return Err(Parse::GateClosed),
            other => other.map_err(failed)?,
        };
        on.map_err(failed)?;
        let statement = statement.map_err(failed)?;
        let before_inner = sql.len() - inner.map_or(sql.len(), str::len);
        let inner_shift = sql[..before_inner].chars().count();
        drop(inner_statement.map_err(|e| Parse::Failed(DbError::from_pg(e).shift(inner_shift)))?);
        off.map_err(failed)?;
        let copy = copy_statement.map_err(|e| Parse::Failed(DbError::from_pg(e).shift(copy.map_or(0, |c| c.1))))?;
        let (relation_facts, prepared) = relation_facts.map_err(|e| Parse::Failed(unreadable(e)))?;
        match prepared {
            Some(q) => self.by_name = Some(q),
            None if by_name.is_some() => self.fact_queries += 1,
            None => {}
        }
        let mut notices = Vec::new();
        while let Ok(n) = self.notices.try_recv() {
            notices.push(n);
        }
        let trees = resolve::statement_trees(&notices, 1 + usize::from(inner.is_some())).map_err(Parse::Failed)?;
        Ok(Parsed { statement, copy, trees, explained: inner.is_some(), json_casts, relation_facts })
    }

    /// One of warroom's own prepared queries.
    fn own(&self, sql: &'static str) -> Result<Statement, DbError> {
        self.prepared.get(sql).cloned().ok_or_else(|| DbError::Decode("warroom's own queries were not prepared".into()))
    }

    /// The transaction and the statement prepared as they were before the server's tree was
    /// asked for, in one round trip: for tests that go past the guard, and the benchmark's
    /// baseline.
    async fn begin_unproved(&mut self, sql: &str, copy: Option<(&str, usize)>) -> Result<Proved, DbError> {
        let client = &self.client;
        let start = format!("START TRANSACTION READ ONLY; {}", self.user_search_path());
        let (started, statement, copy_statement) =
            tokio::join!(client.batch_execute(&start), client.prepare(sql), prepare_opt(client, copy.map(|c| c.0)));
        started.map_err(DbError::from_pg)?;
        let statement = statement.map_err(DbError::from_pg)?;
        let copy = copy_statement.map_err(|e| DbError::from_pg(e).shift(copy.map_or(0, |c| c.1)))?;
        Ok(Proved { statement, copy, user_tables: true })
    }

    /// Inside a read: the database's search path for the user's statement, pg_catalog first.
    fn user_search_path(&self) -> String {
        let path = guard::sql_literal(&format!("pg_catalog, {}", self.search_path));
        format!("SELECT pg_catalog.set_config('search_path', {path}, true)")
    }

    /// What the judge decides with: this server's built-ins and the facts read so far.
    fn context<'a>(&'a self, facts: &'a Facts, opaque_utility_ok: bool) -> Result<Context<'a>, DbError> {
        Ok(Context {
            version_num: self.info.version_num,
            builtins: self.builtins.as_ref().ok_or_else(|| DbError::Decode("no built-in facts".into()))?,
            facts,
            trusted_servers: &self.limits.trusted_servers,
            opaque_utility_ok,
        })
    }

    /// Sets `database.failing`: the domains whose checks do not pass, reading the facts the
    /// judge asks for (for every domain at once) until each is decided.
    async fn judge_domains(&mut self, database: &mut resolved::Database, facts: &mut Facts) -> Result<(), DbError> {
        for _ in 0..MAX_ROUNDS {
            let judged = resolved::judge_domains(database, &self.context(facts, false)?);
            if judged.wanted.is_empty() {
                database.failing = judged.failing;
                return Ok(());
            }
            self.read_facts(&judged.wanted, facts).await?;
        }
        Err(DbError::Refused(vec!["the database's domain checks could not be judged".into()]))
    }

    /// Judges the statement's trees, reading the facts the judge asks for until it decides;
    /// refused, with the reasons, unless it is a read.
    async fn judge(
        &mut self,
        trees: &[&Tree],
        database: &resolved::Database,
        facts: &mut Facts,
        opaque_utility_ok: bool,
    ) -> Result<(), DbError> {
        for _ in 0..MAX_ROUNDS {
            match resolved::judge(trees, database, &self.context(facts, opaque_utility_ok)?) {
                Judged::Read => return Ok(()),
                Judged::Refused(reasons) => return Err(DbError::Refused(reasons)),
                Judged::Need(wanted) => {
                    let before = facts.len();
                    self.read_facts(&wanted, facts).await?;
                    if facts.len() == before {
                        return Err(DbError::Refused(vec![
                            "names objects that are gone from the catalog (dropped while it was checked)".into(),
                        ]));
                    }
                }
            }
        }
        Err(DbError::Refused(vec![format!(
            "reaches views, policies or domains nested deeper than {MAX_ROUNDS} levels; it cannot be proven read-only"
        )]))
    }

    /// One round trip of facts about `wanted`.
    async fn read_facts(&mut self, wanted: &resolved::Wanted, facts: &mut Facts) -> Result<(), DbError> {
        self.fact_reads += 1;
        self.fact_queries += 1;
        let rows = self.own_query(&resolve::fact_queries(wanted), &resolve::facts_params(wanted)).await;
        resolve::add_facts(facts, &rows.map_err(unreadable)?)
    }

    /// warroom's own queries of a read, prepared together on the connection's first read,
    /// outside any transaction: under warroom's own search path.
    async fn prepare_own(&mut self) -> Result<(), tokio_postgres::Error> {
        const OWN: [&str; 7] = [
            resolve::DOMAINS,
            resolve::JSON_CASTS,
            resolve::GATE,
            resolve::FUNCTION_FACTS,
            resolve::OPERATOR_FACTS,
            resolve::RELATION_FACTS,
            TABLE_SIZES,
        ];
        if OWN.iter().all(|q| self.prepared.contains_key(q)) {
            return Ok(());
        }
        let client = &self.client;
        let prepared = futures_util::future::join_all(OWN.iter().map(|q| client.prepare(q))).await;
        for (sql, statement) in OWN.into_iter().zip(prepared) {
            self.prepared.insert(sql, statement?);
        }
        Ok(())
    }

    /// Some of warroom's own prepared queries inside a read, in one round trip: under
    /// warroom's own search path, the user's put back after them. What they ask about
    /// (`wanted`, JSON) travels as the setting `warroom.wanted`: they have no parameter, so
    /// their plans are made once for the connection. Their rows, one after the other.
    async fn own_query(
        &mut self,
        sqls: &[&'static str],
        wanted: &str,
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        self.prepare_own().await?;
        let statements: Vec<Statement> = sqls.iter().filter_map(|q| self.prepared.get(q).cloned()).collect();
        let back = self.user_search_path();
        let pin = format!(
            "SET LOCAL search_path = pg_catalog; SELECT pg_catalog.set_config('warroom.wanted', {}, true)",
            guard::sql_literal(wanted)
        );
        let client = &self.client;
        let (pinned, rows, restored) = tokio::join!(
            client.batch_execute(&pin),
            futures_util::future::join_all(statements.iter().map(|s| client.query(s, &[]))),
            client.batch_execute(&back)
        );
        pinned?;
        let mut all = Vec::new();
        for r in rows {
            all.extend(r?);
        }
        restored?;
        Ok(all)
    }

    /// The planner's estimate from EXPLAIN's JSON, with the sizes of the tables it scans
    /// sequentially (read once per connection).
    async fn estimate(
        &mut self,
        rows: Vec<tokio_postgres::Row>,
        limits: HeavyLimits,
    ) -> Result<heavy::Estimate, DbError> {
        let text: &[u8] = rows.first().map_or(b"null", |r| r.get::<_, Raw>(0).0);
        let plan: serde_json::Value = serde_json::from_slice(text)
            .map_err(|e| DbError::Decode(format!("the planner's estimate is not JSON: {e}")))?;
        let missing: Vec<(String, String)> =
            heavy::seq_scanned(&plan).into_iter().filter(|t| !self.table_sizes.contains_key(t)).collect();
        if !missing.is_empty() {
            let want = serde_json::to_string(&missing).unwrap_or_default();
            let rows = self.own_query(&[TABLE_SIZES], &want).await.map_err(DbError::from_pg)?;
            for r in rows {
                let rows: Option<f64> = r.get(2);
                let pages: f64 = r.get(3);
                self.table_sizes.insert((r.get(0), r.get(1)), TableSize { rows, pages });
            }
        }
        Ok(heavy::estimate(&plan, &self.table_sizes, limits))
    }

    /// Statements whose rows COPY cannot carry (SHOW, EXPLAIN) or that return none, from the
    /// statement prepared (and judged) in the open transaction.
    async fn run_through_portal(
        &mut self,
        statement: Statement,
        limit: Option<u64>,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, DbError> {
        let columns: Vec<Column> = statement.columns().iter().map(|c| column(c.name(), c.type_())).collect();
        let outcome = portal_rows(&self.client, &statement, &columns, limit, sink).await?;
        drop(statement);
        Ok(outcome)
    }

    /// Drops what a read could have left in the session: cursors, listeners, advisory
    /// locks, temporary objects, settings, roles and SQL-level prepared statements; then
    /// pins the search path to pg_catalog again (RESET ALL brought back the database's).
    async fn reset(&self) -> Result<(), DbError> {
        if self.client.is_closed() {
            return Ok(());
        }
        // Sent together: the reset (RESET ALL brings back the role's timeouts, so the ones in
        // force are set again in the same batch), then the question whether SQL-level prepared
        // statements remain.
        let again: String = self
            .info
            .timeouts
            .iter()
            .map(|t| format!(", pg_catalog.set_config('{}', '{}', false)", t.name, t.in_force_ms))
            .collect();
        let batch = format!(
            "ROLLBACK; CLOSE ALL; UNLISTEN *; SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD TEMP; \
             DISCARD SEQUENCES; RESET ALL; RESET ROLE; RESET SESSION AUTHORIZATION; \
             SELECT pg_catalog.set_config('search_path', 'pg_catalog', false){again}"
        );
        let (reset, prepared) = tokio::join!(
            self.client.batch_execute(&batch),
            self.client.query_typed("SELECT name FROM pg_catalog.pg_prepared_statements WHERE from_sql", &[]),
        );
        reset.map_err(DbError::from_pg)?;
        for row in prepared.map_err(DbError::from_pg)? {
            let name: String = row.get(0);
            self.client
                .batch_execute(&format!("DEALLOCATE \"{}\"", name.replace('"', "\"\"")))
                .await
                .map_err(DbError::from_pg)?;
        }
        Ok(())
    }

    /// Both proofs for `sql`, nothing run: the guard's from the text, then the server's
    /// analysed tree of it, judged by OID with facts read fresh for this statement, in a
    /// read-only transaction that is rolled back. Refused, with the reasons, unless both
    /// say it is a read.
    pub async fn check(&mut self, sql: &str) -> Result<(), DbError> {
        let (read, named) = text_read(sql)?;
        let proved = self.begin_proved(&read, None, &named).await;
        let reset = self.reset().await;
        proved?;
        reset
    }

    /// The relation a name the user gave means, as the user's statements resolve it (the
    /// database's search path, pg_catalog first): its OID, or `None` when there is none.
    /// The one place warroom resolves a name through the user's path; the query has no
    /// operator and every name in it qualified.
    pub async fn resolve_relation(&mut self, name: &str) -> Result<Option<u32>, DbError> {
        let rows =
            self.in_user_path("SELECT pg_catalog.to_regclass($1)::pg_catalog.oid::pg_catalog.text", &[name]).await?;
        Ok(rows.first().and_then(|r| r[0].as_deref()).and_then(|o| o.parse().ok()))
    }

    /// How the user's statements would name each relation (schema-qualified only where the
    /// database's search path does not reach it), by OID.
    pub async fn relation_names(&mut self, oids: &[u32]) -> Result<HashMap<u32, String>, DbError> {
        let list = serde_json::to_string(oids).unwrap_or_default();
        let rows = self
            .in_user_path(
                "SELECT x, x::pg_catalog.oid::pg_catalog.regclass::pg_catalog.text                  FROM pg_catalog.jsonb_array_elements_text($1::pg_catalog.jsonb) x",
                &[&list],
            )
            .await?;
        Ok(rows.into_iter().filter_map(|r| Some((r[0].as_deref()?.parse().ok()?, r[1].clone()?))).collect())
    }

    /// One of warroom's own fixed queries under the user's search path, in a read-only
    /// transaction of its own: one round trip.
    async fn in_user_path(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let start = format!("START TRANSACTION READ ONLY; {}", self.user_search_path());
        let params: Vec<(&(dyn tokio_postgres::types::ToSql + Sync), Type)> =
            params.iter().map(|p| (p as &(dyn tokio_postgres::types::ToSql + Sync), Type::TEXT)).collect();
        let client = &self.client;
        let (started, rows, ended) = tokio::join!(
            client.batch_execute(&start),
            client.query_typed(sql, &params),
            client.batch_execute("ROLLBACK")
        );
        started.map_err(DbError::from_pg)?;
        let rows = rows.map_err(DbError::from_pg)?;
        ended.map_err(DbError::from_pg)?;
        Ok(rows.iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect()).collect())
    }

    /// Runs one of warroom's own fixed catalog queries (never user SQL) with text
    /// parameters; every column must be text. One round trip (see [`Session::catalog`]).
    pub async fn facts(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let params: Vec<(&(dyn tokio_postgres::types::ToSql + Sync), Type)> =
            params.iter().map(|p| (p as &(dyn tokio_postgres::types::ToSql + Sync), Type::TEXT)).collect();
        let rows = self.client.query_typed(sql, &params).await.map_err(DbError::from_pg)?;
        Ok(rows.iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect()).collect())
    }

    /// Runs one of warroom's own catalog queries (never user SQL) in one round trip: Parse,
    /// Bind and Execute sent together, in the implicit transaction that the session's
    /// default_transaction_read_only makes read-only.
    pub(crate) async fn catalog(&self, sql: &str) -> Result<Vec<tokio_postgres::Row>, DbError> {
        self.client.query_typed(sql, &[]).await.map_err(DbError::from_pg)
    }
}

/// How a read's transaction starts: read-only, LOG notices to the client, the tree compact.
const SETUP: &str =
    "START TRANSACTION READ ONLY; SET LOCAL client_min_messages = log; SET LOCAL debug_pretty_print = off";

/// The statement parsed with its tree (and, through the gate, the json casts).
struct Parsed {
    statement: Statement,
    copy: Option<Statement>,
    trees: Vec<Tree>,
    /// Before 16: an EXPLAIN's statement was parsed and judged on its own.
    explained: bool,
    json_casts: Option<Vec<tokio_postgres::Row>>,
    /// The facts of the relations the text names.
    relation_facts: Vec<tokio_postgres::Row>,
}

enum Parse {
    /// The gate found a domain check not judged yet: nothing was analysed.
    GateClosed,
    Failed(DbError),
}

/// A statement proved read-only and prepared in its open transaction.
struct Proved {
    statement: Statement,
    copy: Option<Statement>,
    /// Its tree reads a table of the database's own (the heavy-read limits apply).
    user_tables: bool,
}

/// The first proof, from the text alone: the guard as it stands where the server will judge
/// what only it can know (a cast to a type of the database's, a trusted extension's function).
/// On success, the relations the text names (their facts come with the Parse).
/// The read a statement is, once the text proof passes, with the relations it names:
/// `COPY (query) TO STDOUT` is its query, whose rows come back like any read's.
fn text_read(sql: &str) -> Result<(std::borrow::Cow<'_, str>, BTreeSet<String>), DbError> {
    let named = text_proof(sql)?;
    match guard::copy_query(sql) {
        Some(query) => {
            let named = text_proof(&query)?;
            Ok((query, named))
        }
        None => Ok((sql.into(), named)),
    }
}

fn text_proof(sql: &str) -> Result<BTreeSet<String>, DbError> {
    let review = guard::review_best_case(sql);
    if review.verdict() == guard::Class::Read {
        return Ok(guard::mentions(&review).relations);
    }
    Err(DbError::Refused(review.writes().flat_map(|s| s.reasons.iter().cloned()).collect()))
}

/// A catalog query of the proof that failed: the read cannot be proven (a lost connection
/// stays one).
fn unreadable(e: tokio_postgres::Error) -> DbError {
    match DbError::from_pg(e) {
        e @ DbError::Lost(_) => e,
        e => DbError::Refused(vec![format!(
            "the catalog facts this read needs could not be read ({e}), so it cannot be proven read-only"
        )]),
    }
}

/// Rounds of fact reading for one statement: views in views, policies, domains.
const MAX_ROUNDS: usize = 12;

/// Prepares `sql` when there is one (in the order the futures are polled).
async fn prepare_opt(client: &Client, sql: Option<&str>) -> Result<Option<Statement>, tokio_postgres::Error> {
    match sql {
        Some(s) => client.prepare(s).await.map(Some),
        None => Ok(None),
    }
}

fn column(name: &str, ty: &Type) -> Column {
    let base = match ty.kind() {
        Kind::Domain(base) => base,
        _ => ty,
    };
    let kind = match *base {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC | Type::OID => {
            ValueKind::Number
        }
        Type::BOOL => ValueKind::Bool,
        _ if base.name() == "money" || base.name() == "xid" || base.name() == "cid" => ValueKind::Number,
        _ => ValueKind::Text,
    };
    Column { name: name.to_string(), type_name: ty.name().to_string(), kind }
}

/// Rows in the server's own text rendering (what psql shows), streamed through COPY.
/// The COPY that carries a read's rows (the row limit as `LIMIT n+1`), and how many
/// characters it puts before the read's own text.
/// With `csv`, the server writes CSV with a header (for a sink that takes it, every row).
fn copy_of(sql: &str, limit: Option<u64>, csv: bool) -> (String, usize) {
    let body = guard::without_terminator(sql);
    let (prefix, suffix) = match limit {
        Some(n) => ("COPY (SELECT * FROM (\n".to_string(), format!("\n) AS warroom_read LIMIT {}) TO STDOUT", n + 1)),
        None if csv => ("COPY (\n".to_string(), "\n) TO STDOUT (FORMAT csv, HEADER)".to_string()),
        None => ("COPY (\n".to_string(), "\n) TO STDOUT".to_string()),
    };
    (format!("{prefix}{body}{suffix}"), prefix.chars().count())
}

/// Rows in the server's own text rendering (what psql shows), streamed through the prepared
/// COPY: its Bind and Execute are sent on the first poll, before anything queued after it.
async fn copy_rows(
    client: &Client,
    copy: &Statement,
    prefix_chars: usize,
    limit: Option<u64>,
    sink: &mut dyn RowSink,
    no_columns: bool,
) -> Result<Outcome, DbError> {
    let stream = client.copy_out(copy).await.map_err(|e| DbError::from_pg(e).shift(prefix_chars))?;
    pin_mut!(stream);
    let mut pending: Vec<u8> = Vec::new();
    let mut decoder = CopyDecoder::default();
    let mut rows = 0u64;
    let mut more = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| DbError::from_pg(e).shift(prefix_chars))?;
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(nl) = pending[start..].iter().position(|b| *b == b'\n') {
            let line = &pending[start..start + nl];
            start += nl + 1;
            if limit.is_some_and(|n| rows >= n) {
                more = true;
                continue;
            }
            if no_columns {
                sink.row(&[]).map_err(DbError::Output)?;
            } else {
                let values = decoder.decode(line)?;
                sink.row(&values).map_err(DbError::Output)?;
            }
            rows += 1;
        }
        pending.drain(..start);
    }
    Ok(Outcome { rows, more, elapsed: Duration::ZERO })
}

/// The server's CSV, passed to the sink as it comes; the rows are counted by the line
/// ends outside quoted fields (a quoted field may hold a line end), less the header's.
async fn csv_rows(
    client: &Client,
    copy: &Statement,
    prefix_chars: usize,
    sink: &mut dyn RowSink,
) -> Result<Outcome, DbError> {
    let stream = client.copy_out(copy).await.map_err(|e| DbError::from_pg(e).shift(prefix_chars))?;
    pin_mut!(stream);
    let mut lines = 0u64;
    let mut quoted = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| DbError::from_pg(e).shift(prefix_chars))?;
        if !quoted && !chunk.contains(&b'"') {
            // Most rows hold no quote: their line ends are all row ends.
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        } else {
            for b in chunk.iter() {
                match b {
                    b'"' => quoted = !quoted,
                    b'\n' if !quoted => lines += 1,
                    _ => {}
                }
            }
        }
        sink.server_csv(&chunk).map_err(DbError::Output)?;
    }
    Ok(Outcome { rows: lines.saturating_sub(1), more: false, elapsed: Duration::ZERO })
}

/// Decodes COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
#[derive(Default)]
struct CopyDecoder {
    buf: String,
    ends: Vec<Option<usize>>,
}

impl CopyDecoder {
    fn decode(&mut self, line: &[u8]) -> Result<Vec<Option<&str>>, DbError> {
        self.buf.clear();
        self.ends.clear();
        let text =
            std::str::from_utf8(line).map_err(|_| DbError::Decode("the server sent a row that is not UTF-8".into()))?;
        for field in text.split('\t') {
            if field == "\\N" {
                self.ends.push(None);
                continue;
            }
            let mut chars = field.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    self.buf.push(c);
                    continue;
                }
                match chars.next() {
                    Some('n') => self.buf.push('\n'),
                    Some('t') => self.buf.push('\t'),
                    Some('r') => self.buf.push('\r'),
                    Some('b') => self.buf.push('\u{8}'),
                    Some('f') => self.buf.push('\u{c}'),
                    Some('v') => self.buf.push('\u{b}'),
                    Some(other) => self.buf.push(other),
                    None => {}
                }
            }
            self.ends.push(Some(self.buf.len()));
        }
        let mut start = 0;
        Ok(self
            .ends
            .iter()
            .map(|end| {
                end.map(|end| {
                    let s = &self.buf[start..end];
                    start = end;
                    s
                })
            })
            .collect())
    }
}

/// A column's raw bytes, whatever its type.
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Statements that return rows COPY cannot carry (SHOW, EXPLAIN) or none at all: a few rows
/// of text, all fetched, at most `limit` kept.
async fn portal_rows(
    client: &Client,
    statement: &Statement,
    columns: &[Column],
    limit: Option<u64>,
    sink: &mut dyn RowSink,
) -> Result<Outcome, DbError> {
    if !columns.is_empty() {
        sink.columns(columns).map_err(DbError::Output)?;
    }
    let types: Vec<Type> = statement.columns().iter().map(|c| c.type_().clone()).collect();
    let stream = client
        .query_raw(statement, std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>())
        .await
        .map_err(DbError::from_pg)?;
    pin_mut!(stream);
    let mut rows = 0u64;
    while let Some(row) = stream.next().await {
        let row = row.map_err(DbError::from_pg)?;
        if limit.is_some_and(|n| rows >= n) {
            return Ok(Outcome { rows, more: true, elapsed: Duration::ZERO });
        }
        let texts: Vec<Option<String>> = (0..types.len())
            .map(|i| row.try_get::<_, Option<Raw>>(i).ok().flatten().map(|raw| binary_text(&types[i], raw.0)))
            .collect();
        let values: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
        sink.row(&values).map_err(DbError::Output)?;
        rows += 1;
    }
    Ok(Outcome { rows, more: false, elapsed: Duration::ZERO })
}

/// Renders the binary values SHOW and EXPLAIN return (text, json, xml) and simple scalars.
fn binary_text(ty: &Type, raw: &[u8]) -> String {
    match *ty {
        Type::JSONB if raw.first() == Some(&1) => String::from_utf8_lossy(&raw[1..]).into_owned(),
        Type::BOOL => if raw == [1] { "t" } else { "f" }.to_string(),
        Type::INT2 if raw.len() == 2 => i16::from_be_bytes(raw.try_into().expect("2 bytes")).to_string(),
        Type::INT4 if raw.len() == 4 => i32::from_be_bytes(raw.try_into().expect("4 bytes")).to_string(),
        Type::INT8 if raw.len() == 8 => i64::from_be_bytes(raw.try_into().expect("8 bytes")).to_string(),
        Type::OID if raw.len() == 4 => u32::from_be_bytes(raw.try_into().expect("4 bytes")).to_string(),
        Type::FLOAT8 if raw.len() == 8 => f64::from_be_bytes(raw.try_into().expect("8 bytes")).to_string(),
        Type::FLOAT4 if raw.len() == 4 => f32::from_be_bytes(raw.try_into().expect("4 bytes")).to_string(),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON | Type::XML | Type::UNKNOWN => {
            String::from_utf8_lossy(raw).into_owned()
        }
        _ => match std::str::from_utf8(raw) {
            Ok(s) if !s.contains('\0') => s.to_string(),
            _ => format!("({} bytes of {})", raw.len(), ty.name()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_format_decodes_nulls_tabs_and_escapes() {
        let mut d = CopyDecoder::default();
        let v = d.decode(b"1\t\\N\t\ta\\tb\\nc\\\\d").unwrap();
        assert_eq!(v, vec![Some("1"), None, Some(""), Some("a\tb\nc\\d")]);
    }

    #[test]
    fn binary_scalars_render_like_psql() {
        assert_eq!(binary_text(&Type::INT2, &(-5i16).to_be_bytes()), "-5");
        assert_eq!(binary_text(&Type::INT8, &(1i64 << 40).to_be_bytes()), "1099511627776");
        assert_eq!(binary_text(&Type::BOOL, &[1]), "t");
        assert_eq!(binary_text(&Type::JSONB, b"\x01{\"a\": 1}"), "{\"a\": 1}");
        assert_eq!(binary_text(&Type::TEXT, b"Seq Scan on t"), "Seq Scan on t");
    }
}
