//! `warroom hook claude` fed tool calls as Claude Code sends them, and `warroom hook install`
//! on a settings file that already has other hooks and permissions.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// The hook run on `input`: its exit status and what it printed.
fn spawn(state: &Path, input: &str, env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.args(["hook", "claude"])
        .env("XDG_STATE_HOME", state)
        .env("WARROOM_CONFIG", "/dev/null")
        .env_remove("WARROOM_INCIDENT")
        .env_remove("WARROOM_FREEZE_FILE")
        .current_dir(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The hook's answer to `input` (exit status, decision or "pass", reason), with its state in `state`.
fn hook_raw(state: &Path, input: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let (code, stdout) = spawn(state, input, env);
    if stdout.trim().is_empty() {
        return (code, "pass".into(), String::new());
    }
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let o = &v["hookSpecificOutput"];
    assert_eq!(o["hookEventName"], "PreToolUse");
    (
        code,
        o["permissionDecision"].as_str().unwrap().to_string(),
        o["permissionDecisionReason"].as_str().unwrap().to_string(),
    )
}

fn bash(command: &str) -> String {
    json!({ "session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": command } })
        .to_string()
}

#[test]
fn every_way_sql_reaches_postgres() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(state.path().join("cleanup.sql"), "DELETE FROM users WHERE email IS NULL;").unwrap();
    std::fs::write(state.path().join("report.sql"), "SELECT count(*) FROM users;").unwrap();
    // (command, decision, a fragment the reason must hold)
    let cases: &[(&str, &str, &str)] = &[
        ("psql -X -h db -c 'SELECT count(*) FROM users WHERE email IS NULL'", "allow", "read"),
        ("psql -c 'DELETE FROM users WHERE email IS NULL'", "deny", "DELETE FROM users"),
        ("psql -Atc \"UPDATE users SET x = 1\" app", "deny", "UPDATE users"),
        ("psql --command='SELECT 1; DROP TABLE users'", "deny", "DROP TABLE users"),
        ("psql -f report.sql", "allow", "read"),
        ("psql -f cleanup.sql", "deny", "DELETE FROM users"),
        ("psql app < cleanup.sql", "deny", "DELETE FROM users"),
        ("psql -f missing.sql", "deny", "missing.sql"),
        ("cat cleanup.sql | psql", "deny", "DELETE FROM users"),
        ("echo 'TRUNCATE users' | psql app", "deny", "TRUNCATE"),
        ("psql app <<'EOF'\nDELETE FROM users;\nEOF", "deny", "DELETE FROM users"),
        ("psql app <<< 'SELECT 1'", "allow", "read"),
        ("psql app", "deny", "does not show"),
        ("psql -c \"$SQL\"", "deny", "built by the shell"),
        ("some-generator | psql -f -", "deny", "does not show"),
        ("bash -c \"psql -c 'DELETE FROM users'\"", "deny", "DELETE FROM users"),
        ("sh -c 'psql -c \"SELECT 1\"'", "allow", "read"),
        ("env PGUSER=app psql -c 'DELETE FROM users'", "deny", "DELETE FROM users"),
        ("sudo -u postgres psql -c 'DROP DATABASE app'", "deny", "DROP DATABASE"),
        ("docker exec -it db psql -U app -c 'DELETE FROM users'", "deny", "DELETE FROM users"),
        ("kubectl exec -n prod pod/db -- psql -c 'DELETE FROM users'", "deny", "DELETE FROM users"),
        ("ssh db1 psql -c \"'DELETE FROM users'\"", "deny", "DELETE FROM users"),
        ("echo ids.txt | xargs psql -c", "deny", "xargs"),
        ("n=$(psql -Atc 'DELETE FROM users RETURNING 1')", "deny", "DELETE FROM users"),
        ("echo `psql -c 'DELETE FROM users'`", "deny", "DELETE FROM users"),
        ("psql -c 'SELECT 1' && psql -c 'TRUNCATE users'", "deny", "TRUNCATE"),
        ("dropdb app", "deny", "dropdb"),
        ("createdb scratch", "ask", "createdb"),
        ("pg_restore --clean -d app dump.pgc", "deny", "pg_restore"),
        ("pg_ctl -D /var/lib/pg stop", "deny", "pg_ctl"),
        ("pg_ctlcluster 15 main restart", "deny", "pg_ctlcluster"),
        ("vacuumdb --all", "ask", "vacuumdb"),
        ("reindexdb app", "ask", "reindexdb"),
        ("clusterdb app", "ask", "clusterdb"),
        ("pg_resetwal -f /d", "deny", "pg_resetwal"),
        ("psql -l", "allow", "read"),
        ("psql -c '\\d users'", "allow", "read"),
        ("psql -c '\\! rm -rf /'", "deny", "meta-command"),
        ("psql -c 'SELECT 1' | head", "allow", "read"),
        // Only look dangerous: not database calls, warroom has no say.
        ("grep DELETE log.txt", "pass", ""),
        ("echo \"DROP TABLE\"", "pass", ""),
        ("git commit -m \"drop table users\"", "pass", ""),
        ("ls -la && echo hi", "pass", ""),
    ];
    for (command, decision, why) in cases {
        let (code, got, reason) = hook_raw(state.path(), &bash(command), &[]);
        assert_eq!(code, 0, "{command}");
        assert_eq!(&got, decision, "{command}: {reason}");
        assert!(reason.contains(why), "{command}: the reason names {why:?}: {reason}");
    }
}

#[test]
fn other_tools_bad_input_freeze_and_policy() {
    let state = tempfile::tempdir().unwrap();
    let mcp = |tool: &str, args: Value| json!({ "tool_name": tool, "tool_input": args }).to_string();
    let (_, d, r) = hook_raw(state.path(), &mcp("mcp__postgres__query", json!({ "sql": "DELETE FROM users" })), &[]);
    assert_eq!((d.as_str(), r.contains("DELETE FROM users")), ("deny", true), "{r}");
    let (_, d, _) = hook_raw(state.path(), &mcp("mcp__supabase__execute_sql", json!({ "query": "SELECT 1" })), &[]);
    assert_eq!(d, "allow");
    let (_, d, _) = hook_raw(state.path(), &mcp("mcp__warroom__run_read", json!({ "sql": "DELETE FROM users" })), &[]);
    assert_eq!(d, "pass", "warroom mcp's tools guard themselves");
    let (_, d, _) = hook_raw(state.path(), &mcp("Read", json!({ "file_path": "x" })), &[]);
    assert_eq!(d, "pass");
    for broken in ["{not json", "", "[1,2]", "{\"tool_name\":\"Bash\",\"tool_input\":{}}"] {
        let (code, d, r) = hook_raw(state.path(), broken, &[]);
        assert_eq!(code, 0, "{broken:?}");
        if !broken.starts_with('[') {
            assert_eq!(d, "deny", "{broken:?}: {r}");
        }
    }
    // The kill switch denies every database call, naming the freeze.
    let freeze = state.path().join("FREEZE");
    let env = [("WARROOM_FREEZE_FILE", freeze.to_str().unwrap())];
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["freeze", "--reason", "failover in progress"])
        .env("XDG_STATE_HOME", state.path())
        .env("WARROOM_CONFIG", "/dev/null")
        .env("WARROOM_FREEZE_FILE", &freeze)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_, d, r) = hook_raw(state.path(), &bash("psql -c 'SELECT 1'"), &env);
    assert_eq!(d, "deny");
    assert!(r.contains("FROZEN") && r.contains("failover in progress"), "{r}");
    let (_, d, r) = hook_raw(state.path(), &bash("ls"), &env);
    assert_eq!(d, "deny", "a freeze stops the agent whole, not only its SQL");
    assert!(r.contains("failover in progress") && r.contains("warroom thaw"), "{r}");
    // A policy of review: reads do not run.
    let config = state.path().join("warroom.toml");
    std::fs::write(
        &config,
        "default_profile = \"prod\"\n[profiles.prod]\n[profiles.prod.policy]\nagent = \"review\"\n",
    )
    .unwrap();
    let (_, d, r) =
        hook_raw(state.path(), &bash("psql -c 'SELECT 1'"), &[("WARROOM_CONFIG", config.to_str().unwrap())]);
    assert_eq!(d, "deny");
    assert!(r.contains("agent = \"review\""), "{r}");
}

#[test]
fn decisions_land_in_the_timeline() {
    let state = tempfile::tempdir().unwrap();
    let (_, d, _) = hook_raw(state.path(), &bash("psql -c 'DELETE FROM users'"), &[("WARROOM_INCIDENT", "inc-hook")]);
    assert_eq!(d, "deny");
    hook_raw(state.path(), &bash("psql -c 'SELECT 1'"), &[("WARROOM_INCIDENT", "inc-hook")]);
    let journal = std::fs::read_to_string(state.path().join("warroom/incidents/inc-hook/timeline.jsonl")).unwrap();
    let events: Vec<Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2, "{journal}");
    assert!(events.iter().all(|e| e["actor"] == "agent:claude-code" && e["details"]["source"] == "hook"), "{journal}");
    assert_eq!(events[0]["details"]["decision"], "deny");
    assert_eq!(events[1]["details"]["decision"], "allow");
}

#[test]
fn install_keeps_what_is_there_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let before = json!({
        "permissions": { "allow": ["Bash(ls:*)"], "deny": ["Bash(rm:*)"] },
        "hooks": { "PreToolUse": [ { "matcher": "Write", "hooks": [ { "type": "command", "command": "lint-hook" } ] } ],
                   "PostToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "log-it" } ] } ] },
        "model": "opus"
    });
    std::fs::write(&settings, serde_json::to_string_pretty(&before).unwrap()).unwrap();
    let install = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["hook", "install"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    install(&["--project", "--mcp", "prod"]);
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(after["permissions"], before["permissions"]);
    assert_eq!(after["model"], "opus");
    assert_eq!(after["hooks"]["PostToolUse"], before["hooks"]["PostToolUse"]);
    let pre = after["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(pre[0], before["hooks"]["PreToolUse"][0]);
    assert!(pre[1]["hooks"][0]["command"].as_str().unwrap().ends_with("warroom hook claude"), "{pre:?}");
    assert_eq!(pre[1]["matcher"], "*", "every tool: the kill switch stops them all");
    for event in ["SessionStart", "UserPromptSubmit"] {
        let list = after["hooks"][event].as_array().unwrap();
        assert_eq!(list.len(), 1, "{event} once: {list:?}");
        assert!(list[0]["hooks"][0]["command"].as_str().unwrap().ends_with("warroom hook claude"));
    }
    let backup = dir.path().join(".claude/settings.json.warroom-backup");
    assert_eq!(serde_json::from_str::<Value>(&std::fs::read_to_string(backup).unwrap()).unwrap(), before);
    let servers: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(".mcp.json")).unwrap()).unwrap();
    assert_eq!(servers["mcpServers"]["warroom"]["args"], json!(["mcp", "--profile", "prod"]));
    // Twice: the same file.
    let first = std::fs::read_to_string(&settings).unwrap();
    let said = install(&["--project", "--mcp", "prod"]);
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), first);
    assert!(said.contains("unchanged"), "{said}");
    // An older warroom entry (PreToolUse for Bash and MCP only) becomes the new one, in place.
    let mut old = after.clone();
    old["hooks"]["PreToolUse"][1]["matcher"] = json!("Bash|mcp__.*");
    old["hooks"].as_object_mut().unwrap().remove("SessionStart");
    std::fs::write(&settings, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    install(&["--project", "--mcp", "prod"]);
    let upgraded: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(upgraded, after, "the same file as a fresh install");
    // --print shows it and writes nothing.
    std::fs::remove_file(dir.path().join(".mcp.json")).unwrap();
    let printed = install(&["--print", "--mcp", "staging"]);
    assert!(printed.contains("\"staging\"") && !dir.path().join(".mcp.json").exists(), "{printed}");
}

/// The whole answer to any event: the JSON printed (Null when nothing is).
fn answer(state: &Path, input: &Value, env: &[(&str, &str)]) -> Value {
    let (code, text) = spawn(state, &input.to_string(), env);
    assert_eq!(code, 0);
    if text.trim().is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() }
}

/// (command, decision, fragments the reason must hold): each run through the real binary.
fn table(cases: &[(&str, &str, &[&str])], env: &[(&str, &str)]) {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(state.path().join("bench.sql"), "UPDATE pgbench_accounts SET abalance = 0;").unwrap();
    std::fs::write(
        state.path().join("cleanup.py"),
        "import psycopg2\nconn = psycopg2.connect(host='db')\nconn.cursor().execute(\"DELETE FROM orders WHERE status = 'stale'\")\n",
    )
    .unwrap();
    for (command, decision, why) in cases {
        let (_, got, reason) = hook_raw(state.path(), &bash(command), env);
        assert_eq!(&got, decision, "{command}: {reason}");
        for w in *why {
            assert!(reason.contains(w), "{command}: the reason names {w:?}: {reason}");
        }
    }
}

#[test]
fn tools_that_destroy_a_database_without_sql() {
    table(
        &[
            ("drizzle-kit push --force", "deny", &["drizzle-kit push --force", "drizzle-kit generate"]),
            ("pnpm exec drizzle-kit push --force --config=prod.ts", "deny", &["drizzle-kit push"]),
            ("terraform destroy -auto-approve", "deny", &["terraform destroy", "plan -destroy"]),
            ("tofu apply -destroy -var env=prod", "deny", &["-destroy"]),
            ("terraform state rm aws_db_instance.main", "deny", &["state rm"]),
            ("terraform apply", "ask", &["terraform apply", "plan"]),
            ("npx prisma migrate reset --force", "deny", &["prisma migrate reset", "warroom stage"]),
            ("prisma db push --accept-data-loss", "deny", &["--accept-data-loss"]),
            ("RAILS_ENV=production bin/rails db:schema:load", "deny", &["db:schema:load"]),
            ("python3 manage.py flush --no-input", "deny", &["flush"]),
            ("poetry run alembic downgrade base", "deny", &["alembic downgrade base", "-1 --sql"]),
            ("flyway -url=jdbc:postgresql://db/app clean", "deny", &["flyway"]),
            ("supabase db reset --linked", "deny", &["supabase db reset"]),
            ("heroku pg:reset DATABASE --confirm shop", "deny", &["pg:reset"]),
            (
                "aws rds delete-db-cluster --db-cluster-identifier prod --skip-final-snapshot",
                "deny",
                &["delete-db-cluster"],
            ),
            ("gcloud sql instances delete prod-pg", "deny", &["gcloud sql"]),
            ("kubectl -n prod delete pvc data-postgres-0", "deny", &["pvc"]),
            ("kubectl delete namespace payments", "deny", &["namespace"]),
            ("helm uninstall postgres -n db", "deny", &["helm uninstall"]),
            ("docker volume rm app_pgdata", "deny", &["volume rm"]),
            ("docker compose down --volumes", "deny", &["down"]),
            ("pgbench -i -s 50 app", "deny", &["pgbench -i"]),
            ("pgbench -c 10 -T 60 app", "deny", &["built-in"]),
            ("pulumi destroy --yes", "deny", &["pulumi destroy"]),
            ("dropdb app", "deny", &["dropdb"]),
            // The safer steps themselves, and looks: no decision.
            ("terraform plan -destroy -out=destroy.plan", "pass", &[]),
            ("prisma migrate status", "pass", &[]),
            ("kubectl get pvc -n prod", "pass", &[]),
            ("docker volume ls", "pass", &[]),
            ("pgbench -S -c 4 -T 10 app", "pass", &[]),
            ("alembic history", "pass", &[]),
        ],
        &[],
    );
}

#[test]
fn every_way_a_command_runs_another() {
    table(
        &[
            ("eval \"psql -c 'DROP TABLE users'\"", "deny", &["DROP TABLE users"]),
            ("su postgres -c \"psql -c 'DROP TABLE users'\"", "deny", &["DROP TABLE users"]),
            ("su - postgres -c \"psql -c 'TRUNCATE users'\"", "deny", &["TRUNCATE users"]),
            ("runuser -u postgres -- psql -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("sudo -iu postgres psql -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("setsid -f psql -c 'DELETE FROM users'", "deny", &["DELETE FROM users"]),
            // watch joins its words and hands them to sh -c: the quotes are gone, as here.
            ("watch -n 5 psql -c 'DELETE FROM users'", "deny", &["DELETE"]),
            ("find /tmp -name x.sql -exec psql -f {} \\;", "deny", &["{}"]),
            ("find . -maxdepth 1 -exec psql -c 'DROP TABLE users' \\;", "deny", &["DROP TABLE users"]),
            ("tmux new-session -d -s fix 'psql -c \"DROP TABLE users\"'", "deny", &["DROP TABLE users"]),
            ("tmux send-keys -t 0 \"psql -c 'DROP TABLE users'\" Enter", "deny", &["DROP TABLE users"]),
            ("script -qc \"psql -c 'DROP TABLE users'\" /dev/null", "deny", &["DROP TABLE users"]),
            ("docker compose exec -T db psql -U app -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("docker run --rm -e PGHOST=db postgres:16 psql -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("heroku pg:psql -a shop -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("PSQL=psql; $PSQL -c 'DROP TABLE users'", "deny", &["not shown", "psql"]),
            ("$(which psql) -c 'DROP TABLE users'", "deny", &["not shown"]),
            ("CMD=\"psql -c 'DROP TABLE users'\"; eval $CMD", "deny", &["not shown"]),
            ("nohup nice -n 5 timeout 60 psql -c 'DELETE FROM users' &", "deny", &["DELETE FROM users"]),
            ("ssh -i key db1 \"sudo -u postgres psql -c 'DROP TABLE users'\"", "deny", &["DROP TABLE users"]),
            ("flock /tmp/lock psql -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("chroot /srv/pg psql -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("screen -dmS fix psql -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("doas -u postgres psql -c 'DROP TABLE users'", "deny", &["DROP TABLE users"]),
            ("bundle exec rails db:drop", "deny", &["db:drop"]),
            ("uv run alembic downgrade base", "deny", &["downgrade base"]),
            ("watch -n 2 \"psql -c 'SELECT count(*) FROM pg_stat_activity'\"", "allow", &["read"]),
        ],
        &[],
    );
}

#[test]
fn other_clients_and_inline_code() {
    table(
        &[
            ("pgcli -e 'DROP TABLE users' postgres://db/app", "deny", &["pgcli -e", "DROP TABLE users"]),
            ("pgcli --execute 'SELECT 1' app", "allow", &["read"]),
            ("usql -c 'DELETE FROM users' pg://db/app", "deny", &["usql -c", "DELETE FROM users"]),
            ("pgbench -n -f bench.sql -T 10 app", "deny", &["UPDATE pgbench_accounts"]),
            (
                "python3 -c \"import psycopg; c = psycopg.connect('dbname=app'); c.execute('DELETE FROM users WHERE id = 1')\"",
                "deny",
                &["python3 -c", "DELETE FROM users"],
            ),
            (
                "python -c \"import psycopg2; psycopg2.connect('dbname=app').cursor().execute('SELECT count(*) FROM users')\"",
                "pass",
                &[],
            ),
            (
                "node -e \"const {Client} = require('pg'); const c = new Client(); c.connect().then(() => c.query('TRUNCATE orders'))\"",
                "deny",
                &["node -e", "TRUNCATE orders"],
            ),
            (
                "python -c \"import psycopg; t = 'users'; psycopg.connect().execute(f'DROP TABLE {t}')\"",
                "ask",
                &["filled in at run time"],
            ),
            (
                "ruby -e \"require 'pg'; PG.connect(dbname: 'app').exec('DROP TABLE users')\"",
                "deny",
                &["DROP TABLE users"],
            ),
            ("python -c \"print('DROP TABLE users')\"", "pass", &[]),
            (
                "python3 - <<'EOF'\nimport psycopg\nwith psycopg.connect('dbname=app') as c:\n    c.execute('DROP TABLE users')\nEOF",
                "deny",
                &["python3's input", "DROP TABLE users"],
            ),
            ("python3 cleanup.py --yes", "deny", &["cleanup.py", "DELETE FROM orders"]),
        ],
        &[],
    );
}

#[test]
fn harmless_stays_harmless() {
    table(
        &[
            ("psql --version", "pass", &[]),
            ("psql --help", "pass", &[]),
            ("psql -V", "pass", &[]),
            ("pgcli --help", "pass", &[]),
            ("man psql", "pass", &[]),
            ("grep -rn 'DROP TABLE' migrations/", "pass", &[]),
            ("git log --oneline -- db/", "pass", &[]),
            ("echo 'DELETE FROM users WHERE id = 1;' > fix.sql", "pass", &[]),
            ("cat > fix.sql <<'EOF'\nDROP TABLE users;\nEOF", "pass", &[]),
            ("terraform plan", "pass", &[]),
            ("psql -c 'SELECT 1' && rm -rf build", "pass", &[]),
        ],
        &[],
    );
}

#[test]
fn the_config_adds_and_relaxes_but_never_weakens_a_deny() {
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("warroom.toml");
    std::fs::write(
        &config,
        "[hook]\ndeny = [\"make db-wipe\"]\nask = [\"./scripts/reseed.sh\"]\nallow = [\"terraform apply\", \"terraform destroy\"]\n",
    )
    .unwrap();
    let env = [("WARROOM_CONFIG", config.to_str().unwrap())];
    table(
        &[
            ("make db-wipe", "deny", &["make db-wipe"]),
            ("./scripts/reseed.sh --all", "ask", &["reseed.sh"]),
            ("terraform apply", "pass", &[]),
            ("terraform destroy", "deny", &["terraform destroy"]),
        ],
        &env,
    );
}

#[test]
fn mcp_sql_at_any_depth_and_platform_tools() {
    let state = tempfile::tempdir().unwrap();
    let call =
        |tool: &str, args: Value| json!({ "hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": args });
    let decision = |v: &Value| v["hookSpecificOutput"]["permissionDecision"].as_str().unwrap_or("pass").to_string();
    let reason = |v: &Value| v["hookSpecificOutput"]["permissionDecisionReason"].as_str().unwrap_or("").to_string();
    let cases = [
        (
            call("mcp__db__run", json!({ "sqlStatements": ["SELECT 1", "DROP TABLE users"] })),
            "deny",
            "DROP TABLE users",
        ),
        (call("mcp__db__run", json!({ "params": { "query": "DELETE FROM users" } })), "deny", "DELETE FROM users"),
        (call("mcp__db__batch", json!({ "ops": [{ "sql": "TRUNCATE t" }] })), "deny", "TRUNCATE t"),
        (call("mcp__db__run", json!({ "statements": ["SELECT 1", "SELECT 2"] })), "allow", "read"),
        (call("mcp__neon__delete_project", json!({ "projectId": "p-1" })), "deny", "delete_project"),
        (call("mcp__neon__reset_from_parent", json!({ "branchId": "b" })), "deny", "reset_from_parent"),
        (call("mcp__supabase__list_tables", json!({ "schemas": ["public"] })), "pass", ""),
        (call("mcp__db__run", json!({ "sql": 42 })), "deny", "not SQL"),
    ];
    for (input, want, why) in cases {
        let got = answer(state.path(), &input, &[]);
        assert_eq!(decision(&got), want, "{input}: {got}");
        assert!(reason(&got).contains(why), "{input}: {got}");
    }
}

#[test]
fn session_start_tells_the_agent_where_it_is_and_a_freeze_halts_it() {
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("warroom.toml");
    // A profile whose cluster cannot be reached: warroom says so, and treats it as production.
    std::fs::write(
        &config,
        "default_profile = \"prod\"\n[profiles.prod]\nenvironment = \"staging\"\ndsn = \"postgresql://nobody@127.0.0.1:1/app?connect_timeout=1\"\n",
    )
    .unwrap();
    let env = [("WARROOM_CONFIG", config.to_str().unwrap())];
    let start = answer(state.path(), &json!({ "hook_event_name": "SessionStart", "source": "startup" }), &env);
    let o = &start["hookSpecificOutput"];
    assert_eq!(o["hookEventName"], "SessionStart");
    let text = o["additionalContext"].as_str().unwrap();
    for fact in [
        "profile prod",
        "PRODUCTION",
        "could not be reached",
        "Agent policy: read",
        "Kill switch: off",
        "warroom stage",
        "run_read",
        "Runbook",
    ] {
        assert!(text.contains(fact), "SessionStart names {fact:?}: {text}");
    }
    assert!(!text.contains("STAGING"), "the profile's label alone never decides: {text}");
    // No freeze: prompts go through.
    assert_eq!(
        answer(state.path(), &json!({ "hook_event_name": "UserPromptSubmit", "prompt": "hi" }), &env),
        Value::Null
    );
    let freeze = state.path().join("FREEZE");
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["freeze", "--reason", "replica lag, hands off"])
        .env("XDG_STATE_HOME", state.path())
        .env("WARROOM_CONFIG", "/dev/null")
        .env("WARROOM_FREEZE_FILE", &freeze)
        .output()
        .unwrap();
    assert!(out.status.success());
    let env = [("WARROOM_CONFIG", config.to_str().unwrap()), ("WARROOM_FREEZE_FILE", freeze.to_str().unwrap())];
    let blocked = answer(state.path(), &json!({ "hook_event_name": "UserPromptSubmit", "prompt": "fix it" }), &env);
    assert_eq!(blocked["decision"], "block");
    assert!(
        blocked["reason"].as_str().unwrap().contains("replica lag")
            && blocked["reason"].as_str().unwrap().contains("warroom thaw"),
        "{blocked}"
    );
    let edit = answer(
        state.path(),
        &json!({ "hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": { "file_path": "x" } }),
        &env,
    );
    assert_eq!(edit["hookSpecificOutput"]["permissionDecision"], "deny", "every tool while frozen: {edit}");
    let start = answer(state.path(), &json!({ "hook_event_name": "SessionStart" }), &env);
    assert!(start["hookSpecificOutput"]["additionalContext"].as_str().unwrap().contains("Kill switch: ON"), "{start}");
}
