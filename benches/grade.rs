//! Grading figures: `cargo bench --bench grade`.
//!
//! 1. Answers per second on one core: every answer of the evaluation set (`content/eval`), graded against the
//!    bundled bank's prepared questions, repeated until about two seconds have passed.
//! 2. The reveal's member-to-member copy check for one round of 1,000 answers (`BENCH_ROUND` to change): a
//!    tenth of them copies, some padded, of earlier ones.
//!
//! Prints figures; asserts nothing about speed.

use std::path::Path;
use std::time::{Duration, Instant};

use drillbot::bank::Bank;
use drillbot::grading::Grader;
use drillbot::grading::copy::{Shingles, copies_of_earlier};
use drillbot::grading::eval::EvalSet;
use drillbot::grading::normalize::normalize;

fn main() {
    let bank = Bank::bundled().expect("the bundled bank loads");
    let set = EvalSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content/eval"))
        .expect("the evaluation set loads");
    let grader = Grader::new(&bank);
    let answers: Vec<(&drillbot::bank::Question, &str)> = set
        .entries
        .iter()
        .filter_map(|e| bank.get(&e.id).map(|q| (q, e)))
        .flat_map(|(q, e)| e.answers.values().map(move |a| (q, a.as_str())))
        .collect();
    // Questions are prepared the first time they are graded: one pass prepares every one of them.
    let started = Instant::now();
    for (q, a) in &answers {
        std::hint::black_box(grader.grade(q, a, 10));
    }
    let prepare = started.elapsed();
    let chars: usize = answers.iter().map(|(_, a)| a.chars().count()).sum();
    println!(
        "first pass (preparing {} questions) {:.1} ms; {} evaluation answers, {:.0} characters on average",
        set.entries.len(),
        prepare.as_secs_f64() * 1e3,
        answers.len(),
        chars as f64 / answers.len() as f64
    );

    let mut graded = 0usize;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        for (q, a) in &answers {
            std::hint::black_box(grader.grade(q, a, 10));
        }
        graded += answers.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "grading: {graded} answers in {secs:.2} s = {:.0} answers/s on one core ({:.1} µs each)",
        graded as f64 / secs,
        secs * 1e6 / graded as f64
    );

    let n: usize = std::env::var("BENCH_ROUND")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let pool: Vec<&str> = answers.iter().map(|(_, a)| *a).collect();
    let mut round: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        let answer = if i % 10 == 9 {
            // A copy of an earlier member's answer; every other one padded with text of its own.
            let earlier = round[i - 7].clone();
            if i % 20 == 19 {
                let pad: String = pool[(i * 7 + 3) % pool.len()].chars().take(60).collect();
                format!("{earlier} 我再补充一点：{pad}")
            } else {
                earlier
            }
        } else {
            pool[i % pool.len()].to_string()
        };
        round.push(answer);
    }
    let started = Instant::now();
    let shingles: Vec<Shingles> = round.iter().map(|a| Shingles::of(&normalize(a))).collect();
    let flags = copies_of_earlier(&shingles);
    let took = started.elapsed();
    println!(
        "copy check at the reveal: {n} answers in {:.1} ms ({} flagged as copies of an earlier answer)",
        took.as_secs_f64() * 1e3,
        flags.iter().filter(|f| **f).count()
    );
}
