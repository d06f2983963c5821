use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
fn main() {
    for sql in std::env::args().skip(1) {
        match Parser::parse_sql(&PostgreSqlDialect {}, &sql) {
            Ok(s) => println!("OK {sql}\n{:?}\n", s),
            Err(e) => println!("ERR {sql}: {e}\n"),
        }
    }
}
