//! The crate's layout: dependencies point one way. Each module of the library has a layer; a module may use
//! only modules of lower layers (and the shared vocabulary). This reads the sources, so an import that points
//! up fails here, whatever compiles.

use std::collections::BTreeSet;
use std::path::Path;

/// Layers, lowest first. Modules in one layer do not use each other.
const LAYERS: &[&[&str]] = &[
    &["vocab", "message", "markup", "metrics"],
    &["command", "bank", "schedule"],
    &["i18n", "grading", "store", "importer"],
    &["engine"],
    &["delivery", "console"],
    &["adapters"],
    &["settings"],
    &["app"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a source file names through `crate::` (test modules excluded).
fn uses(source: &str) -> BTreeSet<String> {
    // Unit tests may reach anywhere: only the code before `#[cfg(test)]` counts.
    let code = source.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::X, b::{Y, Z}}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || !item.contains("::") {
                    item.push(c);
                }
            }
            found.insert(first_segment(&item));
        } else {
            found.insert(first_segment(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

fn first_segment(path: &str) -> String {
    let name: String = path
        .trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // Re-exports at the crate root.
    match name.as_str() {
        "Engine" => "engine".into(),
        _ => name,
    }
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer(&module) else {
            wrong.push(format!(
                "{} is in no layer of tests/drillbot/layout.rs",
                rel.display()
            ));
            continue;
        };
        for used in uses(&std::fs::read_to_string(&file).unwrap()) {
            if used == module {
                continue;
            }
            match layer(&used) {
                Some(l) if l < own => {}
                _ => wrong.push(format!("{} ({module}) uses {used}", rel.display())),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point up or sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_layer_check_reads_grouped_and_plain_imports() {
    let found = uses(
        "use crate::{engine::Engine, store::{A, B}};\nuse crate::vocab::Lang;\nfn f() { crate::markup::literal(\"\"); }\n#[cfg(test)]\nuse crate::app;",
    );
    let expected: BTreeSet<String> = ["engine", "store", "vocab", "markup"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn the_importer_is_not_part_of_the_server() {
    // Only the command-line tool uses it: the bot's own modules never do.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if rel == "main.rs" || rel.starts_with("importer") || rel == "lib.rs" {
            continue;
        }
        let used = uses(&std::fs::read_to_string(&file).unwrap());
        assert!(!used.contains("importer"), "{rel} uses the importer");
    }
}
