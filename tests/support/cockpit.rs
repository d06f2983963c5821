//! A cockpit without a terminal or a server, shared by tests/cockpit.rs and
//! benches/cockpit.rs: the setup, and the messages a database task would send.
#![allow(dead_code)]

use warroom::app::{Msg, Setup, State, update};
use warroom::config::{Keymap, Theme};
use warroom::db::ServerInfo;
use warroom::db::posture::{Check, Level, Posture};
use warroom::runbook::{self, Runbook};

pub fn setup() -> Setup {
    Setup {
        environment: "production".into(),
        host: "db.internal:5432".into(),
        database: "shop".into(),
        role: "warroom_ro".into(),
        incident: Some("INC-42".into()),
        profile: Some("prod".into()),
        row_limit: 500,
        theme: Theme::default(),
        keymap: Keymap::default(),
        runbook: Runbook::parse(runbook::BUILTIN_NAME, runbook::BUILTIN),
        greeting: None,
        // Never written: effects are only inspected here.
        incident_dir: Some("/nonexistent/warroom/INC-42".into()),
        plan: None,
        journal_dir: Some("/nonexistent/warroom/INC-42".into()),
        freeze_file: None,
        agent_policy: warroom::config::AgentPolicy::Read,
        draft: None,
        profile_environment: Some("production".into()),
    }
}

pub fn info() -> Box<ServerInfo> {
    Box::new(ServerInfo {
        version: "15.18 (Debian 15.18-0+deb12u1)".into(),
        version_num: 150018,
        current_user: "warroom_ro".into(),
        database: "shop".into(),
        in_recovery: false,
        default_read_only: true,
        statement_timeout: "5s".into(),
        identity: warroom::environment::Identity {
            system_identifier: Some("7312345678901234567".into()),
            cluster_name: "main".into(),
            address: "db.internal".into(),
            port: 5432,
            database: "shop".into(),
            standby: false,
        },
        timeouts: vec![warroom::db::Timeout {
            name: "statement_timeout".into(),
            server_ms: 5000,
            server_source: "user".into(),
            profile_ms: 30000,
            in_force_ms: 5000,
        }],
    })
}

pub fn posture(fail: bool) -> Box<Posture> {
    let check = |level, name: &'static str| Check { level, name, finding: "x".into(), why: "" };
    let mut checks = vec![check(Level::Pass, "superuser"), check(Level::Warn, "server version")];
    if fail {
        checks.push(check(Level::Fail, "table privileges"));
    }
    Box::new(Posture { role: "warroom_ro".into(), database: "shop".into(), checks, fix: None })
}

/// The same server come back as a standby.
pub fn standby() -> Box<ServerInfo> {
    let mut s = info();
    s.in_recovery = true;
    s.identity.standby = true;
    s
}

/// What the database task says on connecting: a read-only posture, the cluster pinned as
/// `pinned`, and how long after a loss.
pub fn connected_msg(info: Box<ServerInfo>, pinned: Option<&str>, after: Option<std::time::Duration>) -> Msg {
    Msg::Connected { info, posture: posture(false), pinned: Ok(pinned.map(str::to_string)), reconnected_after: after }
}

/// A cockpit of this size, connected with a read-only posture.
pub fn connected(w: u16, h: u16) -> State {
    let mut s = State::new(setup(), (w, h));
    let fx = update(&mut s, connected_msg(info(), Some("production"), None));
    assert!(matches!(&fx[..], [warroom::app::Effect::Record(_), warroom::app::Effect::Record(_)]), "{fx:?}");
    s
}
