//! The grader against its evaluation set (written blind, in `content/eval/`), the rules `bank check` enforces
//! for it, and the `bank eval` / `bank grade` commands.

use std::path::Path;

use drillbot::bank::{self, Bank, Severity};
use drillbot::grading::eval::{self, ADVERSARIAL_MAX, EvalSet};
use drillbot::grading::{self, Grader, Verdict, lint};

use crate::harness::run_drillbot;

fn eval_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content/eval")
}

fn report() -> eval::Report {
    let bank = Bank::bundled().unwrap();
    let set = EvalSet::load_dir(&eval_dir()).unwrap();
    eval::evaluate(&bank, &Grader::new(&bank), &set, None, 10)
}

#[test]
fn grading_meets_its_targets_on_the_evaluation_set() {
    let r = report();
    let text = eval::render(&r);
    assert!(r.without_entry.is_empty(), "{text}");
    assert!(r.questions >= 160, "{text}");
    let mean = |c: &str| {
        r.mean(c)
            .unwrap_or_else(|| panic!("no {c} answers\n{text}"))
    };
    assert!(r.ordered_share() >= 0.90, "ordering\n{text}");
    assert!(mean("strong") >= 85.0, "strong\n{text}");
    assert!(
        mean("strong_en") >= 0.95 * mean("strong"),
        "English\n{text}"
    );
    assert!((40.0..=75.0).contains(&mean("partial")), "partial\n{text}");
    assert!(mean("weak") <= 25.0, "weak\n{text}");
    assert!(mean("offtopic") <= 5.0, "offtopic\n{text}");
    for class in eval::ADVERSARIAL {
        assert!(mean(class) >= 0.0, "{class} graded");
    }
    assert!(
        r.adversarial_over.is_empty(),
        "adversarial answers above {ADVERSARIAL_MAX}: {:?}\n{text}",
        r.adversarial_over
    );
}

#[test]
fn the_bundled_bank_meets_the_graders_rules_with_its_evaluation_set() {
    let (bank, diags) = bank::check_embedded_bundle();
    let bank = bank.unwrap();
    assert!(diags.is_empty(), "{diags:#?}");
    let set = EvalSet::load_dir(&eval_dir()).unwrap();
    let diags = lint::check(&bank, Some(&set));
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The only warnings allowed: a point the blind strong answer really does not state (the answer is not
    // changed to suit the bank, and no phrase is added that it does not say). Few of them.
    let warnings: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .all(|w| w.contains("is not stated by the strong evaluation answer")),
        "{warnings:#?}"
    );
    assert!(warnings.len() <= 20, "{warnings:#?}");
}

#[test]
fn answers_to_neighbouring_questions_earn_nothing_and_real_answers_are_never_taken_for_them() {
    let bank = Bank::bundled().unwrap();
    let grader = Grader::new(&bank);
    let set = EvalSet::load_dir(&eval_dir()).unwrap();
    // Off-topic answers' total score by key phrases alone, and after the comparison with the bank.
    let (mut by_words, mut with_bank, mut caught) = (0u32, 0u32, 0);
    for entry in &set.entries {
        let q = bank.get(&entry.id).unwrap();
        for (class, text) in &entry.answers {
            let g = grader.grade(q, text, 10);
            match class.as_str() {
                "strong" | "strong_en" | "partial" => assert_ne!(
                    g.verdict,
                    Verdict::OffTopic,
                    "{} {class} read as an answer to {:?}",
                    entry.id,
                    g.reads_as
                ),
                "offtopic" => {
                    by_words += u32::from(grading::grade_text(q, text, 10).score);
                    with_bank += u32::from(g.score);
                    if g.verdict == Verdict::OffTopic {
                        caught += 1;
                        assert_eq!(g.score, 0);
                        let other = g.reads_as.as_deref().unwrap();
                        assert!(other != q.id && bank.get(other).is_some(), "{other}");
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        caught > 0 && with_bank < by_words,
        "{caught} caught; off-topic answers scored {by_words} in all by key phrases, {with_bank} after"
    );
}

const RULES_BANK: &str = r#"topic = "r"
name = "规则"
name_en = "Rules"

[[questions]]
id = "r-one"
difficulty = 1
tags = ["t"]
question = "交换机和路由器有什么区别？"
answer = '''交换机工作在数据链路层，按 MAC 地址转发；路由器工作在网络层，按 IP 地址选路。'''

[[questions.points]]
text = "交换机在二层"
phrases = ["交换机 & 数据链路层", "switch & layer 2"]
wrong = ["交换机 & 网络层"]

[[questions.points]]
text = "路由器按 IP 选路"
phrases = ["路由器", "按 ip 地址"]

[[questions.points]]
text = "按 MAC 转发"
phrases = ["转发"]

[[questions.points]]
text = "路由"
phrases = ["选路"]
wrong = ["路由器 & 网络层"]
"#;

#[test]
fn bank_check_enforces_the_graders_rules_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), RULES_BANK).unwrap();
    let (bank, diags) = bank::check_dir(dir.path());
    assert!(
        diags.iter().all(|d| d.severity != Severity::Error),
        "{diags:#?}"
    );
    let errors: Vec<String> = lint::check(&bank.unwrap(), None)
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    // Point 2: "路由器" is in the question; no English phrase.
    assert!(
        has("r.toml:17: error: r-one: key point 2 phrase \"路由器\" is in the question's own text"),
        "{errors:#?}"
    );
    assert!(
        has("r.toml:17: error: r-one: key point 2 has no English phrase"),
        "{errors:#?}"
    );
    // Point 3: two characters alone.
    assert!(
        has("r.toml:21:") && has("phrase \"转发\" is too short to stand alone"),
        "{errors:#?}"
    );
    // Point 4: the model answer states its myth.
    assert!(
        has("r.toml:25:") && has("the model answer states key point 4's wrong phrase"),
        "{errors:#?}"
    );
    // Point 1 is fine: a statement, English, not in the question, stated by the model answer.
    assert!(
        !errors.iter().any(|e| e.contains("key point 1")),
        "{errors:#?}"
    );
}

#[test]
fn bank_check_refuses_phrases_whose_meaning_is_a_symbol_the_grader_drops() {
    let bank_text = r#"topic = "s"
name = "符号"
name_en = "Symbols"

[[questions]]
id = "s-one"
difficulty = 1
tags = ["t"]
question = "Python 函数定义里的斜杠和星号分别表示什么？"
answer = '''斜杠之前的参数仅限位置传入（positional-only）；星号之后的参数仅限关键字传入（keyword-only）。except 星号用于异常组。'''

[[questions.points]]
text = "斜杠之前仅限位置"
phrases = ["/ 之前", "仅限位置", "positional-only"]
wrong = ["except* & 只执行第一个"]

[[questions.points]]
text = "星号之后仅限关键字"
phrases = ["仅限关键字", "keyword-only", "c++ & 关键字"]
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), bank_text).unwrap();
    let (bank, _) = bank::check_dir(dir.path());
    let errors: Vec<String> = lint::check(&bank.unwrap(), None)
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    let about = |part: &str| {
        errors
            .iter()
            .any(|e| e.contains(&format!("\"{part}\" reads as")))
    };
    assert!(about("/ 之前"), "alone, it reads 之前: {errors:#?}");
    assert!(about("except*"), "in a myth, it reads except: {errors:#?}");
    // Next to a second concept, or still meaningful without the symbol, a phrase is fine.
    assert!(!about("c++"), "{errors:#?}");
    assert!(
        !errors.iter().any(|e| e.contains("key point 2")),
        "{errors:#?}"
    );
}

fn drillbot(args: &[&str], stdin: &str) -> std::process::Output {
    run_drillbot(args, stdin.as_bytes())
}

#[test]
fn bank_grade_explains_one_answer_and_refuses_an_unknown_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), RULES_BANK).unwrap();
    let d = dir.path().to_str().unwrap();
    let out = drillbot(
        &["bank", "grade", "r-one", "--json", "--dir", d],
        "交换机其实工作在网络层，它看 IP 地址转发；路由器也是网络层设备，所以二者没有本质区别，只是端口数量不同而已。",
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "graded");
    assert_eq!(v["contradicted"][0]["point"], "交换机在二层", "{v}");
    assert_eq!(v["contradicted"][0]["said"], "交换机 & 网络层", "{v}");
    assert_eq!(v["contradicted"][1]["point"], "路由", "{v}");
    assert_eq!(v["missed"], serde_json::json!(["路由器按 IP 选路"]), "{v}");
    assert_eq!(v["covered"], serde_json::json!(["按 MAC 转发"]), "{v}");
    assert!(v["score"].as_u64().unwrap() <= 30, "{v}");

    let out = drillbot(&["bank", "grade", "no-such-id", "--dir", d], "x");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown question id"));
}

#[test]
fn bank_eval_prints_every_class_as_json() {
    let out = drillbot(&["bank", "eval", "--json", "--topic", "redis"], "");
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let classes: Vec<&str> = v["means"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["answers"].as_u64() > Some(0))
        .map(|m| m["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, eval::CLASSES, "{v}");
    assert!(v["questions"].as_u64().unwrap() >= 5, "{v}");
    let out = drillbot(&["bank", "eval", "--topic", "nosuchtopic"], "");
    assert!(!out.status.success());
}
