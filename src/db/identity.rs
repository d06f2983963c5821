//! Which cluster a session landed on, as the server says (read at connect time).

use serde::Serialize;

/// What the server says about itself, read over the read-only session at connect time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// `pg_control_system()`'s system_identifier: shared by a primary and its physical
    /// standbys, different for every other cluster. None where the role may not read it.
    pub system_identifier: Option<String>,
    pub cluster_name: String,
    /// Where the session landed: the server's address and port (a socket folder for a
    /// Unix socket, as libpq's `host`).
    pub address: String,
    pub port: u16,
    pub database: String,
    /// A standby (`pg_is_in_recovery()`), else the primary.
    pub standby: bool,
}

impl Identity {
    /// The key the cluster is pinned by: its system identifier, else its address (said so).
    pub fn key(&self) -> String {
        match &self.system_identifier {
            Some(id) => format!("system_identifier:{id}"),
            None => format!("address:{}:{}", self.address, self.port),
        }
    }

    /// One line for people: "cluster 7714534663201746288 (main) at /run/pg:5432, primary".
    pub fn describe(&self) -> String {
        let id = match &self.system_identifier {
            Some(id) => format!("cluster {id}"),
            None => "cluster (system_identifier not readable by this role; known by its address)".to_string(),
        };
        let name = if self.cluster_name.is_empty() { String::new() } else { format!(" ({})", self.cluster_name) };
        let role = if self.standby { "standby" } else { "primary" };
        format!("{id}{name} at {}:{}, {role}", self.address, self.port)
    }
}
