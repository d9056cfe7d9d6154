//! Every example in `grammar/*.md` (the ```sql blocks) runs on a fresh database, so the grammar
//! documents cannot drift from what the parser and DDL accept.

use std::path::Path;

use vellum::Database;

/// The contents of the ```sql fenced blocks of a Markdown text.
fn sql_examples(markdown: &str) -> Vec<String> {
    let mut examples = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sql") => current = Some(String::new()),
            (Some(block), "```") => {
                examples.push(block.trim().to_string());
                current = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "unterminated ```sql block");
    examples
}

#[test]
fn every_grammar_example_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for example in sql_examples(&text) {
            let data = tempfile::tempdir().unwrap();
            // With a master key: examples may create encrypted tables.
            let options = vellum::OpenOptions {
                master_key: Some(vellum::crypto::aead::AeadKey::generate().unwrap()),
                ..Default::default()
            };
            let db = Database::open_with_options(data.path(), options).unwrap();
            let mut session = db.session();
            if let Err(e) = session.execute(&example) {
                panic!("{}: example fails: {example}\n{e}", path.display());
            }
            total += 1;
        }
    }
    assert!(total >= 4, "only {total} examples found");
}

#[test]
fn examples_are_extracted() {
    let md = "text\n```sql\nSELECT 1\n```\n```ebnf\nx = y ;\n```\n```sql\nSELECT\n  2\n```\n";
    assert_eq!(sql_examples(md), ["SELECT 1", "SELECT\n  2"]);
}
