//! The question bank: topics and questions loaded from TOML files (see `content/README.md`).

mod load;

pub use load::{Diagnostic, Severity, check_dir, check_embedded};

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use include_dir::{Dir, include_dir};

/// The bank that ships inside the binary.
static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// Where something in a bank file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given when loading.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A topic: one bank file.
#[derive(Debug, Clone)]
pub struct Topic {
    /// The key chats filter on, e.g. `network`.
    pub key: String,
    /// Chinese display name.
    pub name: String,
    /// English display name.
    pub name_en: String,
}

/// A key point (要点) of a free-text question.
#[derive(Debug, Clone)]
pub struct KeyPoint {
    /// What the point says, shown at the reveal.
    pub text: String,
    /// Relative weight, at least 1.
    pub weight: u32,
    /// Accepted phrases; any one covers the point. `A & B` needs both parts in one clause.
    pub phrases: Vec<String>,
    /// Further concepts the point needs: one phrase of every group must also be there.
    pub all: Vec<Vec<String>>,
    /// The myth this point corrects: an answer stating one of these does not get the point.
    pub wrong: Vec<String>,
    /// Where it is defined.
    pub location: Location,
}

/// One question.
#[derive(Debug, Clone)]
pub struct Question {
    /// Stable id; scores refer to it.
    pub id: String,
    /// Topic key.
    pub topic: String,
    /// 1 easy, 2 medium, 3 hard.
    pub difficulty: u8,
    /// Free tags.
    pub tags: Vec<String>,
    /// The prompt.
    pub question: String,
    /// Model answer (Markdown), or the explanation of a multiple-choice question.
    pub answer: String,
    /// Key points of a free-text question.
    pub points: Vec<KeyPoint>,
    /// Choices of a multiple-choice question, empty otherwise.
    pub choices: Vec<String>,
    /// Indexes of the correct choices.
    pub correct: Vec<usize>,
    /// Follow-up questions.
    pub followups: Vec<String>,
    /// Drafts are never chosen for rounds.
    pub draft: bool,
    /// Where it is defined.
    pub location: Location,
}

impl Question {
    /// Whether this is a multiple-choice question.
    pub fn is_choice(&self) -> bool {
        !self.choices.is_empty()
    }

    /// Letters of the correct choices.
    pub fn correct_letters(&self) -> Vec<char> {
        self.correct
            .iter()
            .map(|&i| (b'A' + i as u8) as char)
            .collect()
    }
}

/// A loaded, valid bank.
#[derive(Debug, Clone, Default)]
pub struct Bank {
    topics: Vec<Topic>,
    questions: Vec<Question>,
    by_id: HashMap<String, usize>,
}

/// A bank that could not be loaded: every error found, each with its place.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", render_errors(.0))]
pub struct BankError(pub Vec<Diagnostic>);

fn render_errors(d: &[Diagnostic]) -> String {
    d.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Bank {
    /// The bank bundled into the binary from `content/`.
    pub fn bundled() -> Result<Bank, BankError> {
        into_bank(check_embedded(&BUNDLED, "content"))
    }

    /// Loads every `*.toml` file in a directory.
    pub fn load_dir(dir: &Path) -> Result<Bank, BankError> {
        into_bank(check_dir(dir))
    }

    /// Adds another bank's topics and questions (an operator's own directory). Ids must not clash.
    pub fn merge(&mut self, other: Bank) -> Result<(), BankError> {
        let mut errors = Vec::new();
        for q in &other.questions {
            if let Some(&i) = self.by_id.get(&q.id) {
                errors.push(Diagnostic::error(
                    q.location.clone(),
                    format!(
                        "duplicate id \"{}\" (also at {})",
                        q.id, self.questions[i].location
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(BankError(errors));
        }
        for t in other.topics {
            if !self.topics.iter().any(|x| x.key == t.key) {
                self.topics.push(t);
            }
        }
        for q in other.questions {
            self.by_id.insert(q.id.clone(), self.questions.len());
            self.questions.push(q);
        }
        Ok(())
    }

    /// Builds a bank from parts (used by the loader).
    fn from_parts(topics: Vec<Topic>, questions: Vec<Question>) -> Bank {
        let by_id = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.clone(), i))
            .collect();
        Bank {
            topics,
            questions,
            by_id,
        }
    }

    /// All topics, in file order.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// A topic by key.
    pub fn topic(&self, key: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.key == key)
    }

    /// All questions, drafts included.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// A question by id.
    pub fn get(&self, id: &str) -> Option<&Question> {
        self.by_id.get(id).map(|&i| &self.questions[i])
    }

    /// Questions a round may use under a topic and difficulty filter (empty topics = all), drafts excluded.
    pub fn eligible<'a, 't>(
        &'a self,
        topics: &'t [String],
        difficulty: (u8, u8),
    ) -> impl Iterator<Item = &'a Question> + use<'a, 't> {
        self.questions.iter().filter(move |q| {
            !q.draft
                && (topics.is_empty() || topics.contains(&q.topic))
                && (difficulty.0..=difficulty.1).contains(&q.difficulty)
        })
    }
}

/// Checks the bank bundled into the binary.
pub fn check_embedded_bundle() -> (Option<Bank>, Vec<Diagnostic>) {
    check_embedded(&BUNDLED, "content")
}

fn into_bank(result: (Option<Bank>, Vec<Diagnostic>)) -> Result<Bank, BankError> {
    let (bank, diagnostics) = result;
    match bank {
        Some(bank) => Ok(bank),
        None => Err(BankError(
            diagnostics
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect(),
        )),
    }
}
