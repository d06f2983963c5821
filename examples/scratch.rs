use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Tokenizer;
fn main() {
    let d = PostgreSqlDialect {};
    let s = "SELECT u.id, u.email, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id = 5 GROUP BY 1, 2";
    let toks = Tokenizer::new(&d, s).tokenize().unwrap();
    for _ in 0..20000 { let _ = Parser::new(&d).with_tokens(toks.clone()).parse_statements().unwrap(); }
}
