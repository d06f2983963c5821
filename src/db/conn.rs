//! Connection settings as libpq resolves them: a URL or `key=value` conninfo, then the
//! service file, then `PG*` environment variables, then defaults; the password from
//! `~/.pgpass` when none is given. tokio-postgres reads none of these itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Keywords warroom understands, as libpq spells them, with their environment variable.
const KEYWORDS: &[(&str, Option<&str>)] = &[
    ("host", Some("PGHOST")),
    ("hostaddr", Some("PGHOSTADDR")),
    ("port", Some("PGPORT")),
    ("dbname", Some("PGDATABASE")),
    ("user", Some("PGUSER")),
    ("password", Some("PGPASSWORD")),
    ("passfile", Some("PGPASSFILE")),
    ("service", Some("PGSERVICE")),
    ("sslmode", Some("PGSSLMODE")),
    ("sslrootcert", Some("PGSSLROOTCERT")),
    ("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    ("application_name", Some("PGAPPNAME")),
    ("options", Some("PGOPTIONS")),
    ("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
];

/// Keywords libpq knows that warroom refuses rather than silently ignores.
const UNSUPPORTED: &[&str] = &[
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "requiressl",
    "replication",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnError {
    #[error("the connection string is not valid: {0}")]
    Syntax(String),
    #[error("unknown connection option \"{0}\"; warroom understands {list}", list = known_list())]
    UnknownOption(String),
    #[error("connection option \"{0}\" is not supported by warroom (no client certificates or Kerberos yet)")]
    Unsupported(String),
    #[error("invalid {key} \"{value}\": {why}")]
    Value { key: String, value: String, why: String },
    #[error("definition of service \"{0}\" not found in {1}")]
    ServiceNotFound(String, String),
    #[error("cannot read {0}: {1}")]
    File(String, String),
    #[error("cannot tell which user to connect as: set PGUSER or put user=NAME in the connection string")]
    NoUser,
}

fn known_list() -> String {
    KEYWORDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
}

/// How TLS is negotiated and what of the server's certificate is checked (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// One host to try: a name, an IP address, or a Unix socket directory (starts with `/` or `@`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub host: String,
    pub port: u16,
}

impl Host {
    pub fn is_socket(&self) -> bool {
        is_socket_path(&self.host)
    }
}

fn is_socket_path(host: &str) -> bool {
    host.starts_with('/') || host.starts_with('@')
}

/// A password that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

/// `target_session_attrs`: which of several hosts to use, as libpq chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAttrs {
    Any,
    /// read-write and primary: a server that is not in recovery.
    Primary,
    /// read-only and standby: a server in recovery (warroom's own session is always
    /// read-only, so libpq's read-only can only mean a server that is read-only for all).
    Standby,
    /// A standby if any host is one, else any server.
    PreferStandby,
}

impl SessionAttrs {
    pub fn parse(value: &str) -> Option<SessionAttrs> {
        Some(match value {
            "any" => SessionAttrs::Any,
            "read-write" | "primary" => SessionAttrs::Primary,
            "read-only" | "standby" => SessionAttrs::Standby,
            "prefer-standby" => SessionAttrs::PreferStandby,
            _ => return None,
        })
    }
}

/// Fully resolved settings for one connection.
#[derive(Debug, Clone)]
pub struct Target {
    pub hosts: Vec<Host>,
    pub hostaddr: Option<std::net::IpAddr>,
    pub user: String,
    pub dbname: String,
    pub password: Option<Secret>,
    pub sslmode: SslMode,
    /// The CA file to verify the server against, when one is named or `~/.postgresql/root.crt` exists.
    pub sslrootcert: Option<PathBuf>,
    pub connect_timeout: Option<Duration>,
    pub application_name: Option<String>,
    pub options: Option<String>,
    pub target_session_attrs: Option<String>,
    /// Where the password came from, for the banner and doctor; never the password itself.
    pub password_source: Option<String>,
    /// Things the user should know (an insecure `.pgpass` that was skipped, say).
    pub warnings: Vec<String>,
}

impl Target {
    /// Which host to take among several (`target_session_attrs`, default any).
    pub fn session_attrs(&self) -> SessionAttrs {
        self.target_session_attrs.as_deref().and_then(SessionAttrs::parse).unwrap_or(SessionAttrs::Any)
    }

    /// A description safe to print and to journal: no password.
    pub fn describe(&self) -> String {
        format!("{} as {} on {}", self.dbname, self.user, self.hosts_label())
    }

    /// The hosts as `host:port` (or `dir (socket)`), comma-separated.
    pub fn hosts_label(&self) -> String {
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|h| if h.is_socket() { format!("{} (socket)", h.host) } else { format!("{}:{}", h.host, h.port) })
            .collect();
        hosts.join(", ")
    }
}

/// What the resolver may read from the outside world; tests pass their own.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
    fn home(&self) -> Option<PathBuf>;
    fn os_user(&self) -> Option<String>;
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    /// Whether the file is readable by group or others (libpq then ignores it).
    fn too_open(&self, path: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).map(|m| m.permissions().mode() & 0o077 != 0).unwrap_or(false)
    }
}

/// The process's real environment.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn home(&self) -> Option<PathBuf> {
        std::env::var_os("HOME").map(PathBuf::from)
    }
    fn os_user(&self) -> Option<String> {
        whoami::username().ok()
    }
}

type Params = BTreeMap<String, String>;

/// Parses a `postgres://` URL or a `key=value` conninfo string into libpq keywords.
pub fn parse_conninfo(s: &str) -> Result<Params, ConnError> {
    let t = s.trim();
    let params =
        if t.starts_with("postgresql://") || t.starts_with("postgres://") { parse_url(t)? } else { parse_kv(t)? };
    for key in params.keys() {
        check_keyword(key)?;
    }
    Ok(params)
}

fn check_keyword(key: &str) -> Result<(), ConnError> {
    if KEYWORDS.iter().any(|(k, _)| *k == key) {
        Ok(())
    } else if UNSUPPORTED.contains(&key) {
        Err(ConnError::Unsupported(key.to_string()))
    } else {
        Err(ConnError::UnknownOption(key.to_string()))
    }
}

fn parse_kv(s: &str) -> Result<Params, ConnError> {
    let mut out = Params::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(ConnError::Syntax(format!("missing \"=\" after \"{key}\"")));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(ConnError::Syntax(format!("unterminated quoted value for \"{key}\""))),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        out.insert(key, value);
    }
}

fn percent_decode(s: &str) -> Result<String, ConnError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            let byte = hex.ok_or_else(|| ConnError::Syntax(format!("invalid percent-encoding in \"{s}\"")))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ConnError::Syntax(format!("percent-encoding in \"{s}\" is not UTF-8")))
}

fn parse_url(s: &str) -> Result<Params, ConnError> {
    let mut out = Params::new();
    let rest = s.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    let hostlist = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                out.insert("user".into(), percent_decode(user)?);
            }
            if let Some(p) = password {
                out.insert("password".into(), percent_decode(p)?);
            }
            hosts
        }
        None => authority,
    };
    if !hostlist.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for part in hostlist.split(',') {
            let (host, port) = if let Some(v6) = part.strip_prefix('[') {
                let (h, after) = v6
                    .split_once(']')
                    .ok_or_else(|| ConnError::Syntax(format!("missing \"]\" in IPv6 host \"{part}\"")))?;
                (h.to_string(), after.strip_prefix(':').unwrap_or_default())
            } else {
                match part.rsplit_once(':') {
                    Some((h, p)) => (percent_decode(h)?, p),
                    None => (percent_decode(part)?, ""),
                }
            };
            hosts.push(host);
            ports.push(port.to_string());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            out.insert("host".into(), hosts.join(","));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            out.insert("port".into(), ports.join(","));
        }
    }
    if let Some(db) = path.filter(|p| !p.is_empty()) {
        out.insert("dbname".into(), percent_decode(db)?);
    }
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| ConnError::Syntax(format!("missing \"=\" in URL parameter \"{pair}\"")))?;
        let (k, v) = (percent_decode(k)?, percent_decode(v)?);
        // JDBC's spelling, which libpq accepts too.
        if k == "ssl" && v == "true" {
            out.insert("sslmode".into(), "require".into());
        } else {
            out.insert(k, v);
        }
    }
    Ok(out)
}

/// Reads one service's section from a `pg_service.conf`-style file.
fn service_section(text: &str, name: &str) -> Option<Params> {
    let mut found: Option<Params> = None;
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if found.is_some() {
                break;
            }
            in_section = section.trim() == name;
            if in_section {
                found = Some(Params::new());
            }
        } else if in_section && let Some((k, v)) = line.split_once('=') {
            found.as_mut()?.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    found
}

fn service_params(name: &str, env: &dyn Environment) -> Result<Params, ConnError> {
    let mut tried = Vec::new();
    let user_file =
        env.var("PGSERVICEFILE").map(PathBuf::from).or_else(|| env.home().map(|h| h.join(".pg_service.conf")));
    let sysconf = env.var("PGSYSCONFDIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/etc/postgresql-common"));
    for file in user_file.into_iter().chain([sysconf.join("pg_service.conf")]) {
        tried.push(file.display().to_string());
        if !env.exists(&file) {
            continue;
        }
        let text = env.read(&file).map_err(|e| ConnError::File(file.display().to_string(), e.to_string()))?;
        if let Some(params) = service_section(&text, name) {
            for key in params.keys() {
                if key == "service" {
                    return Err(ConnError::Syntax(format!(
                        "nested service specifications are not supported in {}",
                        file.display()
                    )));
                }
                check_keyword(key)?;
            }
            return Ok(params);
        }
    }
    Err(ConnError::ServiceNotFound(name.to_string(), tried.join(" or ")))
}

/// Matches one `.pgpass` field: `*` matches anything, `\:` and `\\` are escapes.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().expect("never empty").extend(chars.next()),
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

fn pgpass_lookup(text: &str, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|line| {
        let fields = pgpass_fields(line);
        if fields.len() < 5 {
            return None;
        }
        let matches = fields.iter().zip(wanted).all(|(f, w)| f == "*" || f == w);
        // Everything after the fourth separator is the password, colons included.
        matches.then(|| fields[4..].join(":"))
    })
}

/// Resolves connection settings as libpq does: explicit conninfo, then the service file,
/// then the environment, then defaults.
pub fn resolve(conninfo: Option<&str>, env: &dyn Environment) -> Result<Target, ConnError> {
    let mut params = match conninfo {
        Some(s) => parse_conninfo(s)?,
        None => Params::new(),
    };
    let service = params.get("service").cloned().or_else(|| env.var("PGSERVICE"));
    if let Some(name) = service {
        for (k, v) in service_params(&name, env)? {
            params.entry(k).or_insert(v);
        }
    }
    for (key, var) in KEYWORDS {
        if let Some(var) = var
            && !params.contains_key(*key)
            && let Some(v) = env.var(var)
        {
            params.insert(key.to_string(), v);
        }
    }
    let get = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();

    let host_list: Vec<String> = match get("host") {
        Some(h) => h.split(',').map(str::to_string).collect(),
        None => {
            let socket = ["/var/run/postgresql", "/tmp"].into_iter().find(|d| env.exists(Path::new(d)));
            vec![socket.unwrap_or("localhost").to_string()]
        }
    };
    let port_list: Vec<u16> = match get("port") {
        Some(p) => p
            .split(',')
            .map(|p| {
                if p.is_empty() {
                    return Ok(5432);
                }
                p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| ConnError::Value {
                    key: "port".into(),
                    value: p.into(),
                    why: "a port is a number from 1 to 65535".into(),
                })
            })
            .collect::<Result<_, _>>()?,
        None => vec![5432],
    };
    if port_list.len() != 1 && port_list.len() != host_list.len() {
        return Err(ConnError::Value {
            key: "port".into(),
            value: get("port").unwrap_or_default(),
            why: format!("give one port, or one for each of the {} hosts", host_list.len()),
        });
    }
    let hosts: Vec<Host> = host_list
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = if h.is_empty() { "localhost".to_string() } else { h.clone() };
            Host { host, port: *port_list.get(i).unwrap_or(&port_list[0]) }
        })
        .collect();

    let hostaddr = match get("hostaddr") {
        Some(a) => Some(a.parse().map_err(|_| ConnError::Value {
            key: "hostaddr".into(),
            value: a.clone(),
            why: "hostaddr is a numeric IPv4 or IPv6 address".into(),
        })?),
        None => None,
    };
    let user = get("user").or_else(|| env.os_user()).ok_or(ConnError::NoUser)?;
    let dbname = get("dbname").unwrap_or_else(|| user.clone());
    let sslmode = match get("sslmode") {
        Some(m) => SslMode::parse(&m).ok_or_else(|| ConnError::Value {
            key: "sslmode".into(),
            value: m.clone(),
            why: "use disable, allow, prefer, require, verify-ca or verify-full".into(),
        })?,
        None => SslMode::Prefer,
    };
    let sslrootcert = match get("sslrootcert") {
        Some(p) if p == "system" => {
            return Err(ConnError::Value {
                key: "sslrootcert".into(),
                value: p,
                why: "the system trust store is not supported yet; name a CA file".into(),
            });
        }
        Some(p) => Some(PathBuf::from(p)),
        None => env.home().map(|h| h.join(".postgresql/root.crt")).filter(|p| env.exists(p)),
    };
    let connect_timeout = match get("connect_timeout") {
        Some(t) => {
            let secs: i64 = t.parse().map_err(|_| ConnError::Value {
                key: "connect_timeout".into(),
                value: t.clone(),
                why: "a whole number of seconds".into(),
            })?;
            // libpq: zero or negative waits forever, and anything under 2 s counts as 2 s.
            (secs > 0).then(|| Duration::from_secs(secs.max(2) as u64))
        }
        None => None,
    };
    if let Some(tsa) = get("target_session_attrs")
        && SessionAttrs::parse(&tsa).is_none()
    {
        return Err(ConnError::Value {
            key: "target_session_attrs".into(),
            value: tsa,
            why: "use any, read-write, read-only, primary, standby or prefer-standby (libpq's values)".into(),
        });
    }

    let mut warnings = Vec::new();
    let mut password = get("password").map(Secret);
    let mut password_source = password.as_ref().map(|_| "the connection settings".to_string());
    if password.is_none() {
        let file = get("passfile").map(PathBuf::from).or_else(|| env.home().map(|h| h.join(".pgpass")));
        if let Some(file) = file.filter(|f| env.exists(f)) {
            if env.too_open(&file) {
                warnings.push(format!(
                    "password file {} has group or world access and was ignored; permissions should be u=rw (0600) or less: chmod 600 {}",
                    file.display(),
                    file.display()
                ));
            } else {
                let text = env.read(&file).map_err(|e| ConnError::File(file.display().to_string(), e.to_string()))?;
                let first = &hosts[0];
                let match_host = if first.is_socket() { "localhost" } else { first.host.as_str() };
                if let Some(p) = pgpass_lookup(&text, match_host, first.port, &dbname, &user) {
                    password = Some(Secret(p));
                    password_source = Some(file.display().to_string());
                }
            }
        }
    }

    Ok(Target {
        hosts,
        hostaddr,
        user,
        dbname,
        password,
        sslmode,
        sslrootcert,
        connect_timeout,
        application_name: get("application_name"),
        options: get("options"),
        target_session_attrs: get("target_session_attrs"),
        password_source,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct FakeEnv {
        vars: HashMap<&'static str, String>,
        files: HashMap<PathBuf, String>,
        open: Vec<PathBuf>,
    }

    impl Environment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).cloned()
        }
        fn home(&self) -> Option<PathBuf> {
            Some(PathBuf::from("/home/oncall"))
        }
        fn os_user(&self) -> Option<String> {
            Some("oncall".into())
        }
        fn exists(&self, path: &Path) -> bool {
            self.files.contains_key(path) || path == Path::new("/var/run/postgresql")
        }
        fn read(&self, path: &Path) -> std::io::Result<String> {
            self.files.get(path).cloned().ok_or_else(|| std::io::ErrorKind::NotFound.into())
        }
        fn too_open(&self, path: &Path) -> bool {
            self.open.iter().any(|p| p == path)
        }
    }

    fn env(vars: &[(&'static str, &str)]) -> FakeEnv {
        FakeEnv { vars: vars.iter().map(|(k, v)| (*k, v.to_string())).collect(), ..Default::default() }
    }

    #[test]
    fn url_with_everything() {
        let t = resolve(
            Some("postgresql://ro%40corp:p%3Ass@db.internal:6432/app%20db?sslmode=verify-full&connect_timeout=1&application_name=x"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(t.user, "ro@corp");
        assert_eq!(t.password.unwrap().expose(), "p:ss");
        assert_eq!(t.hosts, vec![Host { host: "db.internal".into(), port: 6432 }]);
        assert_eq!(t.dbname, "app db");
        assert_eq!(t.sslmode, SslMode::VerifyFull);
        assert_eq!(t.connect_timeout, Some(Duration::from_secs(2)));
        assert_eq!(t.application_name.as_deref(), Some("x"));
    }

    #[test]
    fn url_multi_host_ipv6_and_socket() {
        let t = resolve(Some("postgres://[::1]:5433,other/db"), &env(&[])).unwrap();
        assert_eq!(t.hosts[0], Host { host: "::1".into(), port: 5433 });
        assert_eq!(t.hosts[1], Host { host: "other".into(), port: 5432 });
        let t = resolve(Some("postgresql://%2Ftmp%2Fpg/db"), &env(&[])).unwrap();
        assert!(t.hosts[0].is_socket());
        assert_eq!(t.hosts[0].host, "/tmp/pg");
        let t = resolve(Some("postgresql:///db?host=/run/pg&port=5499"), &env(&[])).unwrap();
        assert_eq!(t.hosts[0], Host { host: "/run/pg".into(), port: 5499 });
    }

    #[test]
    fn keyword_value_quoting() {
        let t = resolve(Some(r"host=h dbname = 'my \'db\'' user=u\ x password='a b'"), &env(&[])).unwrap();
        assert_eq!(t.dbname, "my 'db'");
        assert_eq!(t.user, "u x");
        assert_eq!(t.password.unwrap().expose(), "a b");
        assert!(matches!(resolve(Some("host"), &env(&[])), Err(ConnError::Syntax(_))));
        assert!(matches!(resolve(Some("dbname='x"), &env(&[])), Err(ConnError::Syntax(_))));
    }

    #[test]
    fn unknown_and_unsupported_options_are_refused() {
        assert_eq!(resolve(Some("hots=x"), &env(&[])).unwrap_err(), ConnError::UnknownOption("hots".into()));
        assert_eq!(
            resolve(Some("postgres://h/d?sslcert=x"), &env(&[])).unwrap_err(),
            ConnError::Unsupported("sslcert".into())
        );
        assert!(matches!(resolve(Some("sslmode=sometimes"), &env(&[])), Err(ConnError::Value { .. })));
        assert!(matches!(resolve(Some("port=99999"), &env(&[])), Err(ConnError::Value { .. })));
    }

    #[test]
    fn environment_fills_what_the_conninfo_leaves_out() {
        let e = env(&[
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGDATABASE", "envdb"),
            ("PGPASSWORD", "envpw"),
            ("PGSSLMODE", "require"),
            ("PGAPPNAME", "envapp"),
            ("PGCONNECT_TIMEOUT", "10"),
            ("PGHOSTADDR", "10.0.0.5"),
        ]);
        let t = resolve(None, &e).unwrap();
        assert_eq!(t.hosts, vec![Host { host: "envhost".into(), port: 6000 }]);
        assert_eq!((t.user.as_str(), t.dbname.as_str()), ("envuser", "envdb"));
        assert_eq!(t.password.unwrap().expose(), "envpw");
        assert_eq!(t.sslmode, SslMode::Require);
        assert_eq!(t.application_name.as_deref(), Some("envapp"));
        assert_eq!(t.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(t.hostaddr, Some("10.0.0.5".parse().unwrap()));
        // Explicit settings win over the environment.
        let t = resolve(Some("postgres://u@h/d"), &e).unwrap();
        assert_eq!((t.user.as_str(), t.dbname.as_str(), t.hosts[0].host.as_str()), ("u", "d", "h"));
        assert_eq!(t.hosts[0].port, 6000);
    }

    #[test]
    fn defaults_are_libpqs() {
        let t = resolve(None, &env(&[])).unwrap();
        assert_eq!(t.hosts, vec![Host { host: "/var/run/postgresql".into(), port: 5432 }]);
        assert_eq!(t.user, "oncall");
        assert_eq!(t.dbname, "oncall");
        assert_eq!(t.sslmode, SslMode::Prefer);
        assert!(t.password.is_none());
    }

    #[test]
    fn service_file_sits_between_conninfo_and_environment() {
        let mut e = env(&[("PGSERVICE", "prod"), ("PGUSER", "envuser"), ("PGPORT", "7000")]);
        e.files.insert(
            "/home/oncall/.pg_service.conf".into(),
            "# comment\n[staging]\nhost=stage\n[prod]\nhost=prod.db\ndbname=app\nuser=svcuser\n".into(),
        );
        let t = resolve(None, &e).unwrap();
        assert_eq!(t.hosts[0].host, "prod.db");
        assert_eq!(t.user, "svcuser");
        assert_eq!(t.hosts[0].port, 7000);
        let t = resolve(Some("service=prod user=me"), &e).unwrap();
        assert_eq!(t.user, "me");
        // The system file is the fallback, and PGSERVICEFILE replaces the user's.
        let mut e = env(&[("PGSYSCONFDIR", "/etc/pg"), ("PGSERVICEFILE", "/x/svc.conf")]);
        e.files.insert("/etc/pg/pg_service.conf".into(), "[sys]\ndbname=sysdb\n".into());
        e.files.insert("/x/svc.conf".into(), "[mine]\ndbname=minedb\n".into());
        assert_eq!(resolve(Some("service=sys"), &e).unwrap().dbname, "sysdb");
        assert_eq!(resolve(Some("service=mine"), &e).unwrap().dbname, "minedb");
        let err = resolve(Some("service=nope"), &e).unwrap_err();
        assert!(matches!(err, ConnError::ServiceNotFound(..)), "{err}");
    }

    #[test]
    fn pgpass_matching_wildcards_escapes_and_permissions() {
        let mut e = env(&[]);
        let pgpass = PathBuf::from("/home/oncall/.pgpass");
        e.files.insert(
            pgpass.clone(),
            "# comment\nother:*:*:*:nope\ndb.internal:5432:app:ro:s3cr\\:et:with:colons\n*:*:*:ro:wild\nlocalhost:*:*:*:sock\n"
                .into(),
        );
        let t = resolve(Some("host=db.internal dbname=app user=ro"), &e).unwrap();
        assert_eq!(t.password.unwrap().expose(), "s3cr:et:with:colons");
        assert_eq!(t.password_source.as_deref(), Some("/home/oncall/.pgpass"));
        let t = resolve(Some("host=elsewhere dbname=app user=ro"), &e).unwrap();
        assert_eq!(t.password.unwrap().expose(), "wild");
        // A Unix socket matches the host name "localhost", as in libpq.
        let t = resolve(Some("host=/tmp dbname=app user=x"), &e).unwrap();
        assert_eq!(t.password.unwrap().expose(), "sock");
        // An explicit password wins over the file.
        let t = resolve(Some("host=db.internal dbname=app user=ro password=given"), &e).unwrap();
        assert_eq!(t.password.unwrap().expose(), "given");
        // PGPASSFILE names another file.
        e.vars.insert("PGPASSFILE", "/x/pass".into());
        e.files.insert("/x/pass".into(), "*:*:*:*:fromenv\n".into());
        assert_eq!(resolve(Some("host=h"), &e).unwrap().password.unwrap().expose(), "fromenv");
        // Group- or world-readable: ignored, with a warning that says how to fix it.
        e.open.push("/x/pass".into());
        let t = resolve(Some("host=h"), &e).unwrap();
        assert!(t.password.is_none());
        assert!(t.warnings[0].contains("chmod 600 /x/pass"), "{:?}", t.warnings);
    }

    #[test]
    fn secrets_never_print() {
        let t = resolve(Some("postgres://u:hunter2@h/d"), &env(&[])).unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
        assert!(!t.describe().contains("hunter2"));
    }
}
