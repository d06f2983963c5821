//! What the hook knows about commands, read from `commands.toml`: the programs that destroy
//! a database without SQL, the wrappers that run another command, the database clients and
//! their options, inline code that may connect, and MCP's SQL keys and destructive tools.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    pub harmless: Vec<String>,
    pub blind: Vec<String>,
    pub plain: Vec<String>,
    pub destroys: Vec<Entry>,
    pub wrapper: Vec<Wrapper>,
    pub runner: Vec<Runner>,
    pub client: Vec<Client>,
    pub inline: Vec<Inline>,
    pub drivers: Drivers,
    pub mcp: Mcp,
    pub sql: SqlWords,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlWords {
    pub first_words: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Ask,
    Deny,
}

/// A program (and the arguments) that destroys or changes a database without SQL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub program: Vec<String>,
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub contains: Vec<String>,
    pub decision: Decision,
    pub reason: String,
    pub instead: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WrapperKind {
    Command,
    Joined,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wrapper {
    pub program: Vec<String>,
    pub kind: WrapperKind,
    #[serde(default)]
    pub value: Vec<String>,
    #[serde(default)]
    pub script: Vec<String>,
    #[serde(default)]
    pub skip: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runner {
    pub program: Vec<String>,
    pub words: Vec<String>,
    #[serde(default)]
    pub bare: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub program: Vec<String>,
    pub subcommand: Option<String>,
    #[serde(default)]
    pub sql: Vec<String>,
    #[serde(default)]
    pub file: Vec<String>,
    #[serde(default)]
    pub value: Vec<String>,
    #[serde(default)]
    pub harmless: Vec<String>,
    #[serde(default)]
    pub listing: Vec<String>,
    #[serde(default)]
    pub stdin: bool,
    #[serde(default)]
    pub builtin_reads: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inline {
    pub program: Vec<String>,
    pub code: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drivers {
    pub words: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mcp {
    pub sql_keys: Vec<String>,
    pub destroys: Vec<String>,
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    toml::from_str(include_str!("commands.toml")).unwrap_or_else(|e| panic!("src/guard/commands.toml: {e}"))
});

pub fn data() -> &'static Data {
    &DATA
}

/// The config's own entries (`[hook] deny`, `ask`, `allow`), as `program word word`.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub deny: Vec<String>,
    pub ask: Vec<String>,
    pub allow: Vec<String>,
}

/// What matched a command, and what to tell the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub decision: Decision,
    pub reason: String,
    pub instead: String,
}

/// `--flag` matches `--flag=value` too.
fn has(args: &[&str], word: &str) -> bool {
    args.iter().any(|a| *a == word || (a.starts_with(word) && a[word.len()..].starts_with('=')))
}

impl Entry {
    fn matches(&self, program: &str, args: &[&str]) -> bool {
        self.program.iter().any(|p| p == program)
            && self.words.iter().all(|w| has(args, w))
            && (self.any.is_empty() || self.any.iter().any(|w| has(args, w)))
            && (self.contains.is_empty() || self.contains.iter().any(|c| args.iter().any(|a| a.contains(c.as_str()))))
    }
}

/// A config pattern `program word word` against a command.
fn pattern_matches(pattern: &str, program: &str, args: &[&str]) -> bool {
    let mut words = pattern.split_whitespace();
    words.next().map(|p| p.rsplit('/').next().unwrap_or(p)) == Some(program) && words.all(|w| has(args, w))
}

/// What the data and the config say of `program args` (the program's name without its
/// folder): the strictest entry that matches. A config's `allow` relaxes an `ask`, never a
/// `deny`.
pub fn judge(program: &str, args: &[&str], rules: &Rules) -> Option<Match> {
    let d = data();
    if args.iter().any(|a| d.harmless.iter().any(|h| a == h)) {
        return None;
    }
    let config = |list: &[String], decision: Decision| {
        list.iter().find(|p| pattern_matches(p, program, args)).map(|p| Match {
            decision,
            reason: format!(
                "the config's [hook] {} names `{p}`",
                if decision == Decision::Deny { "deny" } else { "ask" }
            ),
            instead: "ask the person who wrote that rule".into(),
        })
    };
    let builtin = |decision: Decision| {
        d.destroys.iter().find(|e| e.decision == decision && e.matches(program, args)).map(|e| Match {
            decision,
            reason: e.reason.clone(),
            instead: e.instead.clone(),
        })
    };
    if let Some(m) = config(&rules.deny, Decision::Deny).or_else(|| builtin(Decision::Deny)) {
        return Some(m);
    }
    let ask = config(&rules.ask, Decision::Ask).or_else(|| builtin(Decision::Ask))?;
    if rules.allow.iter().any(|p| pattern_matches(p, program, args)) {
        return None;
    }
    Some(ask)
}

/// Is `key` (an MCP argument's name) one that carries SQL?
pub fn is_sql_key(key: &str) -> bool {
    let folded: String = key.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect();
    data().mcp.sql_keys.contains(&folded)
}

/// Is this MCP tool (its name after the server's part) one that destroys a database?
pub fn mcp_destroys(tool: &str) -> bool {
    let short = tool.rsplit("__").next().unwrap_or(tool).to_ascii_lowercase();
    data().mcp.destroys.contains(&short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_reads_and_judges() {
        let d = data();
        assert!(d.destroys.len() > 50 && !d.wrapper.is_empty() && !d.client.is_empty());
        let none = Rules::default();
        let j = |cmd: &str, rules: &Rules| {
            let w: Vec<&str> = cmd.split_whitespace().collect();
            judge(w[0], &w[1..], rules).map(|m| m.decision)
        };
        assert_eq!(j("terraform destroy -auto-approve", &none), Some(Decision::Deny));
        assert_eq!(j("terraform plan -destroy", &none), None);
        assert_eq!(j("terraform apply", &none), Some(Decision::Ask));
        assert_eq!(j("drizzle-kit push --force", &none), Some(Decision::Deny));
        assert_eq!(j("kubectl delete pvc data-pg-0", &none), Some(Decision::Deny));
        assert_eq!(j("kubectl get pvc", &none), None);
        assert_eq!(j("docker volume ls", &none), None);
        let rules = Rules {
            deny: vec!["npm run db:wipe".into()],
            ask: vec![],
            allow: vec!["terraform apply".into(), "terraform destroy".into()],
        };
        assert_eq!(j("terraform apply", &rules), None, "allow relaxes an ask");
        assert_eq!(j("terraform destroy", &rules), Some(Decision::Deny), "allow never weakens a deny");
        assert_eq!(j("npm run db:wipe", &rules), Some(Decision::Deny));
        assert!(is_sql_key("sqlStatements") && is_sql_key("SQL") && is_sql_key("sql_query") && !is_sql_key("name"));
        assert!(mcp_destroys("mcp__neon__delete_project") && !mcp_destroys("mcp__neon__list_projects"));
    }
}
