//! The only user of tokio-postgres: connection settings, the hardened read session,
//! the posture check and result rendering.

pub mod conn;
pub mod heavy;
mod identity;
pub mod posture;
pub mod render;
pub mod resolve;
pub mod session;
pub mod tls;

use std::fmt;

pub use conn::{ConnError, Target};
pub use identity::Identity;
pub use session::{Canceller, Column, Limits, Outcome, RowSink, ServerInfo, Session, Timeout, ValueKind};

/// A PostgreSQL error as the server reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub sqlstate: String,
    pub severity: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in the statement as the user wrote it.
    pub position: Option<usize>,
}

impl ServerError {
    /// The error as psql prints it: with `sql`, the `LINE n:` of the position and a caret.
    pub fn report(&self, sql: Option<&str>) -> String {
        let mut msg = format!("{} (SQLSTATE {})", self.message, self.sqlstate);
        if let (Some(pos), Some(sql)) = (self.position, sql) {
            let upto: String = sql.chars().take(pos - 1).collect();
            let line_no = upto.matches('\n').count() + 1;
            let col = upto[upto.rfind('\n').map_or(0, |i| i + 1)..].chars().count();
            let prefix = format!("LINE {line_no}: ");
            let line = sql.lines().nth(line_no - 1).unwrap_or("");
            msg.push_str(&format!("\n{prefix}{line}\n{}^", " ".repeat(prefix.len() + col)));
        }
        if let Some(d) = &self.detail {
            msg.push_str(&format!("\nDETAIL:  {d}"));
        }
        if let Some(h) = &self.hint {
            msg.push_str(&format!("\nHINT:  {h}"));
        }
        msg
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report(None))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Server(Box<ServerError>),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("the connection to the server was lost: {0}")]
    Lost(String),
    #[error("the session is not read-only: {0}")]
    Posture(String),
    #[error("cannot decode a row: {0}")]
    Decode(String),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error("the read did not finish within {0:?} and was cancelled")]
    TimedOut(std::time::Duration),
    /// The server's catalog shows the statement is not a read (or the facts to prove it one
    /// could not be read): nothing of it was sent.
    #[error("refused after checking the server's catalog: {}", .0.join("; "))]
    Refused(Vec<String>),
    /// The planner expects the read to be heavier than the profile allows: it did not run.
    #[error("held back, the planner expects a heavy read: {}", .0.describe())]
    Heavy(Box<heavy::Estimate>),
}

impl DbError {
    pub fn from_pg(e: tokio_postgres::Error) -> DbError {
        if let Some(db) = e.as_db_error() {
            let position = match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
                _ => None,
            };
            return DbError::Server(Box::new(ServerError {
                sqlstate: db.code().code().to_string(),
                severity: db.severity().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                hint: db.hint().map(str::to_string),
                position,
            }));
        }
        if e.is_closed() {
            return DbError::Lost(e.to_string());
        }
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        DbError::Lost(text)
    }

    /// A connection failure, with the settings it tried (never the password).
    fn connect(e: tokio_postgres::Error, target: &Target) -> DbError {
        let detail = match DbError::from_pg(e) {
            DbError::Server(s) => s.to_string(),
            DbError::Lost(t) => t,
            other => other.to_string(),
        };
        let mut msg = format!("{} ({})", detail, target.describe());
        for w in &target.warnings {
            msg.push_str("\nnote: ");
            msg.push_str(w);
        }
        DbError::Connect(msg)
    }

    /// Moves an error position from a wrapping statement back into the user's text.
    fn shift(self, prefix_chars: usize) -> DbError {
        match self {
            DbError::Server(mut s) => {
                s.position = s.position.and_then(|p| p.checked_sub(prefix_chars)).filter(|p| *p > 0);
                DbError::Server(s)
            }
            other => other,
        }
    }

    /// The server's report (SQLSTATE, LINE and caret in `sql`, detail, hint), else the error itself.
    pub fn report(&self, sql: Option<&str>) -> String {
        match self.server() {
            Some(s) => s.report(sql),
            None => self.to_string(),
        }
    }

    /// Whether the connection is gone with this error: lost, or the server ending the session
    /// (shutdown, crash, not accepting connections: SQLSTATE 57P01-57P03, class 08).
    pub fn connection_gone(&self) -> bool {
        match self {
            DbError::Lost(_) => true,
            DbError::Server(s) => {
                matches!(s.sqlstate.as_str(), "57P01" | "57P02" | "57P03") || s.sqlstate.starts_with("08")
            }
            _ => false,
        }
    }

    pub fn server(&self) -> Option<&ServerError> {
        match self {
            DbError::Server(s) => Some(s),
            _ => None,
        }
    }
}
