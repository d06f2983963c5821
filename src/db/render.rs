//! Result sets and their renderings: psql's aligned table, JSON and CSV, each streamed
//! so that an export keeps memory constant.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::session::{Column, Outcome, RowSink, ValueKind};

/// How NULL shows in a table, distinct from the empty string.
pub const NULL_DISPLAY: &str = "∅";

/// A bounded result held in memory (the cockpit's results pane, `query`'s table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultSet {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<Box<str>>>>,
}

impl RowSink for ResultSet {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        self.columns = columns.to_vec();
        Ok(())
    }
    fn row(&mut self, values: &[Option<&str>]) -> io::Result<()> {
        self.rows.push(values.iter().map(|v| v.map(Box::from)).collect());
        Ok(())
    }
}

/// Output formats of `warroom query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// A sink that writes rows out and closes the result when the read ends.
pub trait OutputSink: RowSink {
    fn finish(&mut self, outcome: &Outcome) -> io::Result<()>;
}

pub fn sink<'a, W: Write + 'a>(format: Format, out: W) -> Box<dyn OutputSink + 'a> {
    match format {
        Format::Table => Box::new(TableSink { out, batch: ResultSet::default(), header_done: false }),
        Format::Json => Box::new(JsonSink { out, columns: vec![], rows: 0 }),
        Format::Csv => Box::new(CsvSink { out, columns: 0, line: String::new() }),
    }
}

/// psql's aligned format, printed in batches so that an unlimited read stays bounded
/// (as psql does with FETCH_COUNT).
struct TableSink<W: Write> {
    out: W,
    batch: ResultSet,
    header_done: bool,
}

const TABLE_BATCH: usize = 1000;

impl<W: Write> RowSink for TableSink<W> {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        self.batch.columns = columns.to_vec();
        Ok(())
    }
    fn row(&mut self, values: &[Option<&str>]) -> io::Result<()> {
        self.batch.row(values)?;
        if self.batch.rows.len() >= TABLE_BATCH {
            self.flush_batch()?;
        }
        Ok(())
    }
}

impl<W: Write> TableSink<W> {
    fn flush_batch(&mut self) -> io::Result<()> {
        write_table(&mut self.out, &self.batch, !self.header_done)?;
        self.header_done = true;
        self.batch.rows.clear();
        Ok(())
    }
}

impl<W: Write> OutputSink for TableSink<W> {
    fn finish(&mut self, outcome: &Outcome) -> io::Result<()> {
        if self.batch.columns.is_empty() {
            return self.out.flush();
        }
        if !self.batch.rows.is_empty() || !self.header_done {
            self.flush_batch()?;
        }
        let n = outcome.rows;
        writeln!(self.out, "({} {})\n", n, if n == 1 { "row" } else { "rows" })?;
        self.out.flush()
    }
}

fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Tabs to the next multiple of 8 columns within the cell, as psql shows them.
fn expand_tabs(line: &str) -> String {
    if !line.contains('\t') {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut col = 0;
    for c in line.chars() {
        if c == '\t' {
            let n = 8 - col % 8;
            out.push_str(&" ".repeat(n));
            col += n;
        } else {
            out.push(c);
            col += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
    }
    out
}

/// Writes rows as psql's aligned format does, multi-line values continued with `+`.
/// psql's expanded display (`\x`): `-[ RECORD n ]`, then `column | value` a line.
pub fn write_records(out: &mut dyn Write, set: &ResultSet) -> io::Result<()> {
    let name_w = set.columns.iter().map(|c| width(&c.name)).max().unwrap_or(0);
    for (r, row) in set.rows.iter().enumerate() {
        writeln!(out, "-[ RECORD {} ]", r + 1)?;
        for (c, v) in set.columns.iter().zip(row) {
            let value = v.as_deref().map_or_else(|| NULL_DISPLAY.to_string(), |s| s.replace('\n', "↵"));
            writeln!(out, "{}{} | {value}", c.name, " ".repeat(name_w - width(&c.name)))?;
        }
    }
    Ok(())
}

pub fn write_table(out: &mut dyn Write, set: &ResultSet, header: bool) -> io::Result<()> {
    let cols = set.columns.len();
    let cell_lines = |v: &Option<Box<str>>| -> Vec<String> {
        match v {
            None => vec![NULL_DISPLAY.to_string()],
            Some(s) => s.split('\n').map(expand_tabs).collect(),
        }
    };
    let mut widths: Vec<usize> = set.columns.iter().map(|c| if header { width(&c.name) } else { 0 }).collect();
    let rendered: Vec<Vec<Vec<String>>> = set.rows.iter().map(|r| r.iter().map(cell_lines).collect()).collect();
    for row in &rendered {
        for (i, lines) in row.iter().enumerate() {
            for l in lines {
                widths[i] = widths[i].max(width(l));
            }
        }
    }
    let mut line = String::new();
    if header {
        for (i, c) in set.columns.iter().enumerate() {
            let pad = widths[i] - width(&c.name);
            line.push(' ');
            line.push_str(&" ".repeat(pad / 2));
            line.push_str(&c.name);
            line.push_str(&" ".repeat(pad - pad / 2));
            line.push_str(if i + 1 < cols { " |" } else { " " });
        }
        writeln!(out, "{line}")?;
        line.clear();
        for (i, w) in widths.iter().enumerate() {
            line.push_str(&"-".repeat(w + 2));
            if i + 1 < cols {
                line.push('+');
            }
        }
        writeln!(out, "{line}")?;
    }
    for row in &rendered {
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            line.clear();
            for (i, lines) in row.iter().enumerate() {
                let text = lines.get(k).map(String::as_str).unwrap_or("");
                let continues = k + 1 < lines.len();
                let pad = " ".repeat(widths[i] - width(text));
                let last = i + 1 == cols;
                line.push(' ');
                if set.columns[i].kind == ValueKind::Number {
                    if !(last && k >= lines.len()) {
                        line.push_str(&pad);
                    }
                    line.push_str(text);
                } else {
                    line.push_str(text);
                    // psql pads the last column only to put a continuation mark after it.
                    if !last || continues {
                        line.push_str(&pad);
                    }
                }
                if continues {
                    line.push('+');
                } else if !last {
                    line.push(' ');
                }
                if !last {
                    line.push('|');
                }
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// An array of objects, one per row, keys in column order.
struct JsonSink<W: Write> {
    out: W,
    columns: Vec<Column>,
    rows: u64,
}

impl<W: Write> RowSink for JsonSink<W> {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        self.columns = columns.to_vec();
        Ok(())
    }
    fn row(&mut self, values: &[Option<&str>]) -> io::Result<()> {
        self.out.write_all(if self.rows == 0 { b"[\n  {" } else { b",\n  {" })?;
        // Written by hand to keep the columns' order (and every column, even a repeated name).
        for (i, (c, v)) in self.columns.iter().zip(values).enumerate() {
            if i > 0 {
                self.out.write_all(b", ")?;
            }
            serde_json::to_writer(&mut self.out, &c.name)?;
            self.out.write_all(b": ")?;
            serde_json::to_writer(&mut self.out, &json_value(c.kind, *v))?;
        }
        self.out.write_all(b"}")?;
        self.rows += 1;
        Ok(())
    }
}

impl<W: Write> OutputSink for JsonSink<W> {
    fn finish(&mut self, _: &Outcome) -> io::Result<()> {
        self.out.write_all(if self.rows > 0 { b"\n]\n" } else { b"[]\n" })?;
        self.out.flush()
    }
}

/// Numbers and booleans as JSON values (when JSON can hold them), NULL as null.
pub fn json_value(kind: ValueKind, v: Option<&str>) -> serde_json::Value {
    use serde_json::Value;
    let Some(s) = v else { return Value::Null };
    match kind {
        ValueKind::Bool => Value::Bool(s == "t"),
        // Only plain decimals: NaN, Infinity and money keep their text.
        ValueKind::Number if is_json_number(s) => {
            serde_json::from_str::<serde_json::Number>(s).map(Value::Number).unwrap_or_else(|_| Value::String(s.into()))
        }
        _ => Value::String(s.into()),
    }
}

fn is_json_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.as_bytes()[0].is_ascii_digit()
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// CSV with a header, as COPY and `psql --csv` write it: RFC 4180's quoting, lines ending
/// in `\n`; NULL is an empty field, the empty string a quoted `""`. With every row wanted,
/// the server's own CSV passes through unchanged (the same bytes).
struct CsvSink<W: Write> {
    out: W,
    columns: usize,
    line: String,
}

fn csv_field(line: &mut String, v: Option<&str>, single: bool) {
    match v {
        None => {}
        // As COPY quotes: what holds a delimiter, a quote or a line end, the empty string
        // (NULL is the bare empty field) and, alone on its line, `\.` (the old end of data).
        Some(s) if s.is_empty() || (single && s == "\\.") || s.contains([',', '"', '\n', '\r']) => {
            line.push('"');
            line.push_str(&s.replace('"', "\"\""));
            line.push('"');
        }
        Some(s) => line.push_str(s),
    }
}

impl<W: Write> RowSink for CsvSink<W> {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        self.columns = columns.len();
        let names: Vec<Option<&str>> = columns.iter().map(|c| Some(c.name.as_str())).collect();
        self.row(&names)
    }
    fn row(&mut self, values: &[Option<&str>]) -> io::Result<()> {
        self.line.clear();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            csv_field(&mut self.line, *v, values.len() == 1);
        }
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }
    fn takes_server_csv(&self) -> bool {
        true
    }
    fn server_csv(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }
}

impl<W: Write> OutputSink for CsvSink<W> {
    fn finish(&mut self, _: &Outcome) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, kind: ValueKind) -> Column {
        Column { name: name.into(), type_name: "x".into(), kind }
    }

    fn run(format: Format, cols: &[Column], rows: &[&[Option<&str>]]) -> String {
        let mut buf = Vec::new();
        {
            let mut s = sink(format, &mut buf);
            s.columns(cols).unwrap();
            for r in rows {
                s.row(r).unwrap();
            }
            s.finish(&Outcome { rows: rows.len() as u64, more: false, elapsed: Default::default() }).unwrap();
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn json_types_and_nulls() {
        let cols = [col("n", ValueKind::Number), col("b", ValueKind::Bool), col("t", ValueKind::Text)];
        let out = run(Format::Json, &cols, &[&[Some("1.50"), Some("t"), None], &[Some("NaN"), Some("f"), Some("")]]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v, serde_json::json!([{"n": 1.50, "b": true, "t": null}, {"n": "NaN", "b": false, "t": ""}]));
        assert_eq!(run(Format::Json, &cols, &[]), "[]\n");
    }

    #[test]
    fn csv_quotes_only_what_needs_it_and_tells_null_from_empty() {
        let cols = [col("a", ValueKind::Text), col("b,c", ValueKind::Text)];
        let out = run(Format::Csv, &cols, &[&[None, Some("")], &[Some("x\"y"), Some("l1\nl2")]]);
        assert_eq!(out, "a,\"b,c\"\n,\"\"\n\"x\"\"y\",\"l1\nl2\"\n");
    }
}
