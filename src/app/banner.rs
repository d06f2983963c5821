//! What the banner says about the connection: connected (to which cluster, pinned as what),
//! lost and reconnecting, reconnected, failed over; and pinning the cluster (Ctrl-P).

use std::time::Duration;

use super::{Conn, Effect, State, Tone};
use crate::db::ServerInfo;
use crate::db::posture::Posture;
use crate::environment::{self, Identity, Verdict};
use crate::timeline::Entry;
use crate::words::seconds;

/// The environment for `pinned`, applied to what the banner shows.
pub(super) fn apply(state: &mut State, pinned: Option<&str>) -> Verdict {
    let verdict = environment::decide(state.setup.profile_environment.as_deref(), pinned);
    state.setup.environment = verdict.environment.clone();
    state.env = Some(verdict.clone());
    verdict
}

/// How the cluster differs from the one connected to before, said loudly.
fn failover(before: &Identity, now: &Identity) -> Option<String> {
    if before.key() != now.key() {
        return Some(format!("a DIFFERENT cluster than before (was {})", before.describe()));
    }
    match (before.standby, now.standby) {
        (false, true) => Some("came back as a STANDBY (was the primary)".into()),
        (true, false) => Some("came back as the PRIMARY (was a standby)".into()),
        _ => None,
    }
}

pub(super) fn connected(
    state: &mut State,
    info: Box<ServerInfo>,
    posture: Box<Posture>,
    pinned: Result<Option<String>, String>,
    reconnected_after: Option<Duration>,
) -> Vec<Effect> {
    let verdict = apply(state, pinned.as_ref().ok().and_then(|p| p.as_deref()));
    let changed = state.identity.as_ref().and_then(|before| failover(before, &info.identity));
    state.identity = Some(info.identity.clone());
    let again = reconnected_after.map(|d| format!("reconnected after {}", seconds(d)));
    state.notice = match (&again, &changed) {
        (_, Some(c)) => Some((again.as_ref().map_or_else(|| c.clone(), |a| format!("{a}: {c}")), Tone::Bad)),
        (Some(a), None) => Some((a.clone(), Tone::Good)),
        (None, None) => None,
    };
    let failures: Vec<&str> = posture.failures().map(|c| c.name).collect();
    if let Some(c) = &changed {
        state.say(format!("Careful: the server {c}: a failover? Reads now see this server's data."), Tone::Bad);
    } else if !failures.is_empty() {
        state.say(
            format!(
                "Connected, but the role could write ({}); reads still run READ ONLY. `warroom doctor` prints the fix.",
                failures.join(", ")
            ),
            Tone::Bad,
        );
    } else if let Err(e) = &pinned {
        state.say(format!("Connected, but {e}: this cluster is treated as unpinned (production)."), Tone::Bad);
    } else {
        let again = again.map(|a| format!(" ({a})")).unwrap_or_default();
        let pin = if verdict.unpinned() { " Unpinned: Ctrl-P pins this cluster to its environment." } else { "" };
        state.say(
            format!("Connected as {} to {}{again}; the session is read-only.{pin}", info.current_user, info.database),
            Tone::Good,
        );
    }
    let mut fx: Vec<Effect> = start_entry(state).into_iter().map(Effect::Record).collect();
    fx.push(Effect::Record(connected_entry(&info, &posture, &verdict, reconnected_after, changed.as_deref())));
    state.conn = Conn::Connected { info, posture };
    // Label the text again, now as a connected read's text proof.
    if !state.text().trim().is_empty() {
        fx.push(Effect::Analyze { revision: state.revision, text: state.text() });
    }
    fx
}

pub(super) fn connect_failed(state: &mut State, e: String) -> Vec<Effect> {
    state.say(format!("Not connected: {e}. Ctrl-O tries again."), Tone::Bad);
    let mut fx: Vec<Effect> = start_entry(state).into_iter().map(Effect::Record).collect();
    fx.push(Effect::Record(Entry::connect_failed("cockpit", "Could not connect", &e)));
    state.conn = Conn::Failed(e);
    fx
}

/// The connection went away: with `in_flight`, in the middle of a read (reported lost, never
/// run again by itself). The database task reconnects in the background.
pub(super) fn lost(state: &mut State, why: String, in_flight: bool) -> Vec<Effect> {
    let during = if in_flight { " during a read (the read is lost; it is not run again by itself)" } else { "" };
    state.say(
        format!("The connection was lost{during}: {why}. Reconnecting in the background; F5 tries at once."),
        Tone::Bad,
    );
    state.notice = Some(("connection lost; reconnecting in the background".into(), Tone::Bad));
    let record = Entry::disconnected("cockpit", format!("The connection was lost{during}: {why}"), &why)
        .with("read_in_flight", in_flight);
    state.conn = Conn::Lost(why);
    vec![Effect::Record(record)]
}

pub(super) fn reconnecting(state: &mut State, attempt: u32, next_in: Duration, error: &str) {
    let first = error.lines().next().unwrap_or("").to_string();
    state.notice =
        Some((format!("reconnecting: attempt {attempt} failed, next in {} ({first})", seconds(next_in)), Tone::Bad));
    if !matches!(state.conn, Conn::Lost(_)) {
        state.conn = Conn::Lost(first);
    }
}

/// The session's first event, once: where the cockpit is, and which cluster it reads.
pub(crate) fn start_entry(state: &mut State) -> Option<Entry> {
    if std::mem::replace(&mut state.started, true) {
        return None;
    }
    let s = &state.setup;
    let profile = s.profile.as_deref().map(|p| format!(", profile {p}")).unwrap_or_default();
    let (cluster, identity) = match (&state.conn, &state.identity) {
        (Conn::Connected { .. }, Some(id)) | (_, Some(id)) => (format!(" ({})", id.describe()), Some(id)),
        _ => (String::new(), None),
    };
    let env = state.env.as_ref();
    let unpinned = env.is_some_and(Verdict::unpinned);
    Some(Entry::session_start(
        format!(
            "Cockpit opened on {}, database {} as {} ({}{}{profile}){cluster}",
            s.host,
            s.database,
            s.role,
            s.environment.to_uppercase(),
            if unpinned { ", UNPINNED" } else { "" },
        ),
        serde_json::json!({
            "host": s.host, "database": s.database, "role": s.role, "environment": s.environment,
            "profile": s.profile, "incident": s.incident, "row_limit": s.row_limit,
            "cluster": identity, "environment_decided": env,
            "warroom_version": env!("CARGO_PKG_VERSION"), "pid": std::process::id(),
        }),
    ))
}

fn connected_entry(
    info: &ServerInfo,
    posture: &Posture,
    verdict: &Verdict,
    reconnected_after: Option<Duration>,
    changed: Option<&str>,
) -> Entry {
    let failures: Vec<&str> = posture.failures().map(|c| c.name).collect();
    let posture_said = if failures.is_empty() {
        "the read-only posture holds".to_string()
    } else {
        format!("NOT read-only ({})", failures.join(", "))
    };
    let checks: Vec<serde_json::Value> = posture
        .checks
        .iter()
        .map(|c| serde_json::json!({ "name": c.name, "level": c.level.label(), "finding": c.finding }))
        .collect();
    let again = reconnected_after.map(|d| format!("Reconnected after {}: ", seconds(d))).unwrap_or_default();
    let note = verdict.note.as_deref().map(|n| format!(" [{n}]")).unwrap_or_default();
    let changed_said = changed.map(|c| format!("; {c}")).unwrap_or_default();
    Entry::connected(
        format!(
            "{again}Connected to {} as {} on {}, {}{note}: {posture_said}{changed_said}",
            info.database,
            info.current_user,
            info.identity.describe(),
            verdict.environment.to_uppercase()
        ),
        serde_json::json!({ "database": info.database, "role": info.current_user, "server_version": info.version,
            "in_recovery": info.in_recovery, "read_only": failures.is_empty(), "checks": checks,
            "cluster": info.identity, "environment": verdict,
            "reconnected_after_ms": reconnected_after.map(|d| d.as_millis() as u64), "changed": changed }),
    )
}
