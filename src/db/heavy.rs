//! A heavy read is never a surprise: the planner's estimate (plain `EXPLAIN`, itself a read)
//! of how many rows a read would scan and what it would cost, against the profile's limits.
//! Pure: the plan's JSON and the tables' sizes in, an estimate out.

use std::collections::HashMap;

use serde_json::Value;

/// The profile's limits (`max_rows_scanned`, `max_cost`); zero turns one off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeavyLimits {
    pub max_rows_scanned: f64,
    pub max_cost: f64,
}

impl Default for HeavyLimits {
    /// A sequential scan of a table of a million rows or more trips it; an indexed lookup never does.
    fn default() -> Self {
        HeavyLimits { max_rows_scanned: 1_000_000.0, max_cost: 1_000_000.0 }
    }
}

impl HeavyLimits {
    pub fn off(&self) -> bool {
        self.max_rows_scanned <= 0.0 && self.max_cost <= 0.0
    }
}

/// What the planner expects a read to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub rows_scanned: f64,
    pub cost: f64,
    /// The sequential scans, biggest first: (table, rows it holds × times it is scanned).
    pub seq_scans: Vec<(String, f64)>,
    pub limits: HeavyLimits,
}

impl Estimate {
    pub fn over(&self) -> bool {
        (self.limits.max_rows_scanned > 0.0 && self.rows_scanned > self.limits.max_rows_scanned)
            || (self.limits.max_cost > 0.0 && self.cost > self.limits.max_cost)
    }

    /// "seq scan of public.orders (~3.0M rows), ~3.0M rows scanned, est. cost 55.2k
    /// (limits: 1.0M rows, cost 1.0M)".
    pub fn describe(&self) -> String {
        let scans: Vec<String> =
            self.seq_scans.iter().take(3).map(|(t, n)| format!("seq scan of {t} (~{} rows)", short(*n))).collect();
        let mut s = scans.join(", ");
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(&format!("~{} rows scanned, est. cost {}", short(self.rows_scanned), short(self.cost)));
        let mut limits = Vec::new();
        if self.limits.max_rows_scanned > 0.0 {
            limits.push(format!("{} rows", short(self.limits.max_rows_scanned)));
        }
        if self.limits.max_cost > 0.0 {
            limits.push(format!("cost {}", short(self.limits.max_cost)));
        }
        format!("{s} (limits: {})", limits.join(", "))
    }
}

/// 1234 → 1.2k, 48_000_000 → 48.0M.
pub fn short(n: f64) -> String {
    let n = n.max(0.0);
    match n {
        n if n >= 1e9 => format!("{:.1}G", n / 1e9),
        n if n >= 1e6 => format!("{:.1}M", n / 1e6),
        n if n >= 1e3 => format!("{:.1}k", n / 1e3),
        n => format!("{}", n.round() as u64),
    }
}

/// Tables' sizes as the catalog has them: rows (reltuples, None until first analysed or
/// vacuumed) and pages on disk now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableSize {
    pub rows: Option<f64>,
    pub pages: f64,
}

/// The tables a plan scans sequentially, as (schema, name): what to ask the catalog.
pub fn seq_scanned(plan: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(root(plan), &mut |node| {
        if is_seq_scan(node)
            && let (Some(s), Some(r)) = (str_of(node, "Schema"), str_of(node, "Relation Name"))
        {
            out.push((s.to_string(), r.to_string()));
        }
    });
    out.sort();
    out.dedup();
    out
}

/// The estimate for `EXPLAIN (VERBOSE, FORMAT JSON)`'s output, with the sizes of the tables
/// it scans sequentially (a table not in `sizes` counts the rows the planner expects from it).
pub fn estimate(plan: &Value, sizes: &HashMap<(String, String), TableSize>, limits: HeavyLimits) -> Estimate {
    let top = root(plan);
    let mut seq: HashMap<String, f64> = HashMap::new();
    let rows_scanned = scanned(top, 1.0, sizes, &mut seq);
    let mut seq_scans: Vec<(String, f64)> = seq.into_iter().collect();
    seq_scans.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Estimate { rows_scanned, cost: num(top, "Total Cost"), seq_scans, limits }
}

fn root(plan: &Value) -> &Value {
    plan.get(0).and_then(|p| p.get("Plan")).unwrap_or(&Value::Null)
}

fn str_of<'a>(node: &'a Value, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Value::as_str)
}

fn num(node: &Value, key: &str) -> f64 {
    node.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn children(node: &Value) -> &[Value] {
    node.get("Plans").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn walk(node: &Value, f: &mut dyn FnMut(&Value)) {
    f(node);
    for c in children(node) {
        walk(c, f);
    }
}

fn is_seq_scan(node: &Value) -> bool {
    matches!(str_of(node, "Node Type"), Some("Seq Scan" | "Sample Scan" | "Tid Range Scan"))
}

/// Rows a node reads from tables when it runs `loops` times: a sequential scan reads the
/// whole table each time; an index scan about the rows it returns. The inner side of a
/// nested loop (and a correlated subplan) runs once per outer row; below a Limit, only the
/// fraction of the work the Limit lets happen.
fn scanned(
    node: &Value,
    loops: f64,
    sizes: &HashMap<(String, String), TableSize>,
    seq: &mut HashMap<String, f64>,
) -> f64 {
    let kind = str_of(node, "Node Type").unwrap_or("");
    let plan_rows = num(node, "Plan Rows");
    let mut total = 0.0;
    if is_seq_scan(node) {
        let schema = str_of(node, "Schema").unwrap_or("");
        let table = str_of(node, "Relation Name").unwrap_or("");
        let rows = match sizes.get(&(schema.to_string(), table.to_string())) {
            Some(TableSize { rows: Some(r), .. }) => *r,
            // Never analysed: about as many tuples as fit in its pages at the plan's width.
            Some(TableSize { rows: None, pages }) => pages * 8168.0 / (num(node, "Plan Width") + 28.0),
            None => plan_rows,
        }
        .max(plan_rows);
        let name = if schema.is_empty() { table.to_string() } else { format!("{schema}.{table}") };
        *seq.entry(name).or_default() += rows * loops;
        total += rows * loops;
    } else if matches!(kind, "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan" | "Foreign Scan") {
        total += plan_rows * loops;
    }
    let kids = children(node);
    match kind {
        "Nested Loop" if kids.len() == 2 => {
            let outer_rows = num(&kids[0], "Plan Rows").max(1.0);
            total += scanned(&kids[0], loops, sizes, seq);
            total += scanned(&kids[1], loops * outer_rows, sizes, seq);
        }
        "Limit" => {
            let (start, end) = (num(node, "Startup Cost"), num(node, "Total Cost"));
            for k in kids {
                let (ks, ke) = (num(k, "Startup Cost"), num(k, "Total Cost"));
                let fraction = if ke > ks { ((end - start) / (ke - ks)).clamp(0.0, 1.0) } else { 1.0 };
                // What the child must do before its first row is done in full.
                total += scanned(k, loops, sizes, seq) * fraction.max(if ke > 0.0 { ks / ke } else { 1.0 });
            }
        }
        // Built once, read many times.
        "Materialize" | "Hash" | "Memoize" => {
            for k in kids {
                total += scanned(k, 1.0, sizes, seq);
            }
        }
        _ => {
            for k in kids {
                let again = if str_of(k, "Parent Relationship") == Some("SubPlan") {
                    loops * plan_rows.max(1.0)
                } else {
                    loops
                };
                total += scanned(k, again, sizes, seq);
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seq(table: &str, rows: f64, cost: f64) -> Value {
        json!({"Node Type": "Seq Scan", "Relation Name": table, "Schema": "public", "Plan Rows": rows,
               "Plan Width": 40, "Startup Cost": 0.0, "Total Cost": cost})
    }

    fn sizes(list: &[(&str, Option<f64>, f64)]) -> HashMap<(String, String), TableSize> {
        list.iter()
            .map(|(t, r, p)| (("public".to_string(), t.to_string()), TableSize { rows: *r, pages: *p }))
            .collect()
    }

    #[test]
    fn a_filtered_seq_scan_counts_the_whole_table() {
        let plan = json!([{"Plan": seq("orders", 12.0, 55_000.0)}]);
        assert_eq!(seq_scanned(&plan), vec![("public".to_string(), "orders".to_string())]);
        let e = estimate(&plan, &sizes(&[("orders", Some(3_000_000.0), 16_000.0)]), HeavyLimits::default());
        assert_eq!(e.rows_scanned, 3_000_000.0);
        assert!(e.over());
        assert_eq!(
            e.describe(),
            "seq scan of public.orders (~3.0M rows), ~3.0M rows scanned, est. cost 55.0k (limits: 1.0M rows, cost 1.0M)"
        );
        // Never analysed: its pages say how big it is.
        let e = estimate(&plan, &sizes(&[("orders", None, 20_000.0)]), HeavyLimits::default());
        assert!(e.rows_scanned > 2_000_000.0, "{e:?}");
    }

    #[test]
    fn an_index_lookup_is_light_and_a_missing_join_condition_is_not() {
        let lookup = json!([{"Plan": {"Node Type": "Index Scan", "Relation Name": "orders", "Schema": "public",
            "Plan Rows": 1.0, "Startup Cost": 0.43, "Total Cost": 8.45}}]);
        let e = estimate(&lookup, &HashMap::new(), HeavyLimits::default());
        assert!(!e.over(), "{e:?}");
        let cross = json!([{"Plan": {"Node Type": "Nested Loop", "Plan Rows": 1e8, "Startup Cost": 0.0, "Total Cost": 1.5e6,
            "Plans": [seq("users", 10_000.0, 200.0),
                      {"Node Type": "Materialize", "Plan Rows": 10_000.0, "Plans": [seq("orders", 10_000.0, 200.0)]}]}}]);
        let e = estimate(
            &cross,
            &sizes(&[("users", Some(10_000.0), 100.0), ("orders", Some(10_000.0), 100.0)]),
            HeavyLimits::default(),
        );
        assert!(e.over(), "{e:?}");
        let inner = json!([{"Plan": {"Node Type": "Nested Loop", "Plan Rows": 10.0, "Startup Cost": 0.0, "Total Cost": 900.0,
            "Plans": [seq("users", 10_000.0, 200.0), seq("orders", 1.0, 200.0)]}}]);
        let e = estimate(
            &inner,
            &sizes(&[("users", Some(10_000.0), 100.0), ("orders", Some(10_000.0), 100.0)]),
            HeavyLimits::default(),
        );
        assert_eq!(e.rows_scanned, 10_000.0 + 10_000.0 * 10_000.0, "the inner scan runs once per outer row");
    }

    #[test]
    fn a_limit_stops_a_scan_early() {
        let plan = json!([{"Plan": {"Node Type": "Limit", "Plan Rows": 501.0, "Startup Cost": 0.0, "Total Cost": 9.2,
            "Plans": [seq("orders", 3_000_000.0, 55_000.0)]}}]);
        let e = estimate(&plan, &sizes(&[("orders", Some(3_000_000.0), 16_000.0)]), HeavyLimits::default());
        assert!(e.rows_scanned < 1_000.0, "{e:?}");
        assert!(!e.over());
        let off = HeavyLimits { max_rows_scanned: 0.0, max_cost: 0.0 };
        assert!(off.off());
        let big = json!([{"Plan": seq("orders", 1.0, 1e9)}]);
        assert!(!estimate(&big, &HashMap::new(), off).over());
    }
}
