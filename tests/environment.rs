//! Which server warroom reads, from facts: the cluster's identity pinned to an environment,
//! and target_session_attrs choosing the standby of a primary/standby pair. Real clusters
//! of our own, the real binary.

use std::path::Path;

use warroom::demo::{ADMIN, Cluster};

#[path = "support/bin.rs"]
mod bin;
use bin::warroom;

fn cluster() -> Option<Cluster> {
    match Cluster::start() {
        Ok(c) => Some(c),
        Err(warroom::demo::DemoError::NotInstalled) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPING: PostgreSQL is not installed");
            None
        }
        Err(e) => panic!("the test cluster did not start: {e}"),
    }
}

fn reader(c: &Cluster) {
    c.psql(ADMIN, "postgres", "CREATE ROLE reader LOGIN; GRANT pg_read_all_data TO reader;").unwrap();
}

/// `warroom ARGS` with a config file naming a profile `p` whose environment is `env`.
fn with_profile(state: &Path, dsn: &str, env: &str, args: &[&str]) -> (i32, String, String) {
    let config = state.join(format!("config-{env}.toml"));
    std::fs::create_dir_all(state).unwrap();
    std::fs::write(&config, format!("[profiles.p]\nenvironment = \"{env}\"\ndsn = \"{dsn}\"\n")).unwrap();
    let mut all = vec![args[0], "--config", config.to_str().unwrap(), "--profile", "p"];
    all.extend_from_slice(&args[1..]);
    warroom(state, &all)
}

#[test]
fn clusters_are_known_by_their_identity() {
    let Some(a) = cluster() else { return };
    let b = cluster().unwrap();
    reader(&a);
    reader(&b);
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path();
    let dsn_a = a.dsn("reader", "postgres");
    let dsn_b = b.dsn("reader", "postgres");

    // A first connect to a new cluster: unpinned, so production.
    let (code, out, err) = warroom(state, &["doctor", &dsn_a]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("UNPINNED — treated as PRODUCTION"), "{out}");
    let sysid = a.psql(ADMIN, "postgres", "SELECT system_identifier FROM pg_control_system()").unwrap();
    assert!(out.contains(&format!("cluster {}", sysid.trim())), "doctor names the cluster: {out}");

    // Pinned as production, a profile that says staging shows PRODUCTION and the mismatch.
    let (code, out, err) = warroom(state, &["pin", &dsn_a, "production"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("as PRODUCTION"), "{out}");
    let (code, out, err) = with_profile(state, &dsn_a, "staging", &["doctor", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["environment"]["environment"], "production");
    assert_eq!(v["environment"]["note"], "profile says staging, this cluster is pinned as production");
    assert_eq!(v["cluster"]["system_identifier"], sysid.trim());
    assert_eq!(v["cluster"]["standby"], false);

    // Another cluster is another entry: still unpinned, and pinned on its own.
    let (_, out, _) = warroom(state, &["doctor", &dsn_b]);
    assert!(out.contains("UNPINNED"), "{out}");
    let (code, _, err) = warroom(state, &["pin", &dsn_b, "staging"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = with_profile(state, &dsn_b, "staging", &["doctor"]);
    assert!(out.contains("environment: STAGING (pinned"), "{out}");
    let (_, out, _) = warroom(state, &["pin", "--list"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("PRODUCTION") && out.contains("STAGING"), "{out}");
    let known = std::fs::read_to_string(state.join("warroom/known_clusters.toml")).unwrap();
    assert!(known.contains(sysid.trim()), "{known}");

    // Bad input is a clear error (2), and nothing is written.
    let (code, _, err) = warroom(state, &["pin", &dsn_a, "prod;drop"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an environment name"), "{err}");
    let (code, _, err) = warroom(state, &["pin"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn target_session_attrs_chooses_the_standby() {
    let Some(primary) = cluster() else { return };
    reader(&primary);
    let standby = primary.standby().expect("a streaming standby from pg_basebackup");
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path();
    let two = |attrs: &str, first: &Cluster, second: &Cluster| {
        format!(
            "host={},{} port={},{} user=reader dbname=postgres sslmode=disable target_session_attrs={attrs}",
            first.socket_dir().display(),
            second.socket_dir().display(),
            first.port,
            second.port
        )
    };
    let in_recovery = |dsn: &str| {
        let (code, out, err) = warroom(state, &["query", "--csv", dsn, "SELECT pg_is_in_recovery() AS standby"]);
        assert_eq!(code, 0, "{dsn}: {err}");
        out.lines().nth(1).unwrap_or_default().to_string()
    };
    assert_eq!(in_recovery(&two("prefer-standby", &primary, &standby)), "t", "the standby first");
    assert_eq!(in_recovery(&two("prefer-standby", &standby, &primary)), "t");
    assert_eq!(in_recovery(&two("standby", &primary, &standby)), "t");
    assert_eq!(in_recovery(&two("read-only", &primary, &standby)), "t");
    assert_eq!(in_recovery(&two("primary", &standby, &primary)), "f");
    assert_eq!(in_recovery(&two("read-write", &standby, &primary)), "f");
    assert_eq!(in_recovery(&two("any", &standby, &primary)), "t", "any: the first that answers");

    // The standby has the primary's identity: one cluster, one pin.
    let (_, p, _) = warroom(state, &["doctor", "--json", &primary.dsn("reader", "postgres")]);
    let (_, s, _) = warroom(state, &["doctor", "--json", &standby.dsn("reader", "postgres")]);
    let (p, s): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&p).unwrap(), serde_json::from_str(&s).unwrap());
    assert_eq!(p["cluster"]["system_identifier"], s["cluster"]["system_identifier"]);
    assert_eq!(s["cluster"]["standby"], true);

    // prefer-standby with the standby down falls back to the primary; standby alone fails clearly.
    drop(standby);
    assert_eq!(in_recovery(&two("prefer-standby", &primary, &primary)), "f");
    let (code, _, err) = warroom(
        state,
        &["query", &format!("{} target_session_attrs=standby", primary.dsn("reader", "postgres")), "SELECT 1"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no server is a standby"), "{err}");
    let (code, _, err) =
        warroom(state, &["query", "host=/tmp port=1 user=x target_session_attrs=sometimes", "SELECT 1"]);
    assert_eq!(code, 2);
    assert!(err.contains("prefer-standby"), "{err}");
}
