//! The bank: file:line errors, the bundled bank's health, its Python code, and the binary's bank commands.

use std::process::Command;

use drillbot::bank::{self, Severity};

use crate::harness::run_drillbot;

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_broken_bank_file_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "syntax.toml",
        "topic = \"a\"\nname = \"A\"\nname_en = \"A\"\n\n[[questions]\nid = \"x\"\n",
    );
    write(
        dir.path(),
        "fields.toml",
        r#"topic = "b"
name = "B"
name_en = "B"

[[questions]]
id = "b-one"
difficulty = 7
tags = ["t"]
question = "Q?"
answer = "A."

[[questions.points]]
text = "no phrases"
phrases = []

[[questions]]
id = "b-one"
difficulty = 1
tags = ["t"]
question = "Q2?"
answer = ""
[[questions.points]]
text = "p"
phrases = ["something"]
"#,
    );
    let (bank, diags) = bank::check_dir(dir.path());
    assert!(bank.is_none());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    assert!(has("syntax.toml:5:"), "{errors:#?}");
    assert!(
        has("fields.toml:7: error: question \"b-one\": difficulty 7"),
        "{errors:#?}"
    );
    assert!(
        has("fields.toml:12:") && has("key point 1 has no `phrases`"),
        "{errors:#?}"
    );
    assert!(
        has("fields.toml:17:") && has("duplicate id \"b-one\" (also at"),
        "{errors:#?}"
    );
    assert!(has("`answer` is empty"), "{errors:#?}");
}

#[test]
fn the_bank_check_command_exits_non_zero_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.toml",
        "topic = \"c\"\nname = \"C\"\nname_en = \"C\"\n[[questions]]\nid = \"Bad Id\"\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["bank", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("bad.toml:5: error: id \"Bad Id\""),
        "{stdout}"
    );
}

#[test]
fn the_bundled_bank_passes_check_with_no_errors_and_no_warnings() {
    let (bank, diags) = bank::check_embedded_bundle();
    let listed: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert!(listed.is_empty(), "{listed:#?}");
    let bank = bank.unwrap();
    assert!(
        bank.questions().len() >= 30,
        "{} questions",
        bank.questions().len()
    );
    assert!(bank.topics().len() >= 5);
}

#[test]
fn bank_stats_json_counts_questions_per_topic() {
    let out = Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["bank", "stats", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bank = drillbot::bank::Bank::bundled().unwrap();
    assert_eq!(
        v["questions"].as_u64().unwrap() as usize,
        bank.questions().iter().filter(|q| !q.draft).count()
    );
    let per_topic: u64 = v["topics"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(per_topic, v["questions"].as_u64().unwrap());
    // Hard and multiple-choice questions per topic, as the bank's own counts give them.
    for q in bank.topics() {
        let of_topic = || {
            bank.questions()
                .iter()
                .filter(|x| !x.draft && x.topic == q.key)
        };
        let hard = of_topic().filter(|x| x.difficulty == 3).count() as u64;
        let choice = of_topic().filter(|x| x.is_choice()).count() as u64;
        assert_eq!(v["hard"][&q.key].as_u64(), Some(hard), "{}", q.key);
        assert_eq!(
            v["multiple_choice"][&q.key].as_u64(),
            Some(choice),
            "{}",
            q.key
        );
    }
    let total = |key: &str| {
        v[key]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(v["hard_total"].as_u64(), Some(total("hard")));
    assert_eq!(
        v["multiple_choice_total"].as_u64(),
        Some(total("multiple_choice"))
    );
    assert!(v["multiple_choice_total"].as_u64().unwrap() > 0);
}

/// Every ```python block in the bundled bank compiles with python3, and runs unless it starts with
/// `# compile-only` (it needs a server, a network or a framework).
#[test]
fn every_python_block_in_the_bank_compiles_and_self_contained_ones_run() {
    let bank = drillbot::bank::Bank::bundled().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut blocks = 0;
    for q in bank.questions() {
        for (i, code) in python_blocks(&q.answer).into_iter().enumerate() {
            blocks += 1;
            let file = dir
                .path()
                .join(format!("{}_{i}.py", q.id.replace('-', "_")));
            std::fs::write(&file, &code).unwrap();
            let compile = Command::new("python3")
                .arg("-m")
                .arg("py_compile")
                .arg(&file)
                .output()
                .expect("python3 is installed");
            if !compile.status.success() {
                failures.push(format!(
                    "{} ({}): {}",
                    q.id,
                    q.location,
                    String::from_utf8_lossy(&compile.stderr)
                ));
                continue;
            }
            if code.trim_start().starts_with("# compile-only") {
                continue;
            }
            let run = Command::new("timeout")
                .arg("20")
                .arg("python3")
                .arg(&file)
                .current_dir(dir.path())
                .output()
                .unwrap();
            if !run.status.success() {
                failures.push(format!(
                    "{} ({}) fails when run: {}",
                    q.id,
                    q.location,
                    String::from_utf8_lossy(&run.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(blocks > 0, "the bank has code to check");
}

fn python_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed.starts_with("```python") || trimmed.starts_with("```py") => {
                current = Some(String::new())
            }
            Some(code) if trimmed.starts_with("```") => {
                blocks.push(std::mem::take(code));
                current = None;
            }
            Some(code) => {
                code.push_str(line);
                code.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn a_scripted_console_session_runs_a_round_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let db = db.to_str().unwrap();
    let script = "# a script (security below level 3 has only free-text questions)\n/settings topics security\n/settings difficulty 1-2\n/today\n/as alice\n/answer 我的答案写得足够长，包含一些要点。\n/as host\n/reveal\n/clock +1d2h\n/leaderboard all\n";
    let out = run_drillbot(
        &["console", "--now", "2026-12-01T08:00", "--db", db],
        script.as_bytes(),
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("今日一题"), "{text}");
    assert!(text.contains("【仅 alice 可见】"), "{text}");
    assert!(text.contains("✅ 揭晓"), "{text}");
    assert_eq!(
        text.matches("今日一题").count(),
        2,
        "the next day's question is posted by the schedule: {text}"
    );
    assert!(text.contains("1. alice"), "{text}");
}

#[test]
fn the_console_skips_bad_input_lines_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("console.db");
    let db = db.to_str().unwrap();
    let mut script: Vec<u8> =
        b"/settings topics security\n/settings difficulty 1-2\n/today\n/as alice\n".to_vec();
    script.extend_from_slice(b"/answer \xff\xfe broken bytes\n");
    script.extend_from_slice(format!("/answer {}\n", "x".repeat(1_000_000)).as_bytes());
    script.extend_from_slice(
        "/answer \0\u{1b}缓存穿透是查询一个不存在的数据，缓存和数据库里都没有。\n".as_bytes(),
    );
    script.extend_from_slice(b"/clock 9999-12-31T23:59\n/as host\n/reveal\n");
    let out = run_drillbot(
        &["console", "--now", "2026-12-01T08:00", "--db", db],
        &script,
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("第 5 行不是 UTF-8 文本，已跳过。"), "{text}");
    assert!(text.contains("第 6 行超过"), "{text}");
    assert!(text.contains("时钟一次最多移动 366 天"), "{text}");
    // The answer with a NUL and an escape was stored without them and shows at the reveal.
    assert!(text.contains("【仅 alice 可见】"), "{text}");
    assert!(text.contains("✅ 揭晓"), "{text}");
    assert!(text.contains("alice："), "{text}");
}

#[test]
fn configuration_mistakes_stop_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let run = |config_dir: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_drillbot"))
            .args(["bank", "stats", "--config-dir"])
            .arg(config_dir)
            .output()
            .unwrap()
    };
    let out = run(&dir.path().join("missing"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such directory"));

    std::fs::write(
        dir.path().join("local.toml"),
        "[chat]\ntopics = [\"nosuchtopic\"]\n",
    )
    .unwrap();
    let out = run(dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("chat.topics") && err.contains("nosuchtopic"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("local.toml"),
        "[chat]\ntopics = [\"redis\"]\n",
    )
    .unwrap();
    assert!(run(dir.path()).status.success());
}
