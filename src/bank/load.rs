//! Reading and checking bank files. Every problem is a [`Diagnostic`] with `file:line`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use include_dir::Dir;
use serde::Deserialize;
use toml::Spanned;

use super::{Bank, KeyPoint, Location, Question, Topic};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The bank cannot be used.
    Error,
    /// The bank works, but something should be fixed.
    Warning,
}

/// One problem found in a bank file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where.
    pub location: Location,
    /// What, in plain words.
    pub message: String,
}

impl Diagnostic {
    /// An error at a place.
    pub fn error(location: Location, message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            location,
            message,
        }
    }

    /// A warning at a place.
    pub fn warning(location: Location, message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            location,
            message,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {kind}: {}", self.location, self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    topic: Option<Spanned<String>>,
    name: Option<String>,
    name_en: Option<String>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Option<Spanned<String>>,
    difficulty: Option<Spanned<i64>>,
    #[serde(default)]
    tags: Vec<String>,
    question: Option<Spanned<String>>,
    answer: Option<Spanned<String>>,
    #[serde(default)]
    points: Vec<Spanned<RawPoint>>,
    #[serde(default)]
    choices: Vec<String>,
    correct: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    followups: Vec<String>,
    #[serde(default)]
    draft: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    text: Option<String>,
    weight: Option<Spanned<i64>>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    all: Vec<Vec<String>>,
    #[serde(default)]
    wrong: Vec<String>,
}

/// Checks every `*.toml` file in `dir`. Returns the bank when there is no error, and every diagnostic.
pub fn check_dir(dir: &Path) -> (Option<Bank>, Vec<Diagnostic>) {
    let dir_loc = Location {
        file: dir.display().to_string(),
        line: 0,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            return (
                None,
                vec![Diagnostic::error(
                    dir_loc,
                    format!("cannot read directory: {e}"),
                )],
            );
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    for path in paths {
        let label = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => sources.push((label, text)),
            Err(e) => diagnostics.push(Diagnostic::error(
                Location {
                    file: label,
                    line: 0,
                },
                format!("cannot read file: {e}"),
            )),
        }
    }
    let (bank, more) = check_sources(&dir_loc, &sources);
    diagnostics.extend(more);
    let bank = bank.filter(|_| diagnostics.iter().all(|d| d.severity != Severity::Error));
    (bank, diagnostics)
}

/// Checks the bank files embedded in the binary; `prefix` names their directory in messages.
pub fn check_embedded(dir: &Dir<'_>, prefix: &str) -> (Option<Bank>, Vec<Diagnostic>) {
    let mut files: Vec<_> = dir
        .files()
        .filter(|f| f.path().extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort_by_key(|f| f.path());
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            (
                format!("{prefix}/{}", f.path().display()),
                String::from_utf8_lossy(f.contents()).into_owned(),
            )
        })
        .collect();
    let dir_loc = Location {
        file: prefix.to_string(),
        line: 0,
    };
    check_sources(&dir_loc, &sources)
}

fn check_sources(dir: &Location, sources: &[(String, String)]) -> (Option<Bank>, Vec<Diagnostic>) {
    let mut d = Vec::new();
    if sources.is_empty() {
        d.push(Diagnostic::error(
            dir.clone(),
            "no bank files (*.toml) here".into(),
        ));
        return (None, d);
    }
    let mut topics: Vec<Topic> = Vec::new();
    let mut topic_files: HashMap<String, Location> = HashMap::new();
    let mut questions: Vec<Question> = Vec::new();
    let mut ids: HashMap<String, Location> = HashMap::new();
    for (file, text) in sources {
        let lines = LineIndex::new(text);
        let at = |offset: usize| Location {
            file: file.clone(),
            line: lines.line_of(offset),
        };
        let raw: RawFile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let line = e.span().map(|s| lines.line_of(s.start)).unwrap_or(1);
                let msg = e.message().trim().replace('\n', " ");
                d.push(Diagnostic::error(
                    Location {
                        file: file.clone(),
                        line,
                    },
                    msg,
                ));
                continue;
            }
        };
        let file_start = at(0);
        let topic_key = match &raw.topic {
            None => {
                d.push(Diagnostic::error(
                    file_start.clone(),
                    "missing `topic`".into(),
                ));
                continue;
            }
            Some(t) => {
                let loc = at(t.span().start);
                let key = t.get_ref().trim().to_string();
                if !is_slug(&key) {
                    d.push(Diagnostic::error(
                        loc.clone(),
                        format!("topic \"{key}\" must be lowercase letters, digits and '-'"),
                    ));
                }
                if let Some(prev) = topic_files.get(&key) {
                    d.push(Diagnostic::error(
                        loc.clone(),
                        format!("topic \"{key}\" is already defined at {prev}"),
                    ));
                }
                topic_files.insert(key.clone(), loc);
                key
            }
        };
        let name = raw.name.clone().unwrap_or_default();
        let name_en = raw.name_en.clone().unwrap_or_default();
        if name.trim().is_empty() {
            d.push(Diagnostic::error(
                file_start.clone(),
                "missing `name`".into(),
            ));
        }
        if name_en.trim().is_empty() {
            d.push(Diagnostic::error(
                file_start.clone(),
                "missing `name_en`".into(),
            ));
        }
        if raw.questions.is_empty() {
            d.push(Diagnostic::warning(
                file_start.clone(),
                "no [[questions]] in this file".into(),
            ));
        }
        topics.push(Topic {
            key: topic_key.clone(),
            name,
            name_en,
        });
        for rq in raw.questions {
            let qloc = at(rq.span().start);
            let rq = rq.into_inner();
            if let Some(q) = check_question(rq, &topic_key, &qloc, &at, &mut ids, &mut d) {
                questions.push(q);
            }
        }
    }
    let ok = d.iter().all(|x| x.severity != Severity::Error);
    let bank = ok.then(|| Bank::from_parts(topics, questions));
    (bank, d)
}

fn check_question(
    rq: RawQuestion,
    topic: &str,
    qloc: &Location,
    at: &dyn Fn(usize) -> Location,
    ids: &mut HashMap<String, Location>,
    d: &mut Vec<Diagnostic>,
) -> Option<Question> {
    let errors_before = d.iter().filter(|x| x.severity == Severity::Error).count();
    let err = |d: &mut Vec<Diagnostic>, loc: &Location, m: String| {
        d.push(Diagnostic::error(loc.clone(), m))
    };
    let id = match &rq.id {
        None => {
            err(d, qloc, "question without `id`".into());
            String::new()
        }
        Some(id) => {
            let loc = at(id.span().start);
            let value = id.get_ref().trim().to_string();
            if !is_slug(&value) {
                err(
                    d,
                    &loc,
                    format!("id \"{value}\" must be lowercase letters, digits and '-'"),
                );
            }
            if let Some(prev) = ids.get(&value) {
                err(
                    d,
                    &loc,
                    format!("duplicate id \"{value}\" (also at {prev})"),
                );
            } else {
                ids.insert(value.clone(), loc);
            }
            value
        }
    };
    let name = if id.is_empty() {
        "question".to_string()
    } else {
        format!("question \"{id}\"")
    };
    let difficulty = match &rq.difficulty {
        None => {
            err(d, qloc, format!("{name}: missing `difficulty` (1, 2 or 3)"));
            1
        }
        Some(x) if !(1..=3).contains(x.get_ref()) => {
            err(
                d,
                &at(x.span().start),
                format!("{name}: difficulty {} must be 1, 2 or 3", x.get_ref()),
            );
            1
        }
        Some(x) => *x.get_ref() as u8,
    };
    if rq.tags.is_empty() || rq.tags.iter().any(|t| t.trim().is_empty()) {
        err(
            d,
            qloc,
            format!("{name}: needs at least one non-empty tag in `tags`"),
        );
    }
    let text_field = |f: &Option<Spanned<String>>, field: &str, d: &mut Vec<Diagnostic>| match f {
        Some(s) if !s.get_ref().trim().is_empty() => s.get_ref().trim().to_string(),
        Some(s) => {
            d.push(Diagnostic::error(
                at(s.span().start),
                format!("{name}: `{field}` is empty"),
            ));
            String::new()
        }
        None => {
            d.push(Diagnostic::error(
                qloc.clone(),
                format!("{name}: missing `{field}`"),
            ));
            String::new()
        }
    };
    let question = text_field(&rq.question, "question", d);
    let answer = text_field(&rq.answer, "answer", d);

    let mut correct = Vec::new();
    if !rq.choices.is_empty() {
        if rq.choices.len() < 2 || rq.choices.len() > 10 {
            err(
                d,
                qloc,
                format!("{name}: multiple choice needs 2 to 10 `choices`"),
            );
        }
        if rq.choices.iter().any(|c| c.trim().is_empty()) {
            err(d, qloc, format!("{name}: a choice is empty"));
        }
        if !rq.points.is_empty() {
            err(
                d,
                qloc,
                format!("{name}: a multiple-choice question has no key points"),
            );
        }
        match &rq.correct {
            None => err(
                d,
                qloc,
                format!("{name}: missing `correct` (letters of the right choices)"),
            ),
            Some(c) => {
                let loc = at(c.span().start);
                if c.get_ref().is_empty() {
                    err(d, &loc, format!("{name}: `correct` is empty"));
                }
                for letter in c.get_ref() {
                    let l = letter.trim().to_ascii_uppercase();
                    let index = l
                        .bytes()
                        .next()
                        .filter(|_| l.len() == 1)
                        .map(|b| b.wrapping_sub(b'A') as usize);
                    match index {
                        Some(i) if i < rq.choices.len() => {
                            if !correct.contains(&i) {
                                correct.push(i);
                            }
                        }
                        _ => err(
                            d,
                            &loc,
                            format!(
                                "{name}: `correct` names \"{letter}\", which is not a choice letter"
                            ),
                        ),
                    }
                }
                correct.sort_unstable();
            }
        }
    } else if rq.correct.is_some() {
        err(d, qloc, format!("{name}: `correct` without `choices`"));
    }

    let mut points = Vec::new();
    if rq.choices.is_empty() {
        if rq.points.is_empty() && !rq.draft {
            err(
                d,
                qloc,
                format!(
                    "{name}: no key points ([[questions.points]]); mark it `draft = true` until it has some"
                ),
            );
        } else if !rq.draft && !(3..=6).contains(&rq.points.len()) {
            d.push(Diagnostic::warning(
                qloc.clone(),
                format!(
                    "{name}: has {} key points; 3 to 6 work best",
                    rq.points.len()
                ),
            ));
        }
        for (i, rp) in rq.points.into_iter().enumerate() {
            let ploc = at(rp.span().start);
            let rp = rp.into_inner();
            let n = i + 1;
            let text = rp.text.unwrap_or_default().trim().to_string();
            if text.is_empty() {
                err(d, &ploc, format!("{name}: key point {n} has no `text`"));
            }
            let weight = match &rp.weight {
                None => 1,
                Some(w) if *w.get_ref() >= 1 && *w.get_ref() <= 100 => *w.get_ref() as u32,
                Some(w) => {
                    err(
                        d,
                        &at(w.span().start),
                        format!(
                            "{name}: key point {n} weight {} must be 1 to 100",
                            w.get_ref()
                        ),
                    );
                    1
                }
            };
            if rp.phrases.is_empty() {
                err(d, &ploc, format!("{name}: key point {n} has no `phrases`"));
            }
            if rp.all.iter().any(Vec::is_empty) {
                err(
                    d,
                    &ploc,
                    format!("{name}: key point {n} has an empty group in `all`"),
                );
            }
            points.push(KeyPoint {
                text,
                weight,
                phrases: rp.phrases,
                all: rp.all,
                wrong: rp.wrong,
                location: ploc,
            });
        }
    }
    if rq.draft {
        d.push(Diagnostic::warning(
            qloc.clone(),
            format!("{name}: draft, excluded from rounds until completed"),
        ));
    }
    let errors_after = d.iter().filter(|x| x.severity == Severity::Error).count();
    (errors_after == errors_before).then(|| Question {
        id,
        topic: topic.to_string(),
        difficulty,
        tags: rq.tags,
        question,
        answer,
        points,
        choices: rq.choices,
        correct,
        followups: rq.followups,
        draft: rq.draft,
        location: qloc.clone(),
    })
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Line numbers by binary search over the line starts: checking a file is linear in its size (counting
/// newlines for every question made a 10,000-question file take minutes).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        LineIndex {
            starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        }
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}
