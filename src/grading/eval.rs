//! The grader's evaluation set: labelled answers per free-text question (`content/eval/*.toml`, written blind:
//! see `content/eval/README.md`), and the report `drillbot bank eval` prints from grading them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Grader, Verdict};
use crate::bank::{Bank, Diagnostic, Location, Question};

/// Classes written by hand, in the order strong answers should outrank weaker ones.
pub const ORDERED: [&str; 4] = ["strong", "partial", "weak", "offtopic"];
/// Classes meant to fool a word matcher; none should score above [`ADVERSARIAL_MAX`].
pub const ADVERSARIAL: [&str; 4] = ["restated", "termlist", "negated", "padded_copy"];
/// The highest score an adversarial answer may get.
pub const ADVERSARIAL_MAX: u8 = 30;
/// Every class a question's entry may hold (`padded_copy` is made here, from the model answer).
pub const CLASSES: [&str; 9] = [
    "strong",
    "partial",
    "weak",
    "offtopic",
    "strong_en",
    "restated",
    "termlist",
    "negated",
    "padded_copy",
];

/// The share of the model answer's length that a padded copy adds in unrelated text.
const PADDING: f64 = 0.3;

/// The answers written for one question.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Question id.
    pub id: String,
    /// Class -> answer text.
    pub answers: BTreeMap<String, String>,
    /// Where the entry is.
    pub location: Location,
}

/// An evaluation set.
#[derive(Debug, Clone, Default)]
pub struct EvalSet {
    /// Entries in file order.
    pub entries: Vec<Entry>,
    by_id: std::collections::HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    answers: Vec<toml::Spanned<BTreeMap<String, String>>>,
}

impl EvalSet {
    /// Reads every `*.toml` file of a directory. Problems come back with `file:line`.
    pub fn load_dir(dir: &Path) -> Result<EvalSet, Vec<Diagnostic>> {
        let here = |file: &str, line| Location {
            file: file.to_string(),
            line,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| {
                vec![Diagnostic::error(
                    here(&dir.display().to_string(), 0),
                    format!("cannot read the evaluation set: {e}"),
                )]
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let mut set = EvalSet::default();
        let mut errors = Vec::new();
        for path in paths {
            let file = path.display().to_string();
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(Diagnostic::error(
                        here(&file, 0),
                        format!("cannot read: {e}"),
                    ));
                    continue;
                }
            };
            let line_starts: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset);
            let raw: RawFile = match toml::from_str(&text) {
                Ok(r) => r,
                Err(e) => {
                    let line = e.span().map_or(1, |s| line_of(s.start));
                    errors.push(Diagnostic::error(
                        here(&file, line),
                        e.message().trim().to_string(),
                    ));
                    continue;
                }
            };
            for spanned in raw.answers {
                let location = here(&file, line_of(spanned.span().start));
                let mut answers = spanned.into_inner();
                let Some(id) = answers.remove("id") else {
                    errors.push(Diagnostic::error(location, "an entry without `id`".into()));
                    continue;
                };
                if let Some(bad) = answers.keys().find(|k| !CLASSES.contains(&k.as_str())) {
                    errors.push(Diagnostic::error(
                        location.clone(),
                        format!(
                            "{id}: unknown class `{bad}` (classes: {})",
                            CLASSES.join(", ")
                        ),
                    ));
                }
                set.entries.push(Entry {
                    id,
                    answers: answers
                        .into_iter()
                        .map(|(k, v)| (k, v.trim().to_string()))
                        .collect(),
                    location,
                });
            }
        }
        for (i, e) in set.entries.iter().enumerate() {
            if let Some(&first) = set.by_id.get(&e.id) {
                errors.push(Diagnostic::error(
                    e.location.clone(),
                    format!(
                        "{}: a second entry (the first is at {})",
                        e.id, set.entries[first].location
                    ),
                ));
            }
            set.by_id.insert(e.id.clone(), i);
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// The entry of a question.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }
}

/// The model answer padded with unrelated text (the entry's off-topic answer, repeated to length), to test that
/// the copy check looks both ways.
pub fn padded_copy(q: &Question, entry: &Entry) -> Option<String> {
    let filler = entry.answers.get("offtopic").filter(|f| !f.is_empty())?;
    let want = (q.answer.chars().count() as f64 * PADDING) as usize;
    let padding: String = filler.chars().cycle().take(want.max(1)).collect();
    Some(format!("{}\n\n{padding}", q.answer))
}

/// Scores of one question's answers.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionScores {
    /// Question id.
    pub id: String,
    /// Class -> score.
    pub scores: BTreeMap<String, u8>,
    /// Whether strong > partial > weak > offtopic (ties only at 0).
    pub ordered: bool,
}

/// Mean score of a class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassMean {
    /// The class.
    pub class: String,
    /// Answers graded.
    pub answers: usize,
    /// Mean score.
    pub mean: f64,
    /// Answers read as a bare list of terms (and capped).
    pub term_lists: usize,
    /// How many of them read as answers to another question (no credit).
    pub off_topic: usize,
}

/// An answer that scored high for its class.
#[derive(Debug, Clone, Serialize)]
pub struct Outlier {
    /// The class.
    pub class: String,
    /// Question id.
    pub id: String,
    /// Its score.
    pub score: u8,
}

/// A key point that a strong answer did not cover.
#[derive(Debug, Clone, Serialize)]
pub struct Missed {
    /// Question id.
    pub id: String,
    /// 1-based point number.
    pub point: usize,
    /// What the point says.
    pub text: String,
    /// `strong` or `strong_en`.
    pub class: String,
}

/// What `drillbot bank eval` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Free-text questions with an entry.
    pub questions: usize,
    /// Free-text questions of the bank (within the topic filter) without one.
    pub without_entry: Vec<String>,
    /// Mean per class, in [`CLASSES`] order.
    pub means: Vec<ClassMean>,
    /// Questions whose four ordered classes are all present.
    pub ordered_of: usize,
    /// Of those, how many are in order.
    pub ordered: usize,
    /// Mean strong_en / mean strong.
    pub english_ratio: f64,
    /// Adversarial answers above [`ADVERSARIAL_MAX`], highest first.
    pub adversarial_over: Vec<Outlier>,
    /// The highest adversarial answers, highest first (at most 10).
    pub adversarial_top: Vec<Outlier>,
    /// Points strong answers missed (the list to fix phrases from).
    pub missed_by_strong: Vec<Missed>,
    /// Every question's scores.
    pub per_question: Vec<QuestionScores>,
}

impl Report {
    /// The mean of a class, if it has answers.
    pub fn mean(&self, class: &str) -> Option<f64> {
        self.means
            .iter()
            .find(|m| m.class == class && m.answers > 0)
            .map(|m| m.mean)
    }

    /// The share of questions in order.
    pub fn ordered_share(&self) -> f64 {
        if self.ordered_of == 0 {
            0.0
        } else {
            self.ordered as f64 / self.ordered_of as f64
        }
    }
}

fn in_order(scores: &BTreeMap<String, u8>) -> Option<bool> {
    let s: Vec<u8> = ORDERED
        .iter()
        .map(|c| scores.get(*c).copied())
        .collect::<Option<_>>()?;
    Some(
        s.windows(2)
            .all(|w| w[0] > w[1] || (w[0] == 0 && w[1] == 0)),
    )
}

/// Grades the set against the bank (only questions of `topic`, if given).
pub fn evaluate(
    bank: &Bank,
    grader: &Grader,
    set: &EvalSet,
    topic: Option<&str>,
    min_chars: usize,
) -> Report {
    let wanted = |q: &Question| !q.is_choice() && !q.draft && topic.is_none_or(|t| q.topic == t);
    let mut per_question = Vec::new();
    let mut missed_by_strong = Vec::new();
    let mut without_entry = Vec::new();
    let mut off_topic: BTreeMap<String, usize> = BTreeMap::new();
    for q in bank.questions().iter().filter(|q| wanted(q)) {
        let Some(entry) = set.get(&q.id) else {
            without_entry.push(q.id.clone());
            continue;
        };
        let mut answers = entry.answers.clone();
        if !answers.contains_key("padded_copy")
            && let Some(p) = padded_copy(q, entry)
        {
            answers.insert("padded_copy".into(), p);
        }
        let mut scores = BTreeMap::new();
        for (class, text) in &answers {
            let g = grader.grade(q, text, min_chars);
            if g.verdict == Verdict::OffTopic {
                *off_topic.entry(class.clone()).or_default() += 1;
            }
            if class.starts_with("strong") && g.verdict == Verdict::Graded {
                for (i, p) in q.points.iter().enumerate() {
                    if !g.covered.contains(&i) {
                        missed_by_strong.push(Missed {
                            id: q.id.clone(),
                            point: i + 1,
                            text: p.text.clone(),
                            class: class.clone(),
                        });
                    }
                }
            }
            scores.insert(class.clone(), g.score);
        }
        per_question.push(QuestionScores {
            id: q.id.clone(),
            ordered: in_order(&scores).unwrap_or(false),
            scores,
        });
    }
    let means = CLASSES
        .iter()
        .map(|c| {
            let s: Vec<f64> = per_question
                .iter()
                .filter_map(|p| p.scores.get(*c).map(|&x| x as f64))
                .collect();
            ClassMean {
                class: c.to_string(),
                answers: s.len(),
                mean: if s.is_empty() {
                    0.0
                } else {
                    s.iter().sum::<f64>() / s.len() as f64
                },
                term_lists: set
                    .entries
                    .iter()
                    .filter(|e| per_question.iter().any(|p| p.id == e.id))
                    .filter_map(|e| e.answers.get(*c))
                    .filter(|t| super::lint::is_term_list(t))
                    .count(),
                off_topic: off_topic.get(*c).copied().unwrap_or(0),
            }
        })
        .collect::<Vec<_>>();
    let ordered_of = per_question
        .iter()
        .filter(|p| in_order(&p.scores).is_some())
        .count();
    let ordered = per_question.iter().filter(|p| p.ordered).count();
    let mut adversarial: Vec<Outlier> = per_question
        .iter()
        .flat_map(|p| {
            ADVERSARIAL.iter().filter_map(|c| {
                p.scores.get(*c).map(|&score| Outlier {
                    class: c.to_string(),
                    id: p.id.clone(),
                    score,
                })
            })
        })
        .collect();
    adversarial.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    let adversarial_over = adversarial
        .iter()
        .filter(|o| o.score > ADVERSARIAL_MAX)
        .cloned()
        .collect();
    adversarial.truncate(10);
    let mut report = Report {
        questions: per_question.len(),
        without_entry,
        means,
        ordered_of,
        ordered,
        english_ratio: 0.0,
        adversarial_over,
        adversarial_top: adversarial,
        missed_by_strong,
        per_question,
    };
    report.english_ratio = match (report.mean("strong_en"), report.mean("strong")) {
        (Some(en), Some(zh)) if zh > 0.0 => en / zh,
        _ => 0.0,
    };
    report
}

/// The report as text for a terminal.
pub fn render(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "questions graded: {}", r.questions);
    if !r.without_entry.is_empty() {
        let _ = writeln!(
            s,
            "free-text questions without an entry: {} ({})",
            r.without_entry.len(),
            r.without_entry.join(", ")
        );
    }
    let _ = writeln!(s, "\nmean score per class:");
    for m in r.means.iter().filter(|m| m.answers > 0) {
        let _ = writeln!(
            s,
            "  {:<12} {:>6.1}   ({} answers, {} read as term lists, {} as answers to another question)",
            m.class, m.mean, m.answers, m.term_lists, m.off_topic
        );
    }
    let _ = writeln!(
        s,
        "\nstrong > partial > weak > offtopic: {} of {} questions ({:.1}%)",
        r.ordered,
        r.ordered_of,
        100.0 * r.ordered_share()
    );
    let _ = writeln!(
        s,
        "English / Chinese (strong_en / strong): {:.3}",
        r.english_ratio
    );
    let _ = writeln!(
        s,
        "\nadversarial answers above {ADVERSARIAL_MAX}: {}",
        r.adversarial_over.len()
    );
    let _ = writeln!(s, "highest adversarial scores:");
    for o in &r.adversarial_top {
        let _ = writeln!(s, "  {:>3}  {:<12} {}", o.score, o.class, o.id);
    }
    let _ = writeln!(
        s,
        "\npoints strong answers missed: {}",
        r.missed_by_strong.len()
    );
    for m in &r.missed_by_strong {
        let _ = writeln!(s, "  {} #{} [{}] {}", m.id, m.point, m.class, m.text);
    }
    let unordered: Vec<&QuestionScores> = r.per_question.iter().filter(|p| !p.ordered).collect();
    if !unordered.is_empty() {
        let _ = writeln!(s, "\nquestions out of order:");
        for p in unordered {
            let row: Vec<String> = ORDERED
                .iter()
                .map(|c| {
                    format!(
                        "{c} {}",
                        p.scores.get(*c).map_or("-".into(), |x| x.to_string())
                    )
                })
                .collect();
            let _ = writeln!(s, "  {}: {}", p.id, row.join(", "));
        }
    }
    s
}
